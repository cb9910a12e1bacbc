/**
 * Redrive: the same run continues in the same execution (`POST /api/v1/workflows/runs/{runId}/redrive`, and the
 * local stack reviving runs whose execution a restart lost). The run goes back to `running` (one redrive at a
 * time: a conditional write on `redriveCount`), every node that did not settle goes back to `pending` with its
 * attempts kept, closed gates are discarded so they open afresh, `run.redriven` is logged, then the orchestrator
 * redrives the execution. Nodes that succeeded are never run again: Step Functions skips their states, and the
 * local re-walk's Tasks are answered from their records (`execution.ts`, ARCHITECTURE.md "Redrive and rerun").
 */
import { isVirtualContract } from '../contract/node-contract';
import { ConflictError, NotFoundError } from '../errors';
import type { NodeStatus, Run, RunStatus } from '../model/types';
import { executionArnOf, type Orchestrator } from '../ports/orchestrator';
import { finishRun } from './execution-close';
import { loadRun, nowIso, record, type LoadedRun, type RunStores } from './execution-context';
import { partitionRunId } from '../store/map-items';

/** Step Functions redrives an execution up to 14 days after it ended. */
export const REDRIVE_WINDOW_MS = 14 * 24 * 60 * 60 * 1000;

/** The run statuses a user may redrive from. */
export const REDRIVABLE: readonly RunStatus[] = ['failed', 'timed_out'];

/** Node statuses a redrive puts back to `pending` (a failed `onError: continue` node stays: the run went past it). */
const REOPENED: readonly NodeStatus[] = ['failed', 'cancelled', 'running', 'retrying', 'waiting'];

/** Why a run is being redriven. */
export interface RedriveReason {
  /** Who asked (a user id, or `braid-local` for a restart). */
  by: string;
  /** `user` (the route) or `restart` (the local stack revived a run whose execution it lost). */
  cause: 'user' | 'restart';
}

/** Builds the redriver over the run stores and the orchestrator. */
export function createRedriver(deps: RunStores & { orchestrator: Pick<Orchestrator, 'redrive'> }) {
  const { store } = deps;

  /**
   * Checks that a user's redrive is allowed now: the run ended `failed` or `timed_out` within 14 days. Throws
   * `ConflictError` `not_redrivable`, `redrive_in_flight` or `redrive_expired` with the reason in the message.
   */
  function checkRedrivable(run: Run, now: Date): void {
    if (!REDRIVABLE.includes(run.status)) {
      if (run.redriveCount && (run.status === 'running' || run.status === 'waiting')) {
        throw new ConflictError('redrive_in_flight', `run ${run.runId} is ${run.status} after redrive ${run.redriveCount}: wait for it to end`);
      }
      throw new ConflictError('not_redrivable', `run ${run.runId} is ${run.status}: only failed or timed_out runs can be redriven`);
    }
    const endedAt = Date.parse(run.endedAt ?? run.startedAt);
    if (now.getTime() - endedAt > REDRIVE_WINDOW_MS) {
      throw new ConflictError('redrive_expired', `run ${run.runId} ended on ${run.endedAt}: runs can be redriven for 14 days after they end`);
    }
  }

  /**
   * Redrives the run (already checked): reopens it, its unsettled nodes and closed gates, logs `run.redriven`,
   * and asks the orchestrator to redrive. `from` is the statuses the run may be in (a restart revives `running`
   * and `waiting` runs, whose gates keep waiting with their votes). If the orchestrator refuses, the run is
   * put back to how it ended and the refusal is thrown.
   */
  async function redrive(run: Run, reason: RedriveReason, from: readonly RunStatus[] = REDRIVABLE): Promise<Run> {
    const loaded = await loadRun(deps, run.runId);
    const head = await store.workflows.get(run.workflowId);
    const version = head ? await store.workflows.getVersion(head, run.version) : undefined;
    if (!version?.stateMachineVersionArn) throw new NotFoundError('workflow version', `${run.workflowId}@${run.version}`);
    const versionArn = version.stateMachineVersionArn;
    const executionArn = (await store.runs.getExecutionArn(run.runId)) ?? executionArnOf(versionArn, run.runId);
    const redriveCount = (run.redriveCount ?? 0) + 1;
    const at = nowIso(deps);
    const reopened = await store.runs.reopen(run.runId, redriveCount, at, from);
    if (reason.cause === 'user') {
      await reopenScope(loaded, run.runId, undefined);
      // Nodes the failure closed before they were reached (`cancelled` with no attempt) are reopened above too.
    }
    await record(deps, run.runId, `run.redriven:${redriveCount}`, {
      type: 'run.redriven', at, data: { by: reason.by, cause: reason.cause, redriveCount, previousStatus: run.status },
    });
    try {
      await deps.orchestrator.redrive({ executionArn, versionArn, runId: run.runId, input: { runId: run.runId, r: {} }, redriveCount });
    } catch (error) {
      if (reason.cause === 'user' && (run.status === 'failed' || run.status === 'timed_out')) {
        await finishRun(deps, reopened, run.status, { ...(run.error ? { error: run.error } : {}), cost: run.cost });
      }
      throw error;
    }
    return reopened;
  }

  /**
   * Puts the unsettled nodes of one scope back to `pending` (the top level, or the body of the map item `item`),
   * and, for each map among them, the unsettled nodes of its items that did not succeed: the redriven map runs
   * its items again, and only those items' nodes run (a succeeded item's nodes answer from their records).
   */
  async function reopenScope(loaded: LoadedRun, runId: string, item: string | undefined): Promise<void> {
    const rk = partitionRunId(runId, item);
    for (const [nodeId, node] of await deps.nodeRuns.list(rk)) {
      const contract = loaded.contract.nodes[nodeId];
      if (!contract || isVirtualContract(contract)) continue;
      if (node.status === 'failed' && contract.onError === 'continue') continue;
      if (!REOPENED.includes(node.status)) continue;
      await deps.nodeRuns.reopen(rk, nodeId, REOPENED);
      await deps.gates.discardClosed(rk, nodeId);
      if (contract.type !== 'map') continue;
      for (const it of await deps.items.all(rk, nodeId)) {
        if (it.status !== 'succeeded') await reopenScope(loaded, runId, item === undefined ? String(it.index) : `${item}.${it.index}`);
      }
    }
  }

  return { checkRedrivable, redrive };
}

/** The redriver. */
export type Redriver = ReturnType<typeof createRedriver>;

/**
 * The end of a child run, told to its parent, and the end of a parent, told to its children (ARCHITECTURE.md,
 * "Workflow calls"). `settle(runId)` runs after a run is final (the finalizer calls it for every ended execution,
 * locally and on AWS): a child reports to the parent's `workflow_call` node (records the node's outcome, then
 * completes the parent's task token), and the children still active are cancelled (which cascades through
 * grandchildren): after a run ends no one waits for them. Every step is conditional or idempotent, so settling twice is harmless.
 */
import { ERROR_NAMES } from '../contract/error-names';
import { BraidError, NotFoundError } from '../errors';
import type { ErrorInfo, Run } from '../model/types';
import { TaskClosedError, type Orchestrator } from '../ports/orchestrator';
import { partitionRunId } from '../store/map-items';
import { RunCallRepository } from '../store/run-calls';
import { closeOutstanding, finishRun, totalCost } from './execution-close';
import { loadRun, nowIso, type RunStores } from './execution-context';
import { keyOf, recordAt } from './execution-keys';
import { isRunTerminal, NODE_ENTERED_FROM } from './run-status';

/** What settling needs from the orchestrator: completing parents' tokens and stopping children. */
export type CallOrchestrator = Pick<Orchestrator, 'sendTaskSuccess' | 'sendTaskFailure' | 'stop'>;

/** The route a settled workflow_call reports (it is never a condition). */
const OK_ROUTE = 'ok';

/** The node error of a child run that ended without succeeding. */
export function childFailure(child: Run): ErrorInfo {
  const cause = child.error ? `${child.error.name}: ${child.error.message}` : `the run was ${child.status}`;
  return {
    name: ERROR_NAMES.childRunFailed,
    message: `child run ${child.runId} ${child.status}: ${cause}`,
    details: { childRunId: child.runId, status: child.status, ...(child.error ? { error: { name: child.error.name, message: child.error.message } } : {}) },
  };
}

/** Builds the settler. */
export function createCallSettler(stores: RunStores, orchestrator: CallOrchestrator) {
  const calls = new RunCallRepository(stores.store.table);

  /** Completes a token, ignoring a task that can no longer be completed (the parent stopped or timed out). */
  async function complete(send: () => Promise<void>): Promise<void> {
    try {
      await send();
    } catch (error) {
      if (error instanceof TaskClosedError) return;
      throw error;
    }
  }

  /**
   * Tells the parent's node how its child ended: the node succeeds with the child's output (and cost) or fails
   * `Braid.ChildRunFailed`, then the parent's token is completed. A child the node no longer waits for (a later
   * drive started another) is ignored.
   */
  async function deliver(child: Run): Promise<'delivered' | 'ignored'> {
    const caller = child.calledBy;
    if (!caller || !isRunTerminal(child.status)) return 'ignored';
    const rk = partitionRunId(caller.runId, caller.item);
    const node = await stores.nodeRuns.get(rk, caller.nodeId);
    if (node?.childRunId !== child.runId) return 'ignored';
    // The parent closed the node (its run was cancelled or ended): nothing waits for this child's outcome.
    if (node.status === 'cancelled' || node.status === 'skipped') return 'ignored';
    const frame = { runId: caller.runId, ...(caller.item !== undefined ? { item: caller.item } : {}) };
    const nk = keyOf(frame, caller.nodeId);
    const endedAt = child.endedAt ?? nowIso(stores);
    if (child.status === 'succeeded') {
      const cost = child.cost && (child.cost.usd > 0 || child.cost.inputTokens || child.cost.outputTokens) ? child.cost : undefined;
      const updated = await stores.nodeRuns.transition(rk, caller.nodeId, 'succeeded', { endedAt, output: child.output ?? {}, route: OK_ROUTE, ...(cost ? { cost } : {}) }, NODE_ENTERED_FROM.succeeded);
      if (updated || (await stores.nodeRuns.get(rk, caller.nodeId))?.status === 'succeeded') {
        await recordAt(stores, frame, `node.succeeded:${nk}`, { type: 'node.succeeded', nodeId: caller.nodeId, at: endedAt, data: { attempt: caller.attempt, childRunId: child.runId, ...(cost ? { cost } : {}) } });
      }
      await stores.nodeRuns.finishAttempt(rk, caller.nodeId, caller.attempt, { status: 'succeeded', endedAt, route: OK_ROUTE });
      await complete(() => orchestrator.sendTaskSuccess({ taskToken: caller.taskToken, output: { route: OK_ROUTE } }));
      return 'delivered';
    }
    const error = childFailure(child);
    const updated = await stores.nodeRuns.transition(rk, caller.nodeId, 'failed', { endedAt, error }, NODE_ENTERED_FROM.failed);
    if (updated || (await stores.nodeRuns.get(rk, caller.nodeId))?.status === 'failed') {
      await recordAt(stores, frame, `node.failed:${nk}`, { type: 'node.failed', nodeId: caller.nodeId, at: endedAt, data: { attempt: caller.attempt, error } });
    }
    await stores.nodeRuns.finishAttempt(rk, caller.nodeId, caller.attempt, { status: 'failed', endedAt, error });
    await complete(() => orchestrator.sendTaskFailure({ taskToken: caller.taskToken, error: error.name, cause: error.message }));
    return 'delivered';
  }

  /** Cancels one run (a child whose parent ended): the run, its execution, its open nodes; then its own children. */
  async function cancelRun(run: Run, cause: string): Promise<void> {
    if (isRunTerminal(run.status)) return;
    await finishRun(stores, run, 'cancelled', { cost: totalCost(await stores.nodeRuns.list(run.runId)) });
    const executionArn = await stores.store.runs.getExecutionArn(run.runId);
    if (executionArn) await orchestrator.stop({ executionArn, error: ERROR_NAMES.cancelled, cause });
    await closeOutstanding(stores, await loadRun(stores, run.runId), { pending: 'cancelled', active: 'cancelled', gate: 'cancelled' });
    await cascade(run.runId);
  }

  /** Cancels every child of `runId` that is still active (and, through them, their children). Returns how many. */
  async function cascade(runId: string): Promise<number> {
    let cancelled = 0;
    for (const childId of await calls.children(runId)) {
      const child = await stores.store.runs.get(childId);
      if (!child || isRunTerminal(child.status)) continue;
      await cancelRun(child, `its parent run ${runId} ended`);
      cancelled += 1;
    }
    return cancelled;
  }

  return {
    deliver,
    cascade,
    /** Cancels a child started after its parent ended (the start raced the parent's cascade). */
    cancelRun,
    /** After `runId` is final: report to its parent, and cancel its children still active. */
    async settle(runId: string): Promise<void> {
      const run = await stores.store.runs.get(runId);
      if (!run || !isRunTerminal(run.status)) return;
      try {
        if (run.calledBy) await deliver(run);
      } catch (error) {
        // The parent (or its version) is gone: nothing waits for this child any more.
        if (!(error instanceof NotFoundError) && !(error instanceof BraidError && error.code === 'run_definition_missing')) throw error;
      }
      // A child still active when its parent ended is waited for by no one (the parent failed, was cancelled, or
      // went on past a call that timed out): cancel it.
      await cascade(runId);
    },
  };
}

/** The call settler. */
export type CallSettler = ReturnType<typeof createCallSettler>;

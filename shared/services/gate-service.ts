/**
 * Human-gate decisions (the gate function): approve or reject a waiting gate. Exactly one decision wins (a
 * conditional write from `waiting`); the winner records the node's outcome and completes the task through the
 * orchestrator with the token that only the store and this service ever see.
 */
import * as z from 'zod';
import { ForbiddenError, NotFoundError, ValidationError } from '../errors';
import type { Gate, NodeStatus, Run } from '../model/types';
import { TaskClosedError, type Orchestrator } from '../ports/orchestrator';
import { nowIso, record, type RunStores } from './execution-context';
import { roleAtLeast, type Caller, type PermissionService } from './permissions';
import { NODE_ENTERED_FROM, RUN_ENTERED_FROM, isRunTerminal } from './run-status';
import { gateView, type GateView } from './run-views';
import { zodIssues } from './zod-issues';
import { ConflictError } from '../errors';
import { ERROR_NAMES } from '../contract/error-names';

/** Body of `POST …/gates/{nodeId}/{decision}`. */
export const GateDecisionRequestSchema = z.strictObject({
  comment: z.string().max(4_096).optional(),
  /** Any JSON the decider attaches; part of the gate's output on approve. */
  data: z.unknown().optional(),
});

/** The decisions a person can take. */
export const GATE_DECISIONS = ['approve', 'reject'] as const;

/** The ASL error name of a rejected gate. */
export const GATE_REJECTED_ERROR = ERROR_NAMES.gateRejected;

/** What the gate service needs. */
export interface GateServiceDeps extends RunStores {
  permissions: PermissionService;
  orchestrator: Orchestrator;
}

/** Builds the gate service. */
export function createGateService(deps: GateServiceDeps) {
  /** Checks that the caller may decide: a listed approver, or (none listed) the owner and approver/editor grantees. */
  async function authorize(caller: Caller, run: Run, nodeId: string, gate: Gate | undefined): Promise<void> {
    if (gate && gate.approvers.length > 0 && gate.approvers.includes(caller.userId)) return;
    const { role } = await deps.permissions.authorizeRun(caller, run, 'view');
    if (!gate) throw new NotFoundError('gate', `${run.runId}/${nodeId}`);
    if (gate.approvers.length > 0) throw new ForbiddenError('only the approvers listed on this gate may decide it');
    if (!roleAtLeast(role, 'approver')) throw new ForbiddenError(`deciding a gate needs the approver role; you have ${role}`);
  }

  return {
    /** Approves or rejects the gate of `nodeId` in `runId`; returns the decided gate (never its token). */
    async decide(caller: Caller, runId: string, nodeId: string, decision: string, body: unknown): Promise<GateView> {
      if (!(GATE_DECISIONS as readonly string[]).includes(decision)) {
        throw new ValidationError([{ code: 'invalid_enum_value', path: '/path/decision', message: 'must be approve or reject' }]);
      }
      const parsed = GateDecisionRequestSchema.safeParse(body ?? {});
      if (!parsed.success) throw new ValidationError(zodIssues(parsed.error));
      const { comment, data } = parsed.data;
      const run = await deps.store.runs.get(runId);
      if (!run) throw new NotFoundError('run', runId);
      const gate = await deps.gates.get(runId, nodeId);
      await authorize(caller, run, nodeId, gate);
      if (gate?.status === 'waiting' && isRunTerminal(run.status)) {
        throw new ConflictError('run_finished', `run ${runId} has already ${run.status}`);
      }
      const decidedAt = nowIso(deps);
      const approved = decision === 'approve';
      let decided: Gate;
      try {
        decided = await deps.gates.decide(runId, nodeId, {
          status: approved ? 'approved' : 'rejected', decidedBy: caller.userId, decidedAt,
          ...(comment !== undefined ? { comment } : {}), ...(data !== undefined ? { data } : {}),
        });
      } catch (error) {
        // The gate was decided before. If that decision's follow-up was cut short (a fault after the gate write,
        // before the task result reached the orchestrator), finish it now; this caller still gets the 409.
        if (error instanceof ConflictError && error.reason === 'already_decided') {
          const stored = await deps.gates.get(runId, nodeId);
          if (stored && !(await deps.gates.isDelivered(runId, nodeId))) await followUp(stored);
        }
        throw error;
      }
      await followUp(decided);
      return gateView(decided);
    },
  };

  /**
   * Everything a decision implies after the gate write, each step idempotent: the node's outcome and events,
   * the gate's attempt, the run back to `running`, and the task result to the orchestrator (once).
   */
  async function followUp(gate: Gate): Promise<void> {
    const { runId, nodeId, comment, data } = gate;
    if (gate.status !== 'approved' && gate.status !== 'rejected') return;
    const by = gate.decidedBy ?? 'unknown';
    const decidedAt = gate.decidedAt ?? nowIso(deps);
    const approved = gate.status === 'approved';
    // openedAt: how long the gate waited (the GateWait metric, and any client) without another read.
    const eventData: Record<string, unknown> = { by, openedAt: gate.openedAt, ...(comment !== undefined ? { comment } : {}) };
    if (approved) {
      const output = { approved: true, by, comment: comment ?? null, data: data ?? null };
      const moved = await deps.nodeRuns.transition(runId, nodeId, 'succeeded', { endedAt: decidedAt, output }, NODE_ENTERED_FROM.succeeded);
      await record(deps, runId, `gate.approved:${nodeId}`, { type: 'gate.approved', nodeId, at: decidedAt, data: eventData });
      // A concurrent cancel or timeout may have closed the node first: then its event, not ours, ends the node.
      if (await landed(runId, nodeId, moved, 'succeeded')) await record(deps, runId, `node.succeeded:${nodeId}`, { type: 'node.succeeded', nodeId, at: decidedAt, data: {} });
    } else {
      const error = { name: GATE_REJECTED_ERROR, message: comment ? `rejected by ${by}: ${comment}` : `rejected by ${by}` };
      const moved = await deps.nodeRuns.transition(runId, nodeId, 'failed', { endedAt: decidedAt, error }, NODE_ENTERED_FROM.failed);
      await record(deps, runId, `gate.rejected:${nodeId}`, { type: 'gate.rejected', nodeId, at: decidedAt, data: eventData });
      if (await landed(runId, nodeId, moved, 'failed')) await record(deps, runId, `node.failed:${nodeId}`, { type: 'node.failed', nodeId, at: decidedAt, data: { error } });
    }
    const attempts = (await deps.nodeRuns.list(runId)).get(nodeId)?.attempts ?? [];
    for (const a of attempts.filter((x) => x.status === 'running')) {
      await deps.nodeRuns.finishAttempt(runId, nodeId, a.attempt, approved
        ? { status: 'succeeded', endedAt: decidedAt, route: 'ok' }
        : { status: 'failed', endedAt: decidedAt, error: { name: GATE_REJECTED_ERROR, message: 'rejected' } });
    }
    await resumeRun(runId);
    let sent: string | undefined;
    for (let tries = 0; tries < 3; tries += 1) {
      const taskToken = await deps.gates.getToken(runId, nodeId);
      if (!taskToken || taskToken === sent) break;
      sent = taskToken;
      try {
        if (approved) await deps.orchestrator.sendTaskSuccess({ taskToken, output: { route: 'ok' } });
        else await deps.orchestrator.sendTaskFailure({ taskToken, error: GATE_REJECTED_ERROR, cause: `gate ${nodeId} rejected by ${by}` });
        break;
      } catch (error) {
        // The token is spent: an earlier send of this decision got through, a retried gate task replaced it
        // (read it again), or a cancel or the task's timeout ended the execution (the run's status tells the
        // rest). Any other failure propagates.
        if (!(error instanceof TaskClosedError)) throw error;
      }
    }
    await deps.gates.markDelivered(runId, nodeId, nowIso(deps));
  }

  /** True when the node is in `status`: this call moved it there, or an earlier writer did. */
  async function landed(runId: string, nodeId: string, moved: unknown, status: NodeStatus): Promise<boolean> {
    if (moved) return true;
    return (await deps.nodeRuns.get(runId, nodeId))?.status === status;
  }

  /** A waiting run runs again once no gate of it waits. */
  async function resumeRun(runId: string): Promise<void> {
    const open = (await deps.gates.list(runId)).some((g) => g.status === 'waiting');
    if (open) return;
    try {
      await deps.store.runs.update(runId, { status: 'running' }, RUN_ENTERED_FROM.running);
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
    }
  }
}

/** The gate service. */
export type GateService = ReturnType<typeof createGateService>;

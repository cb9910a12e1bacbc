/**
 * Human-gate decisions (the gate function): approve or reject a waiting gate. Exactly one decision wins (a
 * conditional write from `waiting`); the winner records the node's outcome and completes the task through the
 * orchestrator with the token that only the store and this service ever see.
 */
import * as z from 'zod';
import { ForbiddenError, NotFoundError, ValidationError } from '../errors';
import type { Gate, GateVote, NodeStatus, Run } from '../model/types';
import { TaskClosedError, type Orchestrator } from '../ports/orchestrator';
import { loadRun, nowIso, type RunStores } from './execution-context';
import { keyOf, recordAt } from './execution-keys';
import { ITEM_PATH_PATTERN } from './map-scope';
import { partitionRunId } from '../store/map-items';
import { gateClosed } from './gate-lifecycle';
import { decidingVote, eligibility, tally, votesInOrder } from './gate-policy';
import { checkRunInput } from './run-input';
import { BUDGET_DATA_SCHEMA, BUDGET_GATE_ID, createBudgetService } from './budget';
import type { Caller, PermissionService } from './permissions';
import { NODE_ENTERED_FROM, RUN_ENTERED_FROM, isRunTerminal } from './run-status';
import { gateView, type GateView } from './run-views';
import { zodIssues } from './zod-issues';
import { ConflictError } from '../errors';
import { ERROR_NAMES } from '../contract/error-names';

/** Body of `POST …/gates/{nodeId}/{decision}` (one vote). */
export const GateDecisionRequestSchema = z.strictObject({
  comment: z.string().max(4_096).optional(),
  /** Any JSON the decider attaches; part of the gate's output on approve. */
  data: z.unknown().optional(),
});

/** The decisions a person can take. */
export const GATE_DECISIONS = ['approve', 'reject'] as const;

/** How long a decision's sender holds its claim before anyone else may finish the send. */
export const DELIVERY_CLAIM_MS = 30_000;

/** The ASL error name of a rejected gate. */
export const GATE_REJECTED_ERROR = ERROR_NAMES.gateRejected;

/** What the gate service needs. */
export interface GateServiceDeps extends RunStores {
  permissions: PermissionService;
  orchestrator: Orchestrator;
}

/** Builds the gate service. */
export function createGateService(deps: GateServiceDeps) {
  const budget = createBudgetService(deps, { orchestrator: deps.orchestrator });
  /**
   * The rule that lets the caller vote (see `eligibility`). A listed approver needs no role on the workflow;
   * anyone else must see the run (else 404) and be eligible (else 403).
   */
  async function authorize(caller: Caller, run: Run, nodeId: string, gate: Gate | undefined): Promise<string> {
    const listed = gate ? eligibility(caller, gate, undefined) : undefined;
    if (listed) return listed;
    const { role } = await deps.permissions.authorizeRun(caller, run, 'view');
    if (!gate) throw new NotFoundError('gate', `${run.runId}/${nodeId}`);
    const rule = eligibility(caller, gate, role);
    if (rule) return rule;
    if (gate.approvers.length > 0) throw new ForbiddenError('only the approvers listed on this gate may vote on it');
    throw new ForbiddenError(`voting on this gate needs the ${gate.minRole ?? 'approver'} role; you have ${role}`);
  }

  /** The gate node's `dataSchema` (versions are immutable: the rule the gate opened under). */
  async function dataSchemaOf(run: Run, nodeId: string): Promise<Record<string, unknown> | undefined> {
    const node = (await loadRun(deps, run.runId)).nodes.get(nodeId);
    return node?.type === 'human_gate' ? node.dataSchema : undefined;
  }

  return {
    /**
     * Casts the caller's vote (`approve` or `reject`) on the gate of `nodeId` in `runId`. The vote that reaches
     * the quorum (or the reject quorum) decides the gate; exactly one decision wins and reaches the orchestrator.
     * Returns the gate with every vote (never its token).
     */
    async decide(caller: Caller, runId: string, nodeId: string, decision: string, body: unknown, item?: string): Promise<GateView> {
      if (!(GATE_DECISIONS as readonly string[]).includes(decision)) {
        throw new ValidationError([{ code: 'invalid_enum_value', path: '/path/decision', message: 'must be approve or reject' }]);
      }
      if (item !== undefined && !ITEM_PATH_PATTERN.test(item)) {
        throw new ValidationError([{ code: 'invalid_value', path: '/query/item', message: 'must be an item path such as 3 or 3.5' }]);
      }
      // A gate inside a map item lives in the item's partition (ARCHITECTURE.md, "Map").
      const at = { runId, item };
      const rk = partitionRunId(runId, item);
      const parsed = GateDecisionRequestSchema.safeParse(body ?? {});
      if (!parsed.success) throw new ValidationError(zodIssues(parsed.error));
      const { comment, data } = parsed.data;
      const run = await deps.store.runs.get(runId);
      if (!run) throw new NotFoundError('run', runId);
      const stored = await deps.gates.get(rk, nodeId);
      const gate = stored && { ...stored, runId };
      const rule = await authorize(caller, run, nodeId, gate);
      if (gate?.status === 'waiting' && isRunTerminal(run.status)) {
        throw new ConflictError('run_finished', `run ${runId} has already ${run.status}`);
      }
      const approve = decision === 'approve';
      if (approve && gate?.forbidRequester && gate.requester === caller.userId) {
        throw new ForbiddenError(`${caller.userId} started this run and may not approve its gate ${nodeId}`, { code: 'requester_forbidden' });
      }
      if (approve && gate?.status === 'waiting') {
        const schema = nodeId === BUDGET_GATE_ID ? BUDGET_DATA_SCHEMA : await dataSchemaOf(run, nodeId);
        if (schema) checkRunInput(`gate#${run.workflowId}#${run.version}#${nodeId}`, schema, data ?? null, '/data');
      }
      const vote: GateVote = {
        by: caller.userId, decision: approve ? 'approve' : 'reject', at: nowIso(deps), as: rule,
        ...(comment !== undefined ? { comment } : {}), ...(data !== undefined ? { data } : {}),
      };
      let voted: Gate;
      try {
        voted = { ...(await deps.gates.vote(rk, nodeId, vote)), runId };
      } catch (error) {
        // The gate was decided (or the vote counted) before. If that decision's follow-up was cut short (a fault
        // after the vote or the gate write, before the task result reached the orchestrator), finish it now;
        // this caller still gets the 409.
        if (error instanceof ConflictError && (error.reason === 'already_decided' || error.reason === 'already_voted')) {
          const again = await deps.gates.get(rk, nodeId);
          if (again) await settle({ ...again, runId }, caller.userId, item);
        }
        throw error;
      }
      await recordAt(deps, at, `gate.voted:${keyOf(at, nodeId)}:${voted.openedAt}:${caller.userId}`, {
        type: 'gate.voted', nodeId, at: vote.at,
        data: { by: vote.by, decision: vote.decision, as: vote.as, approvals: voted.approvals ?? 0, rejections: voted.rejections ?? 0, ...(comment !== undefined ? { comment } : {}) },
      });
      const settled = await settle(voted, caller.userId, item);
      return gateView({ ...settled, runId: rk });
    },
  };

  /**
   * Decides a waiting gate whose counted votes reach a quorum (one conditional write: exactly one decision wins
   * across concurrent votes), then runs the decision's follow-up. A decided gate whose follow-up did not finish
   * is followed up. Returns the gate as it now stands.
   */
  async function settle(gate: Gate, caller: string, item: string | undefined): Promise<Gate> {
    const rk = partitionRunId(gate.runId, item);
    if (gate.status === 'waiting') {
      const outcome = tally(gate);
      if (outcome === 'waiting') return gate;
      const deciding = decidingVote(gate, outcome);
      try {
        const decided = { ...(await deps.gates.decide(rk, gate.nodeId, {
          status: outcome, decidedBy: deciding?.by ?? 'unknown', decidedAt: nowIso(deps),
          ...(deciding?.comment !== undefined ? { comment: deciding.comment } : {}), ...(deciding?.data !== undefined ? { data: deciding.data } : {}),
        })), runId: gate.runId };
        await followUp(decided, caller, item);
        return decided;
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
        const stored = await deps.gates.get(rk, gate.nodeId);
        if (!stored) throw error;
        gate = { ...stored, runId: gate.runId };
      }
    }
    if ((gate.status === 'approved' || gate.status === 'rejected') && !(await deps.gates.isDelivered(rk, gate.nodeId))) await followUp(gate, caller, item);
    return gate;
  }

  /**
   * Everything a decision implies after the gate write, each step idempotent: the node's outcome and events,
   * the gate's attempt, the run back to `running`, and the task result to the orchestrator (once).
   */
  async function followUp(gate: Gate, caller: string, item: string | undefined): Promise<void> {
    const { runId, nodeId, comment, data } = gate;
    const rk = partitionRunId(runId, item);
    const at = { runId, item };
    const nk = keyOf(at, nodeId);
    if (gate.status !== 'approved' && gate.status !== 'rejected') return;
    if (nodeId === BUDGET_GATE_ID) {
      await resumeRun(runId);
      const now = deps.clock?.() ?? new Date();
      if (!(await deps.gates.claimDelivery(runId, nodeId, caller, now.toISOString(), new Date(now.getTime() + DELIVERY_CLAIM_MS).toISOString()))) return;
      await budget.settleGate(gate);
      await deps.gates.markDelivered(runId, nodeId, nowIso(deps));
      await gateClosed(deps, gate);
      return;
    }
    const by = gate.decidedBy ?? 'unknown';
    const decidedAt = gate.decidedAt ?? nowIso(deps);
    const approved = gate.status === 'approved';
    // openedAt: how long the gate waited (the GateWait metric, and any client) without another read.
    const eventData: Record<string, unknown> = { by, openedAt: gate.openedAt, approvals: gate.approvals ?? 0, rejections: gate.rejections ?? 0, quorum: gate.quorum ?? 1, ...(comment !== undefined ? { comment } : {}) };
    if (approved) {
      const votes = votesInOrder(gate);
      const output = { approved: true, by, comment: comment ?? null, data: data ?? null, votes };
      const moved = await deps.nodeRuns.transition(rk, nodeId, 'succeeded', { endedAt: decidedAt, output }, NODE_ENTERED_FROM.succeeded);
      await recordAt(deps, at, `gate.approved:${nk}`, { type: 'gate.approved', nodeId, at: decidedAt, data: eventData });
      // A concurrent cancel or timeout may have closed the node first: then its event, not ours, ends the node.
      if (await landed(rk, nodeId, moved, 'succeeded')) await recordAt(deps, at, `node.succeeded:${nk}`, { type: 'node.succeeded', nodeId, at: decidedAt, data: {} });
    } else {
      const error = { name: GATE_REJECTED_ERROR, message: comment ? `rejected by ${by}: ${comment}` : `rejected by ${by}` };
      const moved = await deps.nodeRuns.transition(rk, nodeId, 'failed', { endedAt: decidedAt, error }, NODE_ENTERED_FROM.failed);
      await recordAt(deps, at, `gate.rejected:${nk}`, { type: 'gate.rejected', nodeId, at: decidedAt, data: eventData });
      if (await landed(rk, nodeId, moved, 'failed')) await recordAt(deps, at, `node.failed:${nk}`, { type: 'node.failed', nodeId, at: decidedAt, data: { error } });
    }
    const attempts = (await deps.nodeRuns.list(rk)).get(nodeId)?.attempts ?? [];
    for (const a of attempts.filter((x) => x.status === 'running')) {
      await deps.nodeRuns.finishAttempt(rk, nodeId, a.attempt, approved
        ? { status: 'succeeded', endedAt: decidedAt, route: 'ok' }
        : { status: 'failed', endedAt: decidedAt, error: { name: GATE_REJECTED_ERROR, message: 'rejected' } });
    }
    if (item === undefined) await resumeRun(runId);
    // One sender per decision: other voters racing the decision leave the send (and the closing) to the claimer.
    const now = deps.clock?.() ?? new Date();
    if (!(await deps.gates.claimDelivery(rk, nodeId, caller, now.toISOString(), new Date(now.getTime() + DELIVERY_CLAIM_MS).toISOString()))) return;
    let sent: string | undefined;
    for (let tries = 0; tries < 3; tries += 1) {
      const taskToken = await deps.gates.getToken(rk, nodeId);
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
    await deps.gates.markDelivered(rk, nodeId, nowIso(deps));
    // Inbox entries and timers are keyed by the gate's partition (its item's, inside a map).
    await gateClosed(deps, { ...gate, runId: rk });
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

/**
 * Replies to agents that asked a question (the gate function, `POST …/runs/{runId}/nodes/{nodeId}/reply`):
 * exactly one reply wins per question (a conditional write from `asked`/`waiting`); the winner records it,
 * publishes `node.replied` and completes the waiting `X:reply` task with the next turn through the orchestrator,
 * with the token only the store and this service ever see. When the reply comes before `X:reply` registered its
 * token, `X:reply` completes itself on arrival (`agent-replies.ts`).
 */
import * as z from 'zod';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../errors';
import { TaskClosedError, type Orchestrator } from '../ports/orchestrator';
import { partitionRunId } from '../store/map-items';
import type { NodeQuestion, Reply } from '../store/node-questions';
import { loadRun, nowIso, type RunStores } from './execution-context';
import { keyOf, recordAt } from './execution-keys';
import { ITEM_PATH_PATTERN } from './map-scope';
import { roleAtLeast, type Caller, type PermissionService } from './permissions';
import { RUN_ENTERED_FROM, isRunTerminal } from './run-status';
import { questionClosed } from './question-inbox';
import { zodIssues } from './zod-issues';

/** The most bytes a reply's `text` and `data` may take together, as JSON (it travels in one WebSocket frame). */
export const MAX_REPLY_BYTES = 16 * 1024;

/** Body of `POST …/nodes/{nodeId}/reply`: text, data, or both. */
export const NodeReplyRequestSchema = z.strictObject({
  text: z.string().min(1).max(MAX_REPLY_BYTES).optional(),
  /** Structured data for the agent: a JSON object (sent as the reply's data part). */
  data: z.record(z.string(), z.unknown()).optional(),
});

/** What the reply route answers. */
export interface ReplyView {
  runId: string;
  nodeId: string;
  /** The turn whose question was answered (the agent goes on with turn + 1). */
  turn: number;
  status: 'replied';
  by: string;
  at: string;
  /** True once the reply reached the waiting task (else the task takes it when it arrives). */
  delivered: boolean;
}

/** What the reply service needs. */
export interface ReplyServiceDeps extends RunStores {
  permissions: PermissionService;
  orchestrator: Pick<Orchestrator, 'sendTaskSuccess'>;
}

/** Builds the reply service. */
export function createReplyService(deps: ReplyServiceDeps) {
  /** Completes the waiting `X:reply` task with the next turn (once); false when no task waits yet (it will take the reply itself). */
  async function deliver(rk: string, q: NodeQuestion): Promise<boolean> {
    if (!q.taskToken) return false;
    try {
      await deps.orchestrator.sendTaskSuccess({ taskToken: q.taskToken, output: { turn: q.turn + 1 } });
    } catch (error) {
      // The token is spent: an earlier send got through, or its execution ended (a restart re-registers a new
      // token, which finds the reply recorded and completes itself).
      if (!(error instanceof TaskClosedError)) throw error;
      return false;
    }
    await deps.questions.markDelivered(rk, q.nodeId, q.turn, nowIso(deps));
    return true;
  }

  return {
    /**
     * Records the caller's reply to the question agent `nodeId` of `runId` waits on and sends it on. Who: whoever
     * may decide a gate of the workflow that lists no approvers (the owner, approver, editor; else 403; a caller
     * who may not see the run: 404). 409 `run_finished`, `not_waiting` (nothing asked, already answered, or the
     * node moved on).
     */
    async reply(caller: Caller, runId: string, nodeId: string, body: unknown, item?: string): Promise<ReplyView> {
      if (item !== undefined && !ITEM_PATH_PATTERN.test(item)) {
        throw new ValidationError([{ code: 'invalid_value', path: '/query/item', message: 'must be an item path such as 3 or 3.5' }]);
      }
      const parsed = NodeReplyRequestSchema.safeParse(body ?? {});
      if (!parsed.success) throw new ValidationError(zodIssues(parsed.error));
      const { text, data } = parsed.data;
      if (text === undefined && data === undefined) {
        throw new ValidationError([{ code: 'reply_empty', path: '/text', message: 'a reply needs text, data, or both' }]);
      }
      const bytes = Buffer.byteLength(JSON.stringify({ text, data }));
      if (bytes > MAX_REPLY_BYTES) {
        throw new ValidationError([{ code: 'reply_too_large', path: data !== undefined ? '/data' : '/text', message: `the reply is ${bytes} bytes of JSON; at most ${MAX_REPLY_BYTES}` }]);
      }
      const run = await deps.store.runs.get(runId);
      if (!run) throw new NotFoundError('run', runId);
      // The rule of a gate that lists no approvers: seeing the run, and at least the approver role.
      const { role } = await deps.permissions.authorizeRun(caller, run, 'view');
      if (!roleAtLeast(role, 'approver')) throw new ForbiddenError(`replying to an agent needs the approver role; you have ${role}`);
      // A node of a map body is answered in an item (`?item=`), a top-level node without one.
      const placed = (await loadRun(deps, runId)).scopes.nodes.get(nodeId);
      if (!placed || (placed.mapId === undefined) !== (item === undefined)) throw new NotFoundError('node', `${runId}/${nodeId}${item === undefined ? '' : `?item=${item}`}`);
      const node = placed.node;
      if (isRunTerminal(run.status)) throw new ConflictError('run_finished', `run ${runId} has already ${run.status}`);
      const rk = partitionRunId(runId, item);
      const [record, question] = await Promise.all([deps.nodeRuns.get(rk, nodeId), deps.questions.get(rk, nodeId)]);
      if (node.type !== 'agent_call' || record?.status !== 'waiting' || !question || (question.status !== 'asked' && question.status !== 'waiting')) {
        // A recorded reply whose send was cut short (a fault after the write) is sent now; this caller still gets the 409.
        if (question?.status === 'replied' && !question.deliveredAt) await deliver(rk, question);
        throw new ConflictError('not_waiting', `node ${nodeId} of run ${runId} is not waiting for a reply`);
      }
      const reply: Reply = { by: caller.userId, at: nowIso(deps), ...(text !== undefined ? { text } : {}), ...(data !== undefined ? { data } : {}) };
      const replied = await deps.questions.reply(rk, nodeId, question.turn, reply);
      // Out of the inboxes before the agent goes on (its next question writes entries of its own).
      await questionClosed(deps, { rk, nodeId, askedAt: question.askedAt, workflowId: run.workflowId, ownerId: run.ownerId });
      const at = { runId, item };
      await recordAt(deps, at, `node.replied:${keyOf(at, nodeId)}:${question.drive}:${question.turn}`, {
        type: 'node.replied', nodeId, at: reply.at,
        data: { turn: question.turn, by: reply.by, ...(text !== undefined ? { text } : {}), ...(data !== undefined ? { data } : {}) },
      });
      if (item === undefined) await resumeRun(runId, nodeId);
      const delivered = await deliver(rk, replied);
      return { runId, nodeId, turn: question.turn, status: 'replied', by: reply.by, at: reply.at, delivered };
    },
  };

  /** The run runs again once nothing else of it waits (a gate, another agent's question). */
  async function resumeRun(runId: string, repliedNode: string): Promise<void> {
    const [gates, nodes] = await Promise.all([deps.gates.list(runId), deps.nodeRuns.list(runId)]);
    if (gates.some((g) => g.status === 'waiting')) return;
    if ([...nodes.values()].some((n) => n.nodeId !== repliedNode && n.status === 'waiting')) return;
    try {
      await deps.store.runs.update(runId, { status: 'running' }, RUN_ENTERED_FROM.running);
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
    }
  }
}

/** The reply service. */
export type ReplyService = ReturnType<typeof createReplyService>;

/**
 * The executor's side of an agent that asks (ARCHITECTURE.md, "Agents that ask"): recording the question when a
 * turn ends in A2A `input-required`, the wait of `X:ask`, the token of `X:reply`, and the reply a continued turn
 * sends. The reply route's side is `reply-service.ts`. Nothing runs while the node waits: the token sits in the
 * node's question item until the reply route (or, when the reply came first, `X:reply` itself) completes it.
 */
import { ERROR_NAMES } from '../contract/error-names';
import { splitAttempt } from '../contract/task-payload';
import type { NodeContract } from '../contract/node-contract';
import { BraidError, ConflictError } from '../errors';
import { InputRequiredError, NodeFailedError, type AgentContinuation } from '../executors';
import type { Cost, NodeRun } from '../model/types';
import type { Orchestrator } from '../ports/orchestrator';
import type { Question } from '../store/node-questions';
import { partitionRunId } from '../store/map-items';
import { loadRun, nowIso, type LoadedRun, type RunStores } from './execution-context';
import { keyOf, recordAt, type Frame } from './execution-frame';
import { NODE_ENTERED_FROM } from './run-status';
import { questionOpened, questionPrincipals } from './question-inbox';
import { closeIfRunEnded } from './close-waits';
import { isVirtualContract } from '../contract/node-contract';

/** The route an attempt that asked records (its Task ended in `Braid.InputRequired`). */
export const INPUT_REQUIRED_ROUTE = 'input-required';

/** The most bytes of a question's text, and of its data as JSON, kept on the node and in its event (a frame is 32 KB). */
export const MAX_QUESTION_BYTES = 12 * 1024;

/** The error a repeated delivery of an attempt that asked throws again (the state machine catches it by name). */
export class AskedAgainError extends BraidError {
  constructor(nodeId: string) {
    super('input_required', `agent ${nodeId} asked a question and waits for a reply`);
    this.name = ERROR_NAMES.inputRequired;
  }
}

/** What the recording of a question needs from the attempt. */
export interface AskedAttempt {
  loaded: LoadedRun;
  frame: Frame;
  nodeId: string;
  attempt: number;
  /** When this attempt started. */
  startedAt: string;
  /** What the node's earlier attempts (earlier turns included) reported. */
  earlierCost: Cost | undefined;
  charge(cost: Cost | undefined): Promise<void>;
  addCosts(a: Cost | undefined, b: Cost | undefined): Cost | undefined;
}

/** Builds the executor's reply handling. */
export function createAgentReplies(stores: RunStores, orchestrator: Pick<Orchestrator, 'sendTaskSuccess'> | undefined) {
  return {
    /**
     * Records what the agent asked in this attempt: the question (with its A2A task), the attempt (route
     * `input-required`, its usage), the node `waiting` with its cost so far, the run `waiting` (top level), and
     * `node.input_required`. Each write is idempotent, so a repeated delivery reaches the same records. Always
     * throws: `Braid.InputRequired`, which the node's reply loop catches.
     */
    async asked(a: AskedAttempt, error: InputRequiredError): Promise<never> {
      const { frame: f, nodeId, attempt } = a;
      const { turn, drive } = splitAttempt(attempt);
      const askedAt = nowIso(stores);
      await a.charge(error.cost);
      const question = boundQuestion(error.question);
      await stores.questions.ask(f.rk, { nodeId, turn, drive, question, taskId: error.taskId, contextId: error.contextId, askedAt });
      // `startedAt`: a first attempt started with its claim has no record until it ends (execution-claim.ts).
      await stores.nodeRuns.finishAttempt(f.rk, nodeId, attempt, { status: 'succeeded', endedAt: askedAt, route: INPUT_REQUIRED_ROUTE, startedAt: a.startedAt, ...(error.cost ? { cost: error.cost } : {}) });
      const cost = a.addCosts(a.earlierCost, error.cost);
      await stores.nodeRuns.transition(f.rk, nodeId, 'waiting', cost ? { cost } : {}, NODE_ENTERED_FROM.waiting);
      await runWaiting(stores, f);
      await recordAt(stores, f, `node.input_required:${keyOf(f, nodeId)}:${attempt}`, {
        type: 'node.input_required', nodeId, at: askedAt, data: { attempt, turn, question, ...(cost ? { cost } : {}) },
      });
      // The question waits for a person: in the inboxes of those who may reply, announced like a gate opening.
      const { run } = a.loaded;
      const timeoutAt = new Date(Date.parse(askedAt) + timeoutOf(a.loaded, nodeId) * 1000).toISOString();
      await questionOpened(stores, { rk: f.rk, nodeId, workflowId: run.workflowId, ownerId: run.ownerId, turn, askedAt, question, timeoutAt }, { announce: true });
      // The run may have ended while this attempt ran: its close did not see this question, so close it now.
      await closeIfRunEnded(stores, { kind: 'question', partition: f.rk, nodeId, openedAt: askedAt, principals: questionPrincipals(run.workflowId, run.ownerId) });
      throw new AskedAgainError(nodeId);
    },

    /**
     * The reply a continued turn sends: turn `turn` follows the reply to the question of turn `turn - 1`. A
     * missing or different reply is a contract fault (`Braid.NodeFailed`).
     */
    async continuation(rk: string, nodeId: string, turn: number): Promise<AgentContinuation> {
      const q = await stores.questions.get(rk, nodeId);
      if (!q || q.turn !== turn - 1 || !q.reply) throw new NodeFailedError(`agent ${nodeId} has no reply recorded for its question ${turn - 1}`, { turn });
      const reply = { ...(q.reply.text !== undefined ? { text: q.reply.text } : {}), ...(q.reply.data !== undefined ? { data: q.reply.data } : {}) };
      return { turn, taskId: q.taskId, contextId: q.contextId, reply };
    },

    /**
     * `X:ask`: how long `X:reply` may wait, in whole seconds (at least 1): what is left of the node's
     * `timeoutSeconds`, counted from its first attempt of this drive, so the timeout bounds the whole node,
     * its turns and its waits together.
     */
    async replyWait(runId: string, nodeId: string, drive: number, item: string | undefined, policy: NodeContract): Promise<{ route: string; wait: number }> {
      const rk = partitionRunId(runId, item);
      const node = (await stores.nodeRuns.list(rk)).get(nodeId);
      const now = Date.parse(nowIso(stores));
      const left = nodeDeadline(node, drive, policy.timeoutSeconds, now) - now;
      return { route: 'ok', wait: Math.max(1, Math.ceil(left / 1000)) };
    },

    /**
     * `X:reply`: keeps the token with the open question. When the reply came before the token (or while no
     * execution listened: a restart, a redrive), completes the token at once with the next turn.
     */
    async awaitReply(f: Frame, nodeId: string, taskToken: string): Promise<{ route: string }> {
      const q = await stores.questions.await(f.rk, nodeId, taskToken);
      if (!q) throw new NodeFailedError(`agent ${nodeId} waits for a reply but asked no question`, {});
      if (q.status === 'replied') {
        if (!orchestrator) throw new BraidError('no_orchestrator', 'the executor cannot complete a reply task without an orchestrator');
        await orchestrator.sendTaskSuccess({ taskToken, output: { turn: q.turn + 1 } });
        await stores.questions.markDelivered(f.rk, nodeId, q.turn, nowIso(stores));
        return { route: 'replied' };
      }
      if (q.status !== 'waiting') throw new NodeFailedError(`agent ${nodeId} has no open question (${q.status})`, {});
      // A redriven wait (the node had failed with the execution) waits again.
      const node = await stores.nodeRuns.get(f.rk, nodeId);
      if (node?.status !== 'waiting') {
        await stores.nodeRuns.transition(f.rk, nodeId, 'waiting', {}, [...NODE_ENTERED_FROM.waiting, 'failed']);
        await runWaiting(stores, f);
        // Back in the inboxes (closing the run took it out), with the fresh timeout the redrive gave the node.
        const loaded = await loadRun(stores, f.runId);
        const timeoutAt = new Date(Date.parse(nowIso(stores)) + timeoutOf(loaded, nodeId) * 1000).toISOString();
        await questionOpened(stores, { rk: f.rk, nodeId, workflowId: loaded.run.workflowId, ownerId: loaded.run.ownerId, turn: q.turn, askedAt: q.askedAt, question: q.question, timeoutAt }, { announce: false });
      }
      return { route: 'waiting' };
    },

    /**
     * True when agent X, entered at turn 0 by a later drive (the local engine walks the machine again on a restart
     * or a redrive), had asked already: it goes back to its reply loop instead of calling the agent again, where
     * `X:reply` waits again for the open question, or completes at once when it was answered (then `X:continue`
     * reruns the turn after the reply), as Step Functions resumes the failed `X:reply` or `X:continue`.
     */
    async askedBefore(rk: string, nodeId: string, node: NodeRun | undefined): Promise<boolean> {
      // `waiting`: a restart; `pending`: a redrive put the unsettled node back.
      if (node?.status !== 'waiting' && node?.status !== 'pending') return false;
      const q = await stores.questions.get(rk, nodeId);
      return q !== undefined;
    },
  };
}

/**
 * When the node's `timeoutSeconds` ends in `drive` (epoch ms): counted from its first attempt of that drive, so an
 * agent's turns and its waits for replies share one timeout; `now` + the timeout when it has no attempt yet.
 */
export function nodeDeadline(node: NodeRun | undefined, drive: number, timeoutSeconds: number, now: number): number {
  const starts = (node?.attempts ?? []).filter((a) => splitAttempt(a.attempt).drive === drive).map((a) => Date.parse(a.startedAt));
  return (starts.length > 0 ? Math.min(...starts) : now) + timeoutSeconds * 1000;
}

/** The node's `timeoutSeconds` (its whole reply loop is bounded by it). */
function timeoutOf(loaded: LoadedRun, nodeId: string): number {
  const policy = loaded.contract.nodes[nodeId];
  return policy && !isVirtualContract(policy) ? policy.timeoutSeconds : 300;
}

/** The executor's reply handling. */
export type AgentReplies = ReturnType<typeof createAgentReplies>;

/** A top-level node that waits makes its run `waiting` (a node inside a map item leaves it running). */
async function runWaiting(stores: RunStores, f: Frame): Promise<void> {
  if (f.item !== undefined) return;
  try {
    await stores.store.runs.update(f.runId, { status: 'waiting' }, ['running']);
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
  }
}

/** The question as kept: text and data each cut to `MAX_QUESTION_BYTES` (data over it becomes `{ omitted, bytes }`). */
function boundQuestion(q: Question): Question {
  const text = Buffer.byteLength(q.text) <= MAX_QUESTION_BYTES ? q.text : `${Buffer.from(q.text).subarray(0, MAX_QUESTION_BYTES).toString('utf8').replace(/\uFFFD+$/, '')}…`;
  const bytes = Buffer.byteLength(JSON.stringify(q.data ?? null));
  return { text, data: bytes <= MAX_QUESTION_BYTES ? (q.data ?? null) : { omitted: true, bytes } };
}

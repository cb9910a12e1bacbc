/**
 * The Task payload: what every compiled Task state sends the executor (`Parameters.Payload`) and what the
 * executor accepts. The compiler renders the payloads from the builders here and the executor parses with
 * `TaskPayloadSchema`, so the two sides share one definition (ARCHITECTURE.md, "Executor event").
 */
import * as z from 'zod';

/** Step Functions caps a retrier at 99 retries, so 1,000 attempt numbers per drive never overlap. */
export const ATTEMPTS_PER_DRIVE = 1_000;
/** The most drives an attempt number can tell apart (far beyond a run's 14-day redrive window in practice). */
export const MAX_DRIVES = 9_999;
/** Attempt numbers of one turn of an `agent_call` (every drive of it): turn `t` starts at `t × 10,000,000`. */
export const ATTEMPTS_PER_TURN = (MAX_DRIVES + 1) * ATTEMPTS_PER_DRIVE;
/** The most questions one `agent_call` may ask in a run (turns 0 … 100); the next question fails the node. */
export const MAX_TURNS = 100;

/**
 * A node attempt's identity across redrives and turns: Step Functions resets `$$.State.RetryCount` on a redrive
 * and each time a state is entered again, so the executor numbers attempts
 * `turn × 10,000,000 + drive × 1,000 + retry count`. Turn 0 (every node but an agent that was answered) keeps
 * the numbers of before: drive 0 is the plain retry count. Within a turn the numbers grow with time (a redrive
 * resumes the same turn); a later turn's numbers are above every earlier turn's.
 */
export function attemptNumber(drive: number, retryCount: number, turn = 0): number {
  return turn * ATTEMPTS_PER_TURN + drive * ATTEMPTS_PER_DRIVE + retryCount;
}

/** The turn, the drive and the retry count within it of an attempt number (`attemptNumber` reversed). */
export function splitAttempt(attempt: number): { turn: number; drive: number; retry: number } {
  const turn = Math.floor(attempt / ATTEMPTS_PER_TURN);
  const rest = attempt % ATTEMPTS_PER_TURN;
  return { turn, drive: Math.floor(rest / ATTEMPTS_PER_DRIVE), retry: rest % ATTEMPTS_PER_DRIVE };
}

const id = z.string().min(1).max(128);
/** A map item's path: its index, prefixed by the enclosing items' indexes inside nested maps (`"3"`, `"3.5"`). */
export const ITEM_PATH_PATTERN = /^\d{1,5}(\.\d{1,5}){0,7}$/;
/** Present on every task inside a map body: which item it runs for. */
const item = z.string().regex(ITEM_PATH_PATTERN);
const caught = z.object({ Error: z.string().optional(), Cause: z.string().optional() });
/** The execution's drive: `$$.Execution.RedriveCount` (0 before any redrive). */
const drive = z.number().int().min(0).max(MAX_DRIVES);
/** The turn of an `agent_call` continued after a reply (`$.ask.turn`, set by its `X:reply` state). */
const turn = z.number().int().min(0).max(MAX_TURNS);

/** The executor's event (a compiled Task's `Payload`, after Step Functions resolved its paths). */
export const TaskPayloadSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('execute'), runId: id, nodeId: id, attempt: z.number().int().min(0), drive: drive.optional(), turn: turn.optional(), item: item.optional() }),
  /** `X:ask` after an agent asked: how long `X:reply` may wait (the rest of the node's timeout). */
  z.object({ action: z.literal('reply-wait'), runId: id, nodeId: id, drive: drive.optional(), item: item.optional() }),
  /** `X:reply` (`.waitForTaskToken`): keep the token until someone replies; the reply route completes it. */
  z.object({ action: z.literal('reply'), runId: id, nodeId: id, drive: drive.optional(), taskToken: z.string().min(1).max(4_096), item: item.optional() }),
  z.object({ action: z.literal('gate'), runId: id, nodeId: id, attempt: z.number().int().min(0), drive: drive.optional(), taskToken: z.string().min(1).max(4_096), item: item.optional() }),
  /** A workflow_call's task (`.waitForTaskToken`): start the child run; its end completes the token. */
  z.object({ action: z.literal('workflow_call'), runId: id, nodeId: id, attempt: z.number().int().min(0), drive: drive.optional(), taskToken: z.string().min(1).max(4_096), item: item.optional() }),
  /** A map's first task: evaluate `items`, store them, return their paths. */
  z.object({ action: z.literal('map-items'), runId: id, nodeId: id, attempt: z.number().int().min(0), drive: drive.optional(), item: item.optional() }),
  /** The last task of one map item (`item` is that item's path): succeeded, or failed with the caught `error`. */
  z.object({ action: z.literal('map-item'), runId: id, nodeId: id, item, error: caught.optional() }),
  /** A map's last task: assemble its output from its items. */
  z.object({ action: z.literal('map-collect'), runId: id, nodeId: id, item: item.optional() }),
  z.object({ action: z.literal('finalize'), runId: id, error: caught.optional() }),
  // The budget check before an agent_call of a workflow with `onBudgetExceeded: "gate"` (`.waitForTaskToken`).
  z.object({ action: z.literal('budget'), runId: id, nodeId: id, taskToken: z.string().min(1).max(4_096) }),
]);

/** A parsed executor event. */
export type TaskPayload = z.infer<typeof TaskPayloadSchema>;

/** JSONPath of the run id in every payload: the execution input's `runId`. */
const RUN_ID = { 'runId.$': '$$.Execution.Input.runId' } as const;
/** JSONPath of the attempt: the state's retries so far in this drive, and the drive (`RedriveCount`). */
const ATTEMPT = { 'attempt.$': '$$.State.RetryCount', 'drive.$': '$$.Execution.RedriveCount' } as const;

/** JSONPath of the item path inside a map body: every iteration's input carries it. */
const ITEM = { 'item.$': '$.item' } as const;

/** The ASL `Payload` template of a node's `execute` task; `inBody` for a node of a map body. */
export function executePayloadTemplate(nodeId: string, inBody = false): Record<string, string> {
  return { action: 'execute', ...RUN_ID, nodeId, ...(inBody ? ITEM : {}), ...ATTEMPT };
}

/** The ASL `Payload` template of `X:continue`: the node's `execute` task for the turn its `X:reply` returned. */
export function continuePayloadTemplate(nodeId: string, inBody = false): Record<string, string> {
  return { ...executePayloadTemplate(nodeId, inBody), 'turn.$': '$.ask.turn' };
}

/** The ASL `Payload` template of `X:ask` (`reply-wait`). */
export function replyWaitPayloadTemplate(nodeId: string, inBody = false): Record<string, string> {
  return { action: 'reply-wait', ...RUN_ID, nodeId, ...(inBody ? ITEM : {}), 'drive.$': '$$.Execution.RedriveCount' };
}

/** The ASL `Payload` template of `X:reply` (`.waitForTaskToken`). */
export function replyPayloadTemplate(nodeId: string, inBody = false): Record<string, string> {
  return { action: 'reply', ...RUN_ID, nodeId, ...(inBody ? ITEM : {}), 'drive.$': '$$.Execution.RedriveCount', 'taskToken.$': '$$.Task.Token' };
}

/** The ASL `Payload` template of a human gate's `gate` task (`.waitForTaskToken`). */
export function gatePayloadTemplate(nodeId: string, inBody = false): Record<string, string> {
  return { action: 'gate', ...RUN_ID, nodeId, ...(inBody ? ITEM : {}), ...ATTEMPT, 'taskToken.$': '$$.Task.Token' };
}

/** The ASL `Payload` template of a workflow_call's `workflow_call` task (`.waitForTaskToken`). */
export function workflowCallPayloadTemplate(nodeId: string, inBody = false): Record<string, string> {
  return { action: 'workflow_call', ...RUN_ID, nodeId, ...(inBody ? ITEM : {}), ...ATTEMPT, 'taskToken.$': '$$.Task.Token' };
}

/** The ASL `Payload` template of a map's `map-items` task (`inBody`: the map sits in another map's body). */
export function mapItemsPayloadTemplate(nodeId: string, inBody: boolean): Record<string, string> {
  return { action: 'map-items', ...RUN_ID, nodeId, ...(inBody ? ITEM : {}), ...ATTEMPT };
}

/** The ASL `Payload` template of a map's `map-item` task, last in each iteration; `withError` passes `$.error`. */
export function mapItemPayloadTemplate(nodeId: string, withError: boolean): Record<string, string> {
  return { action: 'map-item', ...RUN_ID, nodeId, ...ITEM, ...(withError ? { 'error.$': '$.error' } : {}) };
}

/** The ASL `Payload` template of a map's `map-collect` task. */
export function mapCollectPayloadTemplate(nodeId: string, inBody: boolean): Record<string, string> {
  return { action: 'map-collect', ...RUN_ID, nodeId, ...(inBody ? ITEM : {}) };
}

/** The ASL `Payload` template of the budget check before agent_call `nodeId` (`.waitForTaskToken`). */
export function budgetPayloadTemplate(nodeId: string): Record<string, string> {
  return { action: 'budget', ...RUN_ID, nodeId, 'taskToken.$': '$$.Task.Token' };
}

/** The ASL `Payload` template of `finalize`; `withError` passes the caught error (`$.error`). */
export function finalizePayloadTemplate(withError: boolean): Record<string, string> {
  return { action: 'finalize', ...RUN_ID, ...(withError ? { 'error.$': '$.error' } : {}) };
}

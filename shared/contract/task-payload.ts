/**
 * The Task payload: what every compiled Task state sends the executor (`Parameters.Payload`) and what the
 * executor accepts. The compiler renders the payloads from the builders here and the executor parses with
 * `TaskPayloadSchema`, so the two sides share one definition (ARCHITECTURE.md, "Executor event").
 */
import * as z from 'zod';

const id = z.string().min(1).max(128);

/** The executor's event (a compiled Task's `Payload`, after Step Functions resolved its paths). */
export const TaskPayloadSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('execute'), runId: id, nodeId: id, attempt: z.number().int().min(0) }),
  z.object({ action: z.literal('gate'), runId: id, nodeId: id, attempt: z.number().int().min(0), taskToken: z.string().min(1).max(4_096) }),
  // The budget check before an agent_call of a workflow with `onBudgetExceeded: "gate"` (`.waitForTaskToken`).
  z.object({ action: z.literal('budget'), runId: id, nodeId: id, taskToken: z.string().min(1).max(4_096) }),
  z.object({
    action: z.literal('finalize'),
    runId: id,
    error: z.object({ Error: z.string().optional(), Cause: z.string().optional() }).optional(),
  }),
]);

/** A parsed executor event. */
export type TaskPayload = z.infer<typeof TaskPayloadSchema>;

/** JSONPath of the run id in every payload: the execution input's `runId`. */
const RUN_ID = { 'runId.$': '$$.Execution.Input.runId' } as const;
/** JSONPath of the attempt: the state's total retries so far (0 for the first attempt). */
const ATTEMPT = { 'attempt.$': '$$.State.RetryCount' } as const;

/** The ASL `Payload` template of a node's `execute` task. */
export function executePayloadTemplate(nodeId: string): Record<string, string> {
  return { action: 'execute', ...RUN_ID, nodeId, ...ATTEMPT };
}

/** The ASL `Payload` template of a human gate's `gate` task (`.waitForTaskToken`). */
export function gatePayloadTemplate(nodeId: string): Record<string, string> {
  return { action: 'gate', ...RUN_ID, nodeId, ...ATTEMPT, 'taskToken.$': '$$.Task.Token' };
}

/** The ASL `Payload` template of the budget check before agent_call `nodeId` (`.waitForTaskToken`). */
export function budgetPayloadTemplate(nodeId: string): Record<string, string> {
  return { action: 'budget', ...RUN_ID, nodeId, 'taskToken.$': '$$.Task.Token' };
}

/** The ASL `Payload` template of `finalize`; `withError` passes the caught error (`$.error`). */
export function finalizePayloadTemplate(withError: boolean): Record<string, string> {
  return { action: 'finalize', ...RUN_ID, ...(withError ? { 'error.$': '$.error' } : {}) };
}

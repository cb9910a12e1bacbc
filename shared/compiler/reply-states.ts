/**
 * The reply loop of an `agent_call` X (ARCHITECTURE.md, "Agents that ask"): three states that run only when the
 * agent asks a question, so a workflow whose agents never ask pays no extra transition.
 * - X (and `X:continue`) throw `Braid.InputRequired` when the agent's task reaches `input-required`; a catcher
 *   ahead of every other sends it, input unchanged, to
 * - `X:ask` (Task, `reply-wait`): the seconds left of the node's timeout, into `$.ask.wait`;
 * - `X:reply` (`.waitForTaskToken`, `TimeoutSecondsPath: $.ask.wait`): the executor keeps the token with the
 *   question; the reply route completes it with `{ turn }` (a reference: the reply itself stays in the store),
 *   into `$.ask`;
 * - `X:continue`: X's Task again for turn `$.ask.turn` (same retriers, catchers and result), which may ask again.
 */
import type { AslCatcher, AslState, AslTaskState } from './asl-types';
import type { PlannedNode } from './plan';
import { LAMBDA_INVOKE, LAMBDA_INVOKE_WAIT, serviceRetrier } from './task-state';
import { ERROR_NAMES } from '../contract/error-names';
import { continuePayloadTemplate, replyPayloadTemplate, replyWaitPayloadTemplate } from '../contract/task-payload';
import { DEFAULT_TIMEOUT_SECONDS } from '../definition/schema';

/** Where X's reply loop keeps its small state (`{ wait }`, then `{ turn }`). */
export const ASK_PATH = '$.ask';

/** The state names of agent X's reply loop. */
export function replyStateNames(id: string) {
  return { ask: `${id}:ask`, reply: `${id}:reply`, continue: `${id}:continue` };
}

/**
 * Adds the reply loop to the rendered Task of agent X: puts the `Braid.InputRequired` catcher first on it, and
 * returns the loop's three states. Their other catchers are X's (an `onError: continue`, the map item's
 * failure task): a reply that never comes ends the node as its failure would.
 */
export function replyLoopStates(node: PlannedNode, task: AslTaskState, executorArn: string, inBody: boolean): Record<string, AslState> {
  const names = replyStateNames(node.id);
  const others = task.Catch ?? [];
  const asked: AslCatcher = { ErrorEquals: [ERROR_NAMES.inputRequired], ResultPath: null, Next: names.ask };
  task.Catch = [asked, ...others];
  const catchField = others.length > 0 ? { Catch: others.map((c) => ({ ...c, ErrorEquals: [...c.ErrorEquals] })) } : {};
  const { Parameters: _parameters, Catch: _catch, ...rest } = task;
  return {
    [names.ask]: {
      Type: 'Task',
      Resource: LAMBDA_INVOKE,
      Parameters: { FunctionName: executorArn, Payload: replyWaitPayloadTemplate(node.id, inBody) },
      TimeoutSeconds: DEFAULT_TIMEOUT_SECONDS,
      ResultSelector: { 'wait.$': '$.Payload.wait' },
      ResultPath: ASK_PATH,
      Retry: [serviceRetrier()],
      ...catchField,
      Next: names.reply,
    },
    [names.reply]: {
      Type: 'Task',
      Resource: LAMBDA_INVOKE_WAIT,
      Parameters: { FunctionName: executorArn, Payload: replyPayloadTemplate(node.id, inBody) },
      TimeoutSecondsPath: `${ASK_PATH}.wait`,
      ResultSelector: { 'turn.$': '$.turn' },
      ResultPath: ASK_PATH,
      Retry: [serviceRetrier()],
      ...catchField,
      Next: names.continue,
    },
    [names.continue]: {
      ...rest,
      Parameters: { FunctionName: executorArn, Payload: continuePayloadTemplate(node.id, inBody) },
      Retry: (task.Retry ?? []).map((r) => ({ ...r, ErrorEquals: [...r.ErrorEquals] })),
      Catch: [{ ...asked }, ...others.map((c) => ({ ...c, ErrorEquals: [...c.ErrorEquals] }))],
    } as AslTaskState,
  };
}

/**
 * The budget's part of the compiled ASL, only for workflows that declare `budget` or `onBudgetExceeded`
 * (every other workflow compiles to the same bytes as before):
 * - `"gate"`: before each `agent_call` X, a check state `X:budget`, a `.waitForTaskToken` Task whose executor
 *   completes its own token at once within budget, or leaves it with the run's budget gate (README, "Budgets");
 * - an `agent_call` with `onError: "continue"` does not continue past `Braid.BudgetExceeded`: a catcher ahead of
 *   its `States.ALL` sends it to the failure finalizer (top level) or to a Fail state `X:budget-exceeded` that
 *   fails the branch, and so the enclosing Parallel.
 */
import type { AslCatcher, AslFailState, AslTaskState } from './asl-types';
import type { PlannedNode } from './plan';
import { LAMBDA_INVOKE_WAIT, serviceRetrier } from './task-state';
import { ERROR_NAMES } from '../contract/error-names';
import { budgetPayloadTemplate } from '../contract/task-payload';

/** The ASL error of an `agent_call` refused by the budget (and of a rejected budget gate). */
export const BUDGET_EXCEEDED_ERROR = ERROR_NAMES.budgetExceeded;

/** How long a check state (and so the budget gate) may wait: one day. */
export const BUDGET_CHECK_TIMEOUT_SECONDS = 86_400;

export { budgetModeOf } from './plan-nodes';

/** The name of node X's check state. */
export function budgetCheckName(nodeId: string): string {
  return `${nodeId}:budget`;
}

/** The state a node starts at: its check state in `gate` mode, else its task. */
export function taskEntry(node: PlannedNode): string {
  return node.budget === 'gate' ? budgetCheckName(node.id) : node.id;
}

/** The check state `X:budget` of a `gate`-mode `agent_call`. */
export function budgetCheckState(node: PlannedNode, executorArn: string, catchToFailure: AslCatcher[] | undefined): AslTaskState {
  return {
    Type: 'Task',
    Resource: LAMBDA_INVOKE_WAIT,
    Parameters: {
      FunctionName: executorArn,
      Payload: budgetPayloadTemplate(node.id),
    },
    TimeoutSeconds: BUDGET_CHECK_TIMEOUT_SECONDS,
    ResultPath: null,
    Retry: [serviceRetrier()],
    ...(catchToFailure ? { Catch: catchToFailure } : {}),
    Next: node.id,
  };
}

/**
 * The catcher that keeps `onError: "continue"` from continuing past the budget, and the Fail state it needs in a
 * branch; nothing for other nodes.
 */
export function budgetExceededCatch(node: PlannedNode, failureFinalizer: string | undefined): { catcher?: AslCatcher; failState?: [string, AslFailState] } {
  if (!node.budget || node.onError !== 'continue') return {};
  if (failureFinalizer) return { catcher: { ErrorEquals: [BUDGET_EXCEEDED_ERROR], ResultPath: '$.error', Next: failureFinalizer } };
  const name = `${node.id}:budget-exceeded`;
  return {
    catcher: { ErrorEquals: [BUDGET_EXCEEDED_ERROR], ResultPath: null, Next: name },
    failState: [name, { Type: 'Fail', Error: BUDGET_EXCEEDED_ERROR, Cause: `the run's budget was spent before ${node.id}` }],
  };
}

/**
 * How long a node may run, bounded by what serves it. A node that the executor Lambda runs (agent calls,
 * tools, conditions) cannot outlive that Lambda: AWS cuts a function at 900 s, and that cut reaches Step
 * Functions as `Lambda.Unknown`, which no Braid retrier matches, so the run would fail without a retry and
 * without a record of why. A node that waits on a task token (a human gate) holds no Lambda while it waits,
 * so Step Functions' own year-long limit applies to it; so does a `workflow_call`, which waits for its child run.
 */
import type { ValidationIssue } from '../model/types';
import { issue } from './issues';

/** Lambda's hard cap on one invocation, and the executor function's configured timeout. */
export const EXECUTOR_LAMBDA_TIMEOUT_SECONDS = 900;

/**
 * Time the executor keeps after a node's deadline to record the attempt (store writes, events) and return
 * its named error, so the node fails as `Braid.NodeFailed`/`States.Timeout` (retried) rather than being cut.
 */
export const EXECUTOR_MARGIN_SECONDS = 60;

/** The longest `timeoutSeconds` of a node the executor runs: 900 s − 60 s = 840 s. */
export const MAX_EXECUTOR_TIMEOUT_SECONDS = EXECUTOR_LAMBDA_TIMEOUT_SECONDS - EXECUTOR_MARGIN_SECONDS;

/**
 * Node types whose Task waits on a task token (`.waitForTaskToken`): the executor only opens them and returns,
 * so their timeout is bounded by Step Functions (one year), not by Lambda.
 */
export const TOKEN_WAIT_NODE_TYPES: ReadonlySet<string> = new Set(['human_gate', 'workflow_call']);

/** Node types that are contracted away at compile time and never run. */
const NO_TASK_NODE_TYPES: ReadonlySet<string> = new Set(['parallel', 'join']);

/** A node as the validator sees it before the schema has accepted it. */
export interface TimedNode {
  index: number;
  id: string;
  type: unknown;
  timeoutSeconds: unknown;
}

/**
 * Errors (`timeout_exceeds_executor`) for every node the executor runs whose own timeout, or the workflow
 * default it falls back on, is longer than {@link MAX_EXECUTOR_TIMEOUT_SECONDS}. The default is reported once,
 * at `/defaults/timeoutSeconds`, since gates never use it (they must set their own).
 */
export function checkExecutionTimeouts(nodes: readonly TimedNode[], defaultTimeout: unknown): ValidationIssue[] {
  const errors: ValidationIssue[] = [];
  const tooLong = (value: unknown): value is number => typeof value === 'number' && value > MAX_EXECUTOR_TIMEOUT_SECONDS;
  if (tooLong(defaultTimeout)) {
    errors.push(issue('timeout_exceeds_executor', ['defaults', 'timeoutSeconds'],
      `the default timeout ${defaultTimeout} s is longer than the ${MAX_EXECUTOR_TIMEOUT_SECONDS} s a node run by the executor can have (Lambda's ${EXECUTOR_LAMBDA_TIMEOUT_SECONDS} s minus ${EXECUTOR_MARGIN_SECONDS} s to record the outcome); serve longer work with a callback (README, "Long-running tools")`));
  }
  for (const n of nodes) {
    if (typeof n.type !== 'string' || TOKEN_WAIT_NODE_TYPES.has(n.type) || NO_TASK_NODE_TYPES.has(n.type)) continue;
    if (!tooLong(n.timeoutSeconds)) continue;
    errors.push(issue('timeout_exceeds_executor', ['nodes', n.index, 'timeoutSeconds'],
      `node "${n.id}" (${n.type}) has timeoutSeconds ${n.timeoutSeconds}; a node run by the executor can have at most ${MAX_EXECUTOR_TIMEOUT_SECONDS} s (Lambda's ${EXECUTOR_LAMBDA_TIMEOUT_SECONDS} s minus ${EXECUTOR_MARGIN_SECONDS} s to record the outcome); serve longer work with a callback (README, "Long-running tools")`));
  }
  return errors;
}

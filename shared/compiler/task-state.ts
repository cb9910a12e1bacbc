/**
 * Task states of a compiled workflow: node tasks (execute and gate) and the finalize tasks, with
 * the Retry blocks in contract order (Lambda service errors first, then the node's own policy).
 */
import type { AslCatcher, AslRetrier, AslTaskState, Json } from './asl-types';
import type { PlannedNode } from './plan';
import { DEFAULT_TIMEOUT_SECONDS } from '../definition/schema';

/** The Lambda invoke integration. */
export const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';
/** The Lambda invoke integration that waits for a task token. */
export const LAMBDA_INVOKE_WAIT = 'arn:aws:states:::lambda:invoke.waitForTaskToken';

/** Errors retried by the service retrier (Lambda's own failures and `Braid.Transient`). */
export const SERVICE_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'Braid.Transient',
] as const;

/** Errors retried by a node's own retry policy. */
export const NODE_RETRY_ERRORS = ['Braid.NodeFailed', 'States.Timeout'] as const;

/** The service retrier (a fresh object each call): 1 s, x2, 3 attempts, full jitter. */
export function serviceRetrier(): AslRetrier {
  return { ErrorEquals: [...SERVICE_ERRORS], IntervalSeconds: 1, MaxAttempts: 3, BackoffRate: 2, JitterStrategy: 'FULL' };
}

/** The run id every task payload carries (a Distributed Map's child executions get it in their input too). */
export const RUN_ID = { 'runId.$': '$$.Execution.Input.runId' } as const;

/** Where a node task goes next and where it catches to. */
export interface TaskWiring {
  executorArn: string;
  /** The next state; undefined ends the branch. */
  next: string | undefined;
  /** The catch target, if any. */
  catchTo: string | undefined;
  /** `ResultPath` of the catch (`null` keeps the input, `$.error` records the error). */
  catchResultPath: string | null;
  /** Inside a map body: the payload carries the item path. @default false */
  inBody?: boolean;
}

/** The payload field that carries a map item's path (`"3"`, `"3.5"` when nested) inside a body. */
export const ITEM_FIELD = { 'item.$': '$.item' } as const;

/** The Task state of an executable node. */
export function nodeTaskState(node: PlannedNode, wiring: TaskWiring): AslTaskState {
  const gate = node.type === 'human_gate';
  const item = wiring.inBody ? ITEM_FIELD : {};
  const payload: Record<string, Json> = gate
    ? { action: 'gate', ...RUN_ID, nodeId: node.id, ...item, 'attempt.$': '$$.State.RetryCount', 'taskToken.$': '$$.Task.Token' }
    : { action: 'execute', ...RUN_ID, nodeId: node.id, ...item, 'attempt.$': '$$.State.RetryCount' };
  const retry: AslRetrier[] = [serviceRetrier()];
  if (node.retry) {
    retry.push({
      ErrorEquals: [...NODE_RETRY_ERRORS],
      IntervalSeconds: node.retry.intervalSeconds,
      MaxAttempts: node.retry.maxAttempts - 1,
      BackoffRate: node.retry.backoffRate,
      ...(node.retry.maxDelaySeconds !== undefined ? { MaxDelaySeconds: node.retry.maxDelaySeconds } : {}),
      ...(node.retry.jitter !== undefined ? { JitterStrategy: node.retry.jitter } : {}),
    });
  }
  const catchers: AslCatcher[] =
    wiring.catchTo === undefined ? [] : [{ ErrorEquals: ['States.ALL'], ResultPath: wiring.catchResultPath, Next: wiring.catchTo }];
  return {
    Type: 'Task',
    Resource: gate ? LAMBDA_INVOKE_WAIT : LAMBDA_INVOKE,
    Parameters: { FunctionName: wiring.executorArn, Payload: payload },
    TimeoutSeconds: node.timeoutSeconds,
    ...(node.tracked ? { ResultSelector: { 'k.$': gate ? '$.route' : '$.Payload.route' } } : {}),
    ResultPath: node.tracked ? `$.r.${node.id}` : null,
    Retry: retry,
    ...(catchers.length > 0 ? { Catch: catchers } : {}),
    ...(wiring.next === undefined ? { End: true as const } : { Next: wiring.next }),
  };
}

/** `braid:finalize`: records the run's success and ends the execution. */
export function finalizeState(executorArn: string): AslTaskState {
  return {
    Type: 'Task',
    Resource: LAMBDA_INVOKE,
    Parameters: { FunctionName: executorArn, Payload: { action: 'finalize', ...RUN_ID } },
    TimeoutSeconds: DEFAULT_TIMEOUT_SECONDS,
    ResultPath: null,
    Retry: [serviceRetrier()],
    End: true,
  };
}

/** `braid:finalize-failed`: records the run's failure (the caught error is at `$.error`), then fails. */
export function finalizeFailedState(executorArn: string, failState: string): AslTaskState {
  return {
    Type: 'Task',
    Resource: LAMBDA_INVOKE,
    Parameters: { FunctionName: executorArn, Payload: { action: 'finalize', ...RUN_ID, 'error.$': '$.error' } },
    TimeoutSeconds: DEFAULT_TIMEOUT_SECONDS,
    ResultPath: null,
    Retry: [serviceRetrier()],
    Next: failState,
  };
}

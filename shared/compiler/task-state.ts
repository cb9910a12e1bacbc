/**
 * Task states of a compiled workflow: node tasks (execute and gate) and the finalize tasks, with
 * the Retry blocks rendered from the node's retriers (`shared/contract/retriers.ts`) in contract order.
 */
import type { AslCatcher, AslRetrier, AslTaskState, Json } from './asl-types';
import type { PlannedNode } from './plan';
import { DEFAULT_TIMEOUT_SECONDS } from '../definition/schema';
import { serviceRetrier as serviceRetrierContract, toAslRetrier } from '../contract/retriers';
import { executePayloadTemplate, finalizePayloadTemplate, gatePayloadTemplate, workflowCallPayloadTemplate } from '../contract/task-payload';

/** The Lambda invoke integration. */
export const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';
/** The Lambda invoke integration that waits for a task token. */
export const LAMBDA_INVOKE_WAIT = 'arn:aws:states:::lambda:invoke.waitForTaskToken';

/** The service retrier as an ASL `Retry` entry (a fresh object each call). */
export function serviceRetrier(): AslRetrier {
  return toAslRetrier(serviceRetrierContract());
}

/** Where a node task goes next and where it catches to. */
export interface TaskWiring {
  executorArn: string;
  /** The next state; undefined ends the branch. */
  next: string | undefined;
  /** The catch target, if any. */
  catchTo: string | undefined;
  /** `ResultPath` of the catch (`null` keeps the input). */
  catchResultPath: string | null;
  /** Inside a map body: the payload carries the item path. @default false */
  inBody?: boolean;
}


/** The Task state of an executable node. */
export function nodeTaskState(node: PlannedNode, wiring: TaskWiring): AslTaskState {
  // Gates and workflow calls wait on a task token: the executor only opens them and returns.
  const gate = node.type === 'human_gate' || node.type === 'workflow_call';
  const inBody = wiring.inBody ?? false;
  const payload: Record<string, Json> = node.type === 'human_gate' ? gatePayloadTemplate(node.id, inBody)
    : node.type === 'workflow_call' ? workflowCallPayloadTemplate(node.id, inBody) : executePayloadTemplate(node.id, inBody);
  const retry: AslRetrier[] = node.retriers.map(toAslRetrier);
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
    Parameters: { FunctionName: executorArn, Payload: finalizePayloadTemplate(false) },
    TimeoutSeconds: DEFAULT_TIMEOUT_SECONDS,
    ResultPath: null,
    Retry: [serviceRetrier()],
    End: true,
  };
}

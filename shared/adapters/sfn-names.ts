/**
 * How Braid names its runtime state machines and derives their ARNs, in one place: the compile function
 * (which creates them), the CDK stack (whose grants and EventBridge rule match them) and the tests use it.
 *
 * A machine is `<prefix>_<workflowId>`, where the prefix is the CloudFormation stack name. Stack names allow
 * only `[A-Za-z0-9-]`, so the `_` separator keeps one stack's pattern (`Braid_*`) from matching another
 * stack's machines (`Braid-Dev_<id>`), which a `-` separator would.
 */
import { BraidError } from '../errors';

/** Between the stack prefix and the workflow id; a character no CloudFormation stack name contains. */
export const STATE_MACHINE_NAME_SEPARATOR = '_';

/** Step Functions' limit on state machine names. */
export const STATE_MACHINE_NAME_MAX = 80;

/**
 * The state machine name of a workflow.
 * @example stateMachineName('Braid', 'wf1') // 'Braid_wf1'
 */
export function stateMachineName(prefix: string, workflowId: string): string {
  return `${prefix}${STATE_MACHINE_NAME_SEPARATOR}${workflowId}`;
}

/** The `stateMachine:` ARN prefix (`arn:<partition>:states:<region>:<account>:stateMachine:`) of an account and region. */
export interface ArnScope {
  partition: string;
  region: string;
  account: string;
}

/**
 * The partition, region and account of any ARN (for example the executor function's, which the compile
 * function already has), so the state machine ARN is derived, never parsed out of an error message.
 * @example arnScopeOf('arn:aws:lambda:eu-west-1:123456789012:function:x') // { partition: 'aws', region: 'eu-west-1', account: '123456789012' }
 */
export function arnScopeOf(arn: string): ArnScope {
  const [scheme, partition, , region, account] = arn.split(':');
  if (scheme !== 'arn' || !partition || !region || !account) throw new BraidError('invalid_arn', `not a regional ARN: ${arn}`);
  return { partition, region, account };
}

/**
 * The ARN of a state machine by name.
 * @example stateMachineArn(scope, 'Braid_wf1') // 'arn:aws:states:eu-west-1:123456789012:stateMachine:Braid_wf1'
 */
export function stateMachineArn(scope: ArnScope, name: string): string {
  return `arn:${scope.partition}:states:${scope.region}:${scope.account}:stateMachine:${name}`;
}

/**
 * The notifier and gate-timer adapters of a Lambda function, from its environment at cold start:
 * `BRAID_EVENT_BUS_NAME` (notifications to the bus), and `BRAID_SCHEDULER_ROLE_ARN` with
 * `BRAID_NOTIFY_FUNCTION_ARN` (gate reminders and escalations as one-time schedules). Unset: no such port.
 */
import * as z from 'zod';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { EventBridgeNotifier } from '../../shared/adapters/eventbridge-notifier';
import { SchedulerGateTimers } from '../../shared/adapters/scheduler-gate-timers';
import type { GovernancePorts } from '../../shared/services/execution-context';
import { readConfig } from './config';

/** The governance variables. */
export const GovernanceConfigSchema = z.object({
  BRAID_EVENT_BUS_NAME: z.string().min(1).optional(),
  BRAID_SCHEDULER_ROLE_ARN: z.string().startsWith('arn:').optional(),
  BRAID_NOTIFY_FUNCTION_ARN: z.string().startsWith('arn:').optional(),
  BRAID_SCHEDULE_GROUP: z.string().min(1).optional(),
  /** `1` in the notify function itself: the target is this function (its ARN from the Lambda environment). */
  BRAID_NOTIFY_SELF: z.literal('1').optional(),
  AWS_LAMBDA_FUNCTION_NAME: z.string().optional(),
  AWS_REGION: z.string().optional(),
});

/** The notify function's own ARN, from the scheduler role's partition and account and Lambda's variables. */
function selfArn(config: z.infer<typeof GovernanceConfigSchema>): string | undefined {
  const [, partition, , , account] = (config.BRAID_SCHEDULER_ROLE_ARN ?? '').split(':');
  if (!partition || !account || !config.AWS_REGION || !config.AWS_LAMBDA_FUNCTION_NAME) return undefined;
  return `arn:${partition}:lambda:${config.AWS_REGION}:${account}:function:${config.AWS_LAMBDA_FUNCTION_NAME}`;
}

/** Builds the ports the environment configures. */
export function portsFromEnv(env: NodeJS.ProcessEnv = process.env): GovernancePorts {
  const config = readConfig(GovernanceConfigSchema, env);
  const ports: GovernancePorts = {};
  if (config.BRAID_EVENT_BUS_NAME) ports.notifier = new EventBridgeNotifier({ client: new EventBridgeClient({}), busName: config.BRAID_EVENT_BUS_NAME });
  const targetArn = config.BRAID_NOTIFY_FUNCTION_ARN ?? (config.BRAID_NOTIFY_SELF ? selfArn(config) : undefined);
  if (config.BRAID_SCHEDULER_ROLE_ARN && targetArn) {
    ports.timers = new SchedulerGateTimers({
      client: new SchedulerClient({}), roleArn: config.BRAID_SCHEDULER_ROLE_ARN, targetArn,
      ...(config.BRAID_SCHEDULE_GROUP ? { groupName: config.BRAID_SCHEDULE_GROUP } : {}),
    });
  }
  return ports;
}

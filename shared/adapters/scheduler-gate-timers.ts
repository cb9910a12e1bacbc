/**
 * Gate timers on EventBridge Scheduler: one-time schedules `at(yyyy-mm-ddThh:mm:ss)` in UTC, flexible window
 * off, `ActionAfterCompletion: DELETE`, whose target invokes the notify function with the timer event as input,
 * through a role that only `scheduler.amazonaws.com` may assume and that may invoke only that function.
 */
import { ConflictException, CreateScheduleCommand, DeleteScheduleCommand, ResourceNotFoundException, SchedulerClient } from '@aws-sdk/client-scheduler';
import type { GateTimerEvent, GateTimers } from '../ports/gate-timers';

/** What the adapter needs. */
export interface SchedulerGateTimersOptions {
  client: SchedulerClient;
  /** The notify function the schedules invoke. */
  targetArn: string;
  /** The role the scheduler assumes to invoke it. */
  roleArn: string;
  /** @default "default" */
  groupName?: string;
}

/** `at(...)` of a date, to the second, UTC (the scheduler fires within its 60-second precision). */
export function atExpression(at: Date): string {
  return `at(${at.toISOString().slice(0, 19)})`;
}

/** Gate timers as one-time schedules. */
export class SchedulerGateTimers implements GateTimers {
  constructor(private readonly options: SchedulerGateTimersOptions) {}

  async schedule(name: string, at: Date, event: GateTimerEvent): Promise<void> {
    try {
      await this.options.client.send(new CreateScheduleCommand({
        Name: name, GroupName: this.options.groupName ?? 'default',
        ScheduleExpression: atExpression(at), ScheduleExpressionTimezone: 'UTC',
        FlexibleTimeWindow: { Mode: 'OFF' }, ActionAfterCompletion: 'DELETE',
        Target: { Arn: this.options.targetArn, RoleArn: this.options.roleArn, Input: JSON.stringify(event), RetryPolicy: { MaximumRetryAttempts: 3 } },
      }));
    } catch (error) {
      if (!(error instanceof ConflictException)) throw error;
    }
  }

  async cancel(names: readonly string[]): Promise<void> {
    for (const name of names) {
      try {
        await this.options.client.send(new DeleteScheduleCommand({ Name: name, GroupName: this.options.groupName ?? 'default' }));
      } catch (error) {
        if (!(error instanceof ResourceNotFoundException)) throw error;
      }
    }
  }
}

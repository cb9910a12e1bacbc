/**
 * Governance resources: the notifications bus (gate opened, reminded, escalated, decided; an agent asked; run finished), its
 * rule that hands each notification to the notify function (signed webhooks), and gate timers on EventBridge
 * Scheduler (a schedule group, and the role the scheduler assumes to invoke only the notify function).
 * Least privilege: functions that publish may `events:PutEvents` on this bus only; functions that open or close
 * gates may create and delete schedules in this group only, and pass only the scheduler role, only to the
 * scheduler.
 */
import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import { EventBus, Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { CfnScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { BraidFunction, FunctionName } from './braid-function';
import { suppress } from './nag';
import { stateMachineName } from '../../shared/adapters/sfn-names';

/** Functions that publish notifications (they open, decide or close gates, or finish runs). */
export const PUBLISHERS: readonly FunctionName[] = ['api', 'gate', 'executor', 'finalizer', 'notify'];
/** Functions that schedule or delete gate timers. */
export const TIMER_OWNERS: readonly FunctionName[] = ['api', 'gate', 'executor', 'finalizer', 'notify'];

/** Props of {@link Governance}. */
export interface GovernanceProps {
  functions: Record<FunctionName, BraidFunction>;
  /** The stack prefix: names the bus and the schedule group. */
  prefix: string;
  /** Dead letters of the bus rule's target. */
  deadLetterQueue: IQueue;
  /** `BRAID_EGRESS_ALLOW` for webhooks (the executor's, `braid:egressAllow`). @default none */
  egressAllow?: string;
}

/** The notifications bus and the gate timers. */
export class Governance extends Construct {
  /** Where Braid publishes notifications (source `braid`). */
  readonly bus: EventBus;
  /** The role EventBridge Scheduler assumes to invoke the notify function. */
  readonly schedulerRole: Role;
  /** The schedule group of gate timers. */
  readonly scheduleGroupName: string;

  constructor(scope: Construct, id: string, props: GovernanceProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const fns = props.functions;
    const notify = fns.notify;

    if (props.egressAllow) notify.fn.addEnvironment('BRAID_EGRESS_ALLOW', props.egressAllow);
    this.bus = new EventBus(this, 'Bus', { eventBusName: `${props.prefix}-notifications`, description: 'Braid notifications: gates and finished runs' });
    new Rule(this, 'Webhooks', {
      description: 'Deliver each Braid notification to its workflow\'s webhook',
      eventBus: this.bus,
      eventPattern: { source: ['braid'] },
      targets: [new LambdaFunction(notify.fn, { deadLetterQueue: props.deadLetterQueue, retryAttempts: 4, maxEventAge: Duration.hours(2) })],
    });

    this.scheduleGroupName = `${props.prefix}-gates`;
    const group = new CfnScheduleGroup(this, 'Timers', { name: this.scheduleGroupName });
    this.schedulerRole = new Role(this, 'SchedulerRole', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': stack.account } } }),
      description: 'EventBridge Scheduler invokes the Braid notify function for gate reminders and escalations',
    });
    this.schedulerRole.addToPolicy(new PolicyStatement({ sid: 'InvokeNotify', actions: ['lambda:InvokeFunction'], resources: [notify.fn.functionArn] }));

    const scheduleArn = stack.formatArn({ service: 'scheduler', resource: 'schedule', resourceName: `${this.scheduleGroupName}/*`, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
    for (const name of new Set([...PUBLISHERS, ...TIMER_OWNERS])) {
      const fn = fns[name];
      if (PUBLISHERS.includes(name)) {
        fn.role.addToPolicy(new PolicyStatement({ sid: 'PublishNotifications', actions: ['events:PutEvents'], resources: [this.bus.eventBusArn] }));
        fn.fn.addEnvironment('BRAID_EVENT_BUS_NAME', this.bus.eventBusName);
      }
      if (TIMER_OWNERS.includes(name)) {
        fn.role.addToPolicy(new PolicyStatement({ sid: 'GateTimers', actions: ['scheduler:CreateSchedule', 'scheduler:DeleteSchedule'], resources: [scheduleArn] }));
        fn.role.addToPolicy(new PolicyStatement({
          sid: 'PassSchedulerRole', actions: ['iam:PassRole'], resources: [this.schedulerRole.roleArn],
          conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
        }));
        fn.fn.addEnvironment('BRAID_SCHEDULER_ROLE_ARN', this.schedulerRole.roleArn);
        fn.fn.addEnvironment('BRAID_SCHEDULE_GROUP', group.ref);
        // The notify function schedules its own next reminder: its ARN is read at run time (a reference to
        // itself in its own environment would be a cycle).
        if (name === 'notify') fn.fn.addEnvironment('BRAID_NOTIFY_SELF', '1');
        else fn.fn.addEnvironment('BRAID_NOTIFY_FUNCTION_ARN', notify.fn.functionArn);
      }
      suppress(fn.role, {
        [`AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/${this.scheduleGroupName}/*]`]:
          'Gate timers are one-time schedules created at run time, one per gate reminder or escalation; the pattern is this stack\'s schedule group.',
      });
    }
    // Budget checks complete their own task token with the executor's `CompleteOwnTasks` grant (orchestration.ts).
  }
}

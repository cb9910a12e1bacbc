/**
 * Step Functions around the compiled state machines: the role they all run as, their log group, the
 * compile/api/gate/finalizer permissions scoped to the stack's name prefix, and the finalization rules.
 */
import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { STATE_MACHINE_NAME_SEPARATOR, stateMachineName } from '../../shared/adapters/sfn-names';
import type { BraidFunction, FunctionName } from './braid-function';
import { suppress } from './nag';

/** Props of {@link Orchestration}. */
export interface OrchestrationProps {
  functions: Record<FunctionName, BraidFunction>;
  /** Dead letters of the finalizer's EventBridge targets. */
  finalizerDlq: IQueue;
  /** Every compiled state machine is named `<prefix>_<workflowId>`; permissions cover only those. */
  prefix: string;
  logRetention: RetentionDays;
  destroyLogs: boolean;
  /** Function names (pattern) that `lambda` tools may invoke. */
  toolFunctionPattern: string;
}

/** The Step Functions side of the stack. */
export class Orchestration extends Construct {
  /** The role every compiled state machine runs as. */
  readonly stateMachineRole: Role;
  /** Where every compiled state machine logs. */
  readonly logGroup: LogGroup;
  /** `arn:aws:states:<region>:<account>:stateMachine:<prefix>_*` (machines and their versions). */
  readonly stateMachineArnPattern: string;
  /** `arn:aws:states:<region>:<account>:execution:<prefix>_*`. */
  readonly executionArnPattern: string;

  constructor(scope: Construct, id: string, props: OrchestrationProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const fns = props.functions;
    // `_` cannot occur in a stack name, so `<prefix>_*` never matches another stack's machines (`Braid-Dev_…`).
    const states = (resource: string, suffix: string) => stack.formatArn({
      service: 'states', resource, resourceName: stateMachineName(props.prefix, suffix), arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    this.stateMachineArnPattern = states('stateMachine', '*');
    this.executionArnPattern = states('execution', '*');

    this.logGroup = new LogGroup(this, 'StateMachineLogs', {
      logGroupName: `/aws/vendedlogs/states/${props.prefix}`,
      retention: props.logRetention,
      removalPolicy: props.destroyLogs ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    });

    const executor = fns.executor.fn;
    this.stateMachineRole = new Role(this, 'StateMachineRole', {
      assumedBy: new ServicePrincipal('states.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': stack.account } } }),
      description: 'Role of every compiled Braid state machine: invoke the executor, trace, log',
    });
    this.stateMachineRole.addToPolicy(new PolicyStatement({
      sid: 'InvokeExecutor', actions: ['lambda:InvokeFunction'], resources: [executor.functionArn],
    }));
    this.stateMachineRole.addToPolicy(new PolicyStatement({
      sid: 'Tracing',
      actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets'],
      resources: ['*'],
    }));
    this.stateMachineRole.addToPolicy(logDelivery());
    // A map whose items may not fit one history runs as a Distributed Map: the machine starts child executions of
    // itself and watches (and on cancel stops) them (Step Functions "IAM policies for Distributed Map").
    this.stateMachineRole.addToPolicy(new PolicyStatement({
      sid: 'DistributedMapStart', actions: ['states:StartExecution'], resources: [this.stateMachineArnPattern],
    }));
    this.stateMachineRole.addToPolicy(new PolicyStatement({
      sid: 'DistributedMapChildren', actions: ['states:DescribeExecution', 'states:StopExecution'], resources: [this.executionArnPattern],
    }));
    suppress(this.stateMachineRole, {
      'AwsSolutions-IAM5[Resource::*]': 'X-Ray and CloudWatch Logs vended log delivery actions support no resource-level permissions (Step Functions logging and tracing documentation).',
      [`AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:stateMachine:${props.prefix}${STATE_MACHINE_NAME_SEPARATOR}*]`]:
        'A Distributed Map starts child executions of its own state machine, created at run time; the pattern is the stack prefix.',
      [`AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:${props.prefix}${STATE_MACHINE_NAME_SEPARATOR}*]`]:
        'A Distributed Map describes and stops its child executions, named at run time; the pattern is the stack prefix.',
    });

    // compile (publishing) and finalizer (re-planning with learned durations): register state machines named
    // <prefix>_*, passing only the role above.
    for (const registrar of [fns.compile, fns.finalizer]) {
      registrar.role.addToPolicy(new PolicyStatement({
        sid: 'RegisterStateMachines',
        actions: [
          // What SfnOrchestrator.register calls (shared/adapters/aws-calls.ts); publish: true needs PublishStateMachineVersion.
          'states:CreateStateMachine', 'states:UpdateStateMachine', 'states:PublishStateMachineVersion',
        ],
        resources: [this.stateMachineArnPattern],
      }));
      registrar.role.addToPolicy(new PolicyStatement({
        sid: 'PassStateMachineRole',
        actions: ['iam:PassRole'],
        resources: [this.stateMachineRole.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'states.amazonaws.com' } },
      }));
      // CreateStateMachine/UpdateStateMachine with a loggingConfiguration set up a vended log delivery as the
      // caller: CloudWatch Logs requires CreateLogDelivery, PutResourcePolicy, DescribeResourcePolicies and
      // DescribeLogGroups of "the user setting up the logging" (AWS-logs-infrastructure-CWL), and Step Functions
      // lists Get/Update/Delete/ListLogDeliveries for updates (cw-logs). None has resource-level permissions.
      registrar.role.addToPolicy(logDelivery());
      registrar.fn.addEnvironment('EXECUTOR_ARN', executor.functionArn);
      registrar.fn.addEnvironment('STATE_MACHINE_ROLE_ARN', this.stateMachineRole.roleArn);
      registrar.fn.addEnvironment('STATE_MACHINE_PREFIX', props.prefix);
      registrar.fn.addEnvironment('STATE_MACHINE_LOG_GROUP_ARN', this.logGroup.logGroupArn);
      suppress(registrar.role, {
        [`AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:stateMachine:${props.prefix}${STATE_MACHINE_NAME_SEPARATOR}*]`]:
          'State machines are created at run time, one per workflow; the pattern is the stack prefix and nothing else.',
        'AwsSolutions-IAM5[Resource::*]': 'CloudWatch Logs vended log delivery actions (set up by CreateStateMachine with logging) support no resource-level permissions.',
      });
    }
    // compile also prunes old versions no run in flight is pinned to (Step Functions keeps at most 1,000 per machine).
    fns.compile.role.addToPolicy(new PolicyStatement({
      sid: 'PruneStateMachineVersions', actions: ['states:DeleteStateMachineVersion'], resources: [this.stateMachineArnPattern],
    }));

    // api: start runs on published versions, stop and describe their executions.
    const api = fns.api;
    api.role.addToPolicy(new PolicyStatement({
      sid: 'StartRuns', actions: ['states:StartExecution'], resources: [this.stateMachineArnPattern],
    }));
    api.role.addToPolicy(new PolicyStatement({
      // RedriveExecution: `POST …/runs/{runId}/redrive` continues a failed run's execution.
      sid: 'ManageRuns', actions: ['states:StopExecution', 'states:DescribeExecution', 'states:RedriveExecution'], resources: [this.executionArnPattern],
    }));
    api.role.addToPolicy(new PolicyStatement({
      // A deleted workflow's machine goes once no run of it is in flight.
      sid: 'DeleteStateMachines', actions: ['states:DeleteStateMachine'], resources: [this.stateMachineArnPattern],
    }));
    suppress(api.role, {
      [`AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:stateMachine:${props.prefix}${STATE_MACHINE_NAME_SEPARATOR}*]`]:
        'Runs start on state machine versions created at run time; the pattern is the stack prefix.',
      [`AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:${props.prefix}${STATE_MACHINE_NAME_SEPARATOR}*]`]:
        'Executions are named after run ids at run time; the pattern is the stack prefix.',
    });

    // gate: decides human gates with SendTask* (the executor also holds it, below, for tokens it answers itself).
    const gate = fns.gate;
    gate.role.addToPolicy(new PolicyStatement({
      sid: 'DecideGates', actions: ['states:SendTaskSuccess', 'states:SendTaskFailure'], resources: [this.stateMachineArnPattern],
    }));
    suppress(gate.role, {
      [`AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:stateMachine:${props.prefix}${STATE_MACHINE_NAME_SEPARATOR}*]`]:
        'Gate tokens belong to state machines created at run time; the pattern is the stack prefix.',
    });

    // executor: completes the token tasks it answers itself (a rerun's reused gates), on the stack's machines only.
    fns.executor.role.addToPolicy(new PolicyStatement({
      sid: 'CompleteOwnTasks', actions: ['states:SendTaskSuccess', 'states:SendTaskFailure'], resources: [this.stateMachineArnPattern],
    }));
    // executor: workflow_call nodes start their child runs, and stop a child whose parent ended while it started.
    fns.executor.role.addToPolicy(new PolicyStatement({
      sid: 'StartChildRuns', actions: ['states:StartExecution'], resources: [this.stateMachineArnPattern],
    }));
    fns.executor.role.addToPolicy(new PolicyStatement({
      sid: 'StopChildRuns', actions: ['states:StopExecution'], resources: [this.executionArnPattern],
    }));
    suppress(fns.executor.role, {
      [`AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:stateMachine:${props.prefix}${STATE_MACHINE_NAME_SEPARATOR}*]`]:
        'Task tokens and child runs belong to state machines created at run time; the pattern is the stack prefix.',
      [`AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:${props.prefix}${STATE_MACHINE_NAME_SEPARATOR}*]`]:
        'Child run executions are named after run ids at run time; the pattern is the stack prefix.',
    });

    // executor: `lambda` tool nodes invoke the user's functions, limited to a name pattern.
    const toolArn = stack.formatArn({
      service: 'lambda', resource: 'function', resourceName: props.toolFunctionPattern, arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    fns.executor.role.addToPolicy(new PolicyStatement({
      sid: 'InvokeTools', effect: Effect.ALLOW, actions: ['lambda:InvokeFunction'], resources: [toolArn, `${toolArn}:*`],
    }));
    suppress(fns.executor.role, {
      [`AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:lambda:<AWS::Region>:<AWS::AccountId>:function:${props.toolFunctionPattern}]`]:
        'Tool functions are named by workflow authors; the executor may invoke only the configured name pattern (context braid:toolFunctionPattern).',
      [`AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:lambda:<AWS::Region>:<AWS::AccountId>:function:${props.toolFunctionPattern}:*]`]:
        'Versions and aliases of the same tool functions.',
    });

    // finalizer: reconcile runs whose execution ended without `finalize`, on status events and on a schedule.
    const finalizer = fns.finalizer;
    finalizer.role.addToPolicy(new PolicyStatement({
      sid: 'ReadRuns', actions: ['states:DescribeExecution'], resources: [this.executionArnPattern],
    }));
    finalizer.role.addToPolicy(new PolicyStatement({
      // Workflow calls: a child run's end completes its parent's task token; a parent's end stops its children.
      sid: 'SettleWorkflowCalls', actions: ['states:SendTaskSuccess', 'states:SendTaskFailure'], resources: [this.stateMachineArnPattern],
    }));
    finalizer.role.addToPolicy(new PolicyStatement({
      sid: 'StopChildRuns', actions: ['states:StopExecution'], resources: [this.executionArnPattern],
    }));
    finalizer.role.addToPolicy(new PolicyStatement({
      // When the last run of a deleted workflow ends, its machine goes.
      sid: 'DeleteStateMachines', actions: ['states:DeleteStateMachine'], resources: [this.stateMachineArnPattern],
    }));
    suppress(finalizer.role, {
      [`AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:${props.prefix}${STATE_MACHINE_NAME_SEPARATOR}*]`]:
        'Executions are named after run ids at run time; the pattern is the stack prefix.',
      [`AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:stateMachine:${props.prefix}${STATE_MACHINE_NAME_SEPARATOR}*]`]:
        'State machines are created per workflow at run time; the pattern is the stack prefix.',
    });
    const target = new LambdaFunction(finalizer.fn, { deadLetterQueue: props.finalizerDlq, retryAttempts: 4, maxEventAge: Duration.hours(2) });
    new Rule(this, 'ExecutionEnded', {
      description: 'Finalize Braid runs whose execution ended (best effort: the schedule below catches misses)',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: {
          status: ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'],
          stateMachineArn: [{ prefix: states('stateMachine', '') }],
        },
      },
      targets: [target],
    });
    new Rule(this, 'Reconcile', {
      description: 'Reconcile Braid runs stuck in running (Step Functions status events are best effort)',
      schedule: Schedule.rate(Duration.minutes(15)),
      targets: [target],
    });
  }
}

/** Vended log delivery for state machine logging (CloudWatch Logs: no resource-level permissions). */
function logDelivery(): PolicyStatement {
  return new PolicyStatement({
    sid: 'LogDelivery',
    actions: [
      'logs:CreateLogDelivery', 'logs:GetLogDelivery', 'logs:UpdateLogDelivery', 'logs:DeleteLogDelivery',
      'logs:ListLogDeliveries', 'logs:PutResourcePolicy', 'logs:DescribeResourcePolicies', 'logs:DescribeLogGroups',
    ],
    resources: ['*'],
  });
}

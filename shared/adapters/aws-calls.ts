/**
 * Who calls what on AWS at run time: every IAM action Braid's code (or a service on its behalf) needs, by
 * caller and resource. Kept beside the adapters that make the calls; the CDK stack grants the table actions
 * from it, `test/infra/iam-review.test.ts` checks every entry against the synthesized roles (and every grant
 * against the list), and ARCHITECTURE.md's "Who calls what" table is rendered from it.
 */

/**
 * A caller: a function (by entry folder), the role every compiled state machine runs as, or the role EventBridge
 * Scheduler assumes for gate timers.
 */
export type AwsCaller =
  | 'api' | 'compile' | 'gate' | 'executor' | 'finalizer'
  | 'ws-authorizer' | 'ws-connect' | 'ws-disconnect' | 'ws-message' | 'ws-fanout' | 'notify'
  | 'state-machine' | 'scheduler';

/** The kinds of resource a call is scoped to, each a pattern the stack builds. */
export type AwsResourceKind =
  | 'table' | 'table-index' | 'table-stream'
  | 'state-machine' | 'execution' | 'state-machine-role'
  | 'executor-function' | 'tool-function' | 'ws-connections' | 'own-log-group'
  | 'finalizer-dlq' | 'fanout-failures'
  | 'user-secrets' | 'cursor-key'
  | 'event-bus' | 'gate-schedules' | 'scheduler-role' | 'notify-function'
  | 'unscoped';

/** What each resource kind is, as a grant's resource. */
export const RESOURCE_KINDS: Record<AwsResourceKind, string> = {
  'table': 'the table',
  'table-index': 'the table\'s indexes (`<table>/index/*`)',
  'table-stream': 'the table\'s stream',
  'state-machine': '`stateMachine:<stack>_*` (machines and versions)',
  'execution': '`execution:<stack>_*`',
  'state-machine-role': 'the state machine role',
  'executor-function': 'the executor function',
  'tool-function': '`function:<braid:toolFunctionPattern>` (and its versions)',
  'ws-connections': '`<ws-api>/live/*/@connections/*`',
  'own-log-group': 'the caller\'s own log group',
  'finalizer-dlq': 'the finalizer\'s dead-letter queue',
  'fanout-failures': 'the fan-out\'s on-failure queue',
  'user-secrets': '`secret:braid/<stack>/u/*` (users\' secrets)',
  'cursor-key': 'the cursor-signing key secret',
  'event-bus': 'the notifications bus (`<stack>-notifications`)',
  'gate-schedules': '`schedule/<stack>-gates/*` (gate timers)',
  'scheduler-role': 'the gate-timer scheduler role (passed only to `scheduler.amazonaws.com`)',
  'notify-function': 'the notify function',
  'unscoped': '`*` (the action has no resource-level permissions)',
};

/** One call. */
export interface AwsCall {
  caller: AwsCaller;
  /** The IAM action. */
  action: string;
  resource: AwsResourceKind;
  /** Where the call is made (the adapter or service), for the table. */
  via: string;
}

/** Functions that read and write the table (the authorizer only checks tokens). */
export const TABLE_CALLERS = ['api', 'compile', 'gate', 'executor', 'finalizer', 'ws-connect', 'ws-disconnect', 'ws-message', 'ws-fanout', 'notify'] as const;

/**
 * The DynamoDB actions the store's commands need (`Get`, `Put`, `Update`, `Delete`, `Query`, `BatchGet`, and
 * `BatchWrite` for a map's items, 25 per call, and the approvals inbox's fan-out entries, `shared/store/inbox.ts`): no `Scan`, no transactions.
 */
export const TABLE_ACTIONS = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:Query', 'dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem'] as const;

/** Log delivery set up by CreateStateMachine/UpdateStateMachine with a logging configuration. */
export const LOG_DELIVERY_ACTIONS = [
  'logs:CreateLogDelivery', 'logs:GetLogDelivery', 'logs:UpdateLogDelivery', 'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries', 'logs:PutResourcePolicy', 'logs:DescribeResourcePolicies', 'logs:DescribeLogGroups',
] as const;

const ALL_FUNCTIONS: AwsCaller[] = ['api', 'compile', 'gate', 'executor', 'finalizer', 'ws-authorizer', 'ws-connect', 'ws-disconnect', 'ws-message', 'ws-fanout', 'notify'];
const SFN = 'SfnOrchestrator (`shared/adapters/sfn-orchestrator.ts`)';
/** Functions that publish notifications and schedule gate timers (`infra/stack/governance.ts`). */
const GOVERNANCE_CALLERS: AwsCaller[] = ['api', 'gate', 'executor', 'finalizer', 'notify'];

/** Every call, in a stable order. */
export const AWS_CALLS: readonly AwsCall[] = [
  ...ALL_FUNCTIONS.flatMap((caller): AwsCall[] => [
    { caller, action: 'logs:CreateLogStream', resource: 'own-log-group', via: 'Lambda runtime' },
    { caller, action: 'logs:PutLogEvents', resource: 'own-log-group', via: 'Lambda runtime' },
    { caller, action: 'xray:PutTraceSegments', resource: 'unscoped', via: 'Lambda active tracing' },
    { caller, action: 'xray:PutTelemetryRecords', resource: 'unscoped', via: 'Lambda active tracing' },
  ]),
  ...TABLE_CALLERS.flatMap((caller): AwsCall[] => [
    ...TABLE_ACTIONS.map((action): AwsCall => ({ caller, action, resource: 'table', via: 'the store (`shared/store/`)' })),
    { caller, action: 'dynamodb:Query', resource: 'table-index', via: 'listings (`shared/store/query.ts`)' },
  ]),
  // compile publishes versions; the finalizer re-plans them with learned durations (`shared/services/plan-learning.ts`).
  ...(['compile', 'finalizer'] as const).flatMap((caller): AwsCall[] => [
    { caller, action: 'states:CreateStateMachine', resource: 'state-machine', via: SFN },
    { caller, action: 'states:UpdateStateMachine', resource: 'state-machine', via: SFN },
    { caller, action: 'states:PublishStateMachineVersion', resource: 'state-machine', via: `${SFN} (\`publish: true\`)` },
    { caller, action: 'iam:PassRole', resource: 'state-machine-role', via: SFN },
    ...LOG_DELIVERY_ACTIONS.map((action): AwsCall => ({ caller, action, resource: 'unscoped', via: `${SFN} (\`loggingConfiguration\`)` })),
  ]),
  { caller: 'compile', action: 'states:DeleteStateMachineVersion', resource: 'state-machine', via: `${SFN}, version pruning (\`shared/services/machine-cleanup.ts\`)` },
  { caller: 'api', action: 'states:StartExecution', resource: 'state-machine', via: SFN },
  { caller: 'api', action: 'states:StopExecution', resource: 'execution', via: SFN },
  { caller: 'api', action: 'states:DescribeExecution', resource: 'execution', via: SFN },
  { caller: 'api', action: 'states:RedriveExecution', resource: 'execution', via: `${SFN}, \`POST …/runs/{runId}/redrive\`` },
  { caller: 'api', action: 'states:DeleteStateMachine', resource: 'state-machine', via: `${SFN}, a deleted workflow's machine (\`shared/services/machine-cleanup.ts\`)` },
  { caller: 'gate', action: 'states:SendTaskSuccess', resource: 'state-machine', via: `${SFN}, gate decisions and replies to agents` },
  { caller: 'gate', action: 'states:SendTaskFailure', resource: 'state-machine', via: SFN },
  { caller: 'executor', action: 'states:SendTaskSuccess', resource: 'state-machine', via: `${SFN}, a rerun's reused gates, a resumed run's decided gates, an agent's reply task when the reply came first` },
  { caller: 'executor', action: 'states:SendTaskFailure', resource: 'state-machine', via: `${SFN}, a resumed run's rejected gates` },
  { caller: 'finalizer', action: 'states:DescribeExecution', resource: 'execution', via: `${SFN}, reconciliation` },
  { caller: 'finalizer', action: 'states:DeleteStateMachine', resource: 'state-machine', via: `${SFN}, a deleted workflow's machine when its last run ends` },
  { caller: 'executor', action: 'states:SendTaskSuccess', resource: 'state-machine', via: `${SFN}, budget checks completing their own token` },
  { caller: 'executor', action: 'states:StartExecution', resource: 'state-machine', via: `${SFN}, a workflow_call starting its child run (\`shared/services/workflow-call.ts\`)` },
  { caller: 'executor', action: 'states:StopExecution', resource: 'execution', via: `${SFN}, a child run whose parent ended while it started` },
  { caller: 'finalizer', action: 'states:SendTaskSuccess', resource: 'state-machine', via: `${SFN}, a child run's end completing its parent's workflow_call (\`shared/services/call-settle.ts\`)` },
  { caller: 'finalizer', action: 'states:SendTaskFailure', resource: 'state-machine', via: `${SFN}, a failed child run failing its parent's workflow_call` },
  { caller: 'finalizer', action: 'states:StopExecution', resource: 'execution', via: `${SFN}, cancelling the child runs of a run that ended` },
  ...GOVERNANCE_CALLERS.flatMap((caller): AwsCall[] => [
    { caller, action: 'events:PutEvents', resource: 'event-bus', via: 'EventBridgeNotifier (`shared/adapters/eventbridge-notifier.ts`)' },
    { caller, action: 'scheduler:CreateSchedule', resource: 'gate-schedules', via: 'SchedulerGateTimers (`shared/adapters/scheduler-gate-timers.ts`)' },
    { caller, action: 'scheduler:DeleteSchedule', resource: 'gate-schedules', via: 'SchedulerGateTimers (`shared/adapters/scheduler-gate-timers.ts`)' },
    { caller, action: 'iam:PassRole', resource: 'scheduler-role', via: 'SchedulerGateTimers (`shared/adapters/scheduler-gate-timers.ts`)' },
  ]),
  { caller: 'scheduler', action: 'lambda:InvokeFunction', resource: 'notify-function', via: 'EventBridge Scheduler (gate reminders and escalations)' },
  { caller: 'executor', action: 'lambda:InvokeFunction', resource: 'tool-function', via: '`lambda` tools (`shared/executors/lambda-tool.ts`)' },
  { caller: 'executor', action: 'secretsmanager:GetSecretValue', resource: 'user-secrets', via: 'the vault (`shared/secrets/`), `{ secret }` references' },
  ...(['secretsmanager:CreateSecret', 'secretsmanager:PutSecretValue', 'secretsmanager:DeleteSecret', 'secretsmanager:TagResource'] as const).map((action): AwsCall => (
    { caller: 'api', action, resource: 'user-secrets', via: 'the secrets routes (`shared/secrets/`)' })),
  ...(['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'] as const).map((action): AwsCall => (
    { caller: 'api', action, resource: 'cursor-key', via: 'cursor signing key at cold start (`functions/api/handler.ts`)' })),
  { caller: 'ws-message', action: 'execute-api:ManageConnections', resource: 'ws-connections', via: 'poster (`shared/live/poster.ts`)' },
  { caller: 'ws-fanout', action: 'execute-api:ManageConnections', resource: 'ws-connections', via: 'poster (`shared/live/poster.ts`)' },
  ...(['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'] as const).map((action): AwsCall => (
    { caller: 'ws-fanout', action, resource: 'table-stream', via: 'Lambda event source mapping' })),
  { caller: 'ws-fanout', action: 'dynamodb:ListStreams', resource: 'unscoped', via: 'Lambda event source mapping' },
  ...(['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'] as const).map((action): AwsCall => (
    { caller: 'ws-fanout', action, resource: 'fanout-failures', via: 'Lambda event source mapping (on-failure destination)' })),
  { caller: 'finalizer', action: 'sqs:SendMessage', resource: 'finalizer-dlq', via: 'Lambda asynchronous invocation (dead-letter queue)' },
  { caller: 'notify', action: 'sqs:SendMessage', resource: 'finalizer-dlq', via: 'Lambda asynchronous invocation (dead-letter queue)' },
  { caller: 'state-machine', action: 'lambda:InvokeFunction', resource: 'executor-function', via: 'every Task (`lambda:invoke`)' },
  ...(['xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets'] as const).map((action): AwsCall => (
    { caller: 'state-machine', action, resource: 'unscoped', via: 'Step Functions X-Ray tracing' })),
  ...LOG_DELIVERY_ACTIONS.map((action): AwsCall => ({ caller: 'state-machine', action, resource: 'unscoped', via: 'Step Functions logging' })),
  { caller: 'state-machine', action: 'states:StartExecution', resource: 'state-machine', via: 'a Distributed Map starting its child executions' },
  { caller: 'state-machine', action: 'states:DescribeExecution', resource: 'execution', via: 'a Distributed Map watching its child executions' },
  { caller: 'state-machine', action: 'states:StopExecution', resource: 'execution', via: 'a Distributed Map stopping its child executions' },
];

/** SDK command class → IAM action, for every command the code constructs (checked by a test over the sources). */
export const COMMAND_ACTIONS: Record<string, string> = {
  GetCommand: 'dynamodb:GetItem', PutCommand: 'dynamodb:PutItem', UpdateCommand: 'dynamodb:UpdateItem',
  DeleteCommand: 'dynamodb:DeleteItem', QueryCommand: 'dynamodb:Query', BatchGetCommand: 'dynamodb:BatchGetItem',
  BatchWriteCommand: 'dynamodb:BatchWriteItem',
  PutEventsCommand: 'events:PutEvents', CreateScheduleCommand: 'scheduler:CreateSchedule', DeleteScheduleCommand: 'scheduler:DeleteSchedule',
  CreateStateMachineCommand: 'states:CreateStateMachine', UpdateStateMachineCommand: 'states:UpdateStateMachine',
  StartExecutionCommand: 'states:StartExecution', StopExecutionCommand: 'states:StopExecution',
  DescribeExecutionCommand: 'states:DescribeExecution', RedriveExecutionCommand: 'states:RedriveExecution', SendTaskSuccessCommand: 'states:SendTaskSuccess',
  SendTaskFailureCommand: 'states:SendTaskFailure', InvokeCommand: 'lambda:InvokeFunction',
  DeleteStateMachineCommand: 'states:DeleteStateMachine', DeleteStateMachineVersionCommand: 'states:DeleteStateMachineVersion',
  PostToConnectionCommand: 'execute-api:ManageConnections',
  GetSecretValueCommand: 'secretsmanager:GetSecretValue', CreateSecretCommand: 'secretsmanager:CreateSecret',
  PutSecretValueCommand: 'secretsmanager:PutSecretValue', DeleteSecretCommand: 'secretsmanager:DeleteSecret',
};

/** Commands only the local stack sends (`shared/store/create-table.ts` makes the dynalite table); never deployed. */
export const LOCAL_ONLY_COMMANDS: ReadonlySet<string> = new Set(['CreateTableCommand', 'DescribeTableCommand']);

/**
 * The "who calls what" table in Markdown (runtime calls only: the logging and tracing every function has are
 * summarized in one line), as ARCHITECTURE.md holds it.
 */
export function renderAwsCallsTable(calls: readonly AwsCall[] = AWS_CALLS): string {
  const rows = new Map<string, { caller: AwsCaller; resource: AwsResourceKind; via: string; actions: string[] }>();
  for (const call of calls) {
    if (call.via === 'Lambda runtime' || call.via === 'Lambda active tracing') continue;
    const callers = TABLE_CALLERS as readonly string[];
    const who = call.resource.startsWith('table') && call.resource !== 'table-stream' && callers.includes(call.caller) ? 'every table function' : call.caller;
    const key = `${who}|${call.resource}|${call.via}`;
    const row = rows.get(key) ?? { caller: call.caller, resource: call.resource, via: call.via, actions: [] };
    if (!row.actions.includes(call.action)) row.actions.push(call.action);
    rows.set(key, row);
  }
  const lines = [
    '| caller | actions | on | made by |',
    '| --- | --- | --- | --- |',
    '| every function | `logs:CreateLogStream`, `logs:PutLogEvents`; `xray:PutTraceSegments`, `xray:PutTelemetryRecords` | its own log group; `*` | Lambda runtime, active tracing |',
  ];
  for (const [key, row] of rows) {
    const who = key.split('|')[0] === 'every table function' ? `every table function (${TABLE_CALLERS.join(', ')})` : row.caller;
    lines.push(`| ${who} | ${row.actions.map((a) => `\`${a}\``).join(', ')} | ${RESOURCE_KINDS[row.resource]} | ${row.via} |`);
  }
  return lines.join('\n');
}

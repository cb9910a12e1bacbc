import { rmSync } from 'node:fs';
import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES, WS_ROUTES } from '../../functions/http/routes';
import { EVENT_SK_PREFIX, TABLE_SCHEMA } from '../../shared/store/table';
import { actionsOf, resourcesOf, statements, synthBraid, type Statement, type Synthesized } from './synth';

/** Actions that AWS does not scope to resources: the only ones allowed on `Resource: "*"`. */
const RESOURCE_STAR_ALLOWED = new Set([
  // Lambda and Step Functions active tracing.
  'xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets',
  // Step Functions logging uses CloudWatch Logs vended log delivery, which has no resource-level permissions.
  'logs:CreateLogDelivery', 'logs:GetLogDelivery', 'logs:UpdateLogDelivery', 'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries', 'logs:PutResourcePolicy', 'logs:DescribeResourcePolicies', 'logs:DescribeLogGroups',
  // The stream event source lists the table's streams.
  'dynamodb:ListStreams',
]);

let s: Synthesized;
let all: { policy: string; roles: unknown; statement: Statement }[];

beforeAll(() => {
  // The API stack alone: the console's hosting (and CDK's BucketDeployment function) is asserted in console.test.ts.
  s = synthBraid({ bundle: false, context: { 'braid:console': 'false' } });
  all = statements(s.template);
});

afterAll(() => {
  rmSync(s.assemblyDir, { recursive: true, force: true });
});

/** Logical id of a function's role, found through the function's tag. */
function roleOf(name: string): string {
  const fns = s.template.findResources('AWS::Lambda::Function', {
    Properties: { Tags: [{ Key: 'braid:function', Value: name }] },
  });
  const fn = Object.values(fns)[0];
  if (!fn) throw new Error(`no function ${name}`);
  return (fn['Properties'].Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
}

function statementsOfRole(roleId: string): Statement[] {
  return all.filter((e) => JSON.stringify(e.roles) === JSON.stringify([{ Ref: roleId }])).map((e) => e.statement);
}

function stateMachineRoleId(): string {
  const roles = s.template.findResources('AWS::IAM::Role', {
    Properties: { AssumeRolePolicyDocument: { Statement: [{ Principal: { Service: 'states.amazonaws.com' } }] } },
  });
  const ids = Object.keys(roles);
  expect(ids).toHaveLength(1);
  return ids[0] as string;
}

describe('IAM', () => {
  it('grants no wildcard action', () => {
    // Prepare
    const actions = all.flatMap((e) => actionsOf(e.statement));
    // Act
    const wild = actions.filter((a) => a === '*' || a.endsWith(':*'));
    // Assess
    expect(actions.length).toBeGreaterThan(20);
    expect(wild).toEqual([]);
  });

  it('uses Resource "*" only for actions that have no resource-level permissions', () => {
    // Prepare
    const starred = all.filter((e) => resourcesOf(e.statement).includes('*'));
    // Act
    const offending = starred.flatMap((e) => actionsOf(e.statement)).filter((a) => !RESOURCE_STAR_ALLOWED.has(a));
    // Assess
    expect(starred.length).toBeGreaterThan(0);
    expect(offending).toEqual([]);
  });

  it('uses no AWS managed policy on function roles', () => {
    // Prepare
    const roles = s.template.findResources('AWS::IAM::Role', {
      Properties: { AssumeRolePolicyDocument: { Statement: [{ Principal: { Service: 'lambda.amazonaws.com' } }] } },
    });
    // Act
    const withManaged = Object.entries(roles).filter(([, r]) => r['Properties'].ManagedPolicyArns !== undefined);
    // Assess
    expect(Object.keys(roles)).toHaveLength(11);
    expect(withManaged.map(([id]) => id)).toEqual([]);
  });

  it.each(['compile', 'finalizer'] as const)('lets %s register only <prefix>_* state machines and pass only the state machine role', (name) => {
    // Prepare: compile publishes versions, the finalizer re-plans them with learned durations
    const compile = statementsOfRole(roleOf(name));
    // Act
    const states = compile.filter((st) => actionsOf(st).some((a) => a.startsWith('states:')));
    // (The finalizer also passes the gate-timer scheduler role, only to the scheduler: test/infra/governance.test.ts.)
    const pass = compile.filter((st) => actionsOf(st).includes('iam:PassRole') && !JSON.stringify(st.Condition).includes('scheduler.amazonaws.com'));
    // Assess
    // compile: register + prune old versions; finalizer: register + describe executions + delete a deleted workflow's
    // machine + settle workflow calls (SendTask*) + stop child runs
    expect(states).toHaveLength(name === 'finalizer' ? 5 : 2);
    const register = states.find((st) => actionsOf(st).includes('states:CreateStateMachine')) as Statement;
    expect(actionsOf(register)).toEqual(expect.arrayContaining([
      'states:CreateStateMachine', 'states:UpdateStateMachine', 'states:PublishStateMachineVersion',
    ]));
    expect(JSON.stringify(register.Resource)).toContain(':stateMachine:Braid_*');
    expect(pass).toHaveLength(1);
    expect(pass[0]?.Resource).toEqual({ 'Fn::GetAtt': [stateMachineRoleId(), 'Arn'] });
    expect(pass[0]?.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'states.amazonaws.com' } });
  });

  it('lets compile set up the vended log delivery that CreateStateMachine with logging needs', () => {
    // Prepare
    const compile = statementsOfRole(roleOf('compile'));
    // Act
    const actions = compile.filter((st) => resourcesOf(st).includes('*')).flatMap(actionsOf);
    // Assess: the four CloudWatch Logs names for "the user setting up the logging", plus the update path
    expect(actions).toEqual(expect.arrayContaining([
      'logs:CreateLogDelivery', 'logs:PutResourcePolicy', 'logs:DescribeResourcePolicies', 'logs:DescribeLogGroups',
      'logs:GetLogDelivery', 'logs:UpdateLogDelivery', 'logs:ListLogDeliveries',
    ]));
  });

  it('lets api start, stop, describe and redrive only <prefix>_* executions, and delete only <prefix>_* machines', () => {
    // Prepare
    const api = statementsOfRole(roleOf('api')).filter((st) => actionsOf(st).some((a) => a.startsWith('states:')));
    // Act
    const byAction = Object.fromEntries(api.flatMap((st) => actionsOf(st).map((a) => [a, JSON.stringify(st.Resource)])));
    // Assess
    expect(Object.keys(byAction).sort()).toEqual(['states:DeleteStateMachine', 'states:DescribeExecution', 'states:RedriveExecution', 'states:StartExecution', 'states:StopExecution']);
    expect(byAction['states:RedriveExecution']).toContain(':execution:Braid_*');
    expect(byAction['states:StartExecution']).toContain(':stateMachine:Braid_*');
    expect(byAction['states:DeleteStateMachine']).toContain(':stateMachine:Braid_*');
    expect(byAction['states:StopExecution']).toContain(':execution:Braid_*');
    expect(byAction['states:DescribeExecution']).toContain(':execution:Braid_*');
  });

  it('lets the state machines start, describe and stop only their own <prefix>_* executions (Distributed Map)', () => {
    // Prepare
    const machine = statementsOfRole(stateMachineRoleId()).filter((st) => actionsOf(st).some((a) => a.startsWith('states:')));
    // Act
    const byAction = Object.fromEntries(machine.flatMap((st) => actionsOf(st).map((a) => [a, JSON.stringify(st.Resource)])));
    // Assess
    expect(Object.keys(byAction).sort()).toEqual(['states:DescribeExecution', 'states:StartExecution', 'states:StopExecution']);
    expect(byAction['states:StartExecution']).toContain(':stateMachine:Braid_*');
    expect(byAction['states:StopExecution']).toContain(':execution:Braid_*');
    expect(byAction['states:DescribeExecution']).toContain(':execution:Braid_*');
  });

  it('gives SendTaskSuccess/Failure to the gate function, the executor (tokens it answers itself) and the finalizer (workflow calls), on the stack\'s machines only', () => {
    // Prepare
    const gateRole = roleOf('gate');
    const executorRole = roleOf('executor');
    const finalizerRole = roleOf('finalizer');
    // Act
    const holders = all.filter((e) => actionsOf(e.statement).some((a) => a.startsWith('states:SendTask')));
    // Assess
    expect(holders).toHaveLength(3);
    expect(holders.flatMap((h) => h.roles)).toEqual(expect.arrayContaining([{ Ref: gateRole }, { Ref: executorRole }, { Ref: finalizerRole }]));
    for (const holder of holders) {
      expect(actionsOf(holder.statement).sort()).toEqual(['states:SendTaskFailure', 'states:SendTaskSuccess']);
      expect(JSON.stringify(holder.statement.Resource)).toContain(':stateMachine:Braid_*');
    }
  });

  it('lets the state machine role invoke the executor function and nothing else', () => {
    // Prepare
    const role = stateMachineRoleId();
    const executor = Object.keys(s.template.findResources('AWS::Lambda::Function', {
      Properties: { Tags: [{ Key: 'braid:function', Value: 'executor' }] },
    }))[0];
    // Act
    const invokes = statementsOfRole(role).filter((st) => actionsOf(st).some((a) => a.startsWith('lambda:')));
    // Assess
    expect(invokes).toHaveLength(1);
    expect(actionsOf(invokes[0] as Statement)).toEqual(['lambda:InvokeFunction']);
    expect(invokes[0]?.Resource).toEqual({ 'Fn::GetAtt': [executor, 'Arn'] });
  });

  it('gives execute-api:ManageConnections only to the functions that post to connections', () => {
    // Prepare
    const posters = [roleOf('ws-message'), roleOf('ws-fanout')].map((id) => [{ Ref: id }]);
    // Act
    const holders = all.filter((e) => actionsOf(e.statement).includes('execute-api:ManageConnections'));
    // Assess
    expect(holders.map((h) => h.roles).sort()).toEqual(posters.sort());
    for (const h of holders) expect(JSON.stringify(h.statement.Resource)).toContain('/live/*/@connections/*');
  });
});

type Resources = Record<string, { Properties: Record<string, unknown> }>;

function functionId(name: string): string {
  const fns = s.template.findResources('AWS::Lambda::Function', { Properties: { Tags: [{ Key: 'braid:function', Value: name }] } });
  const id = Object.keys(fns)[0];
  if (id === undefined) throw new Error(`no function ${name}`);
  return id;
}

/** The Braid function an API Gateway v2 integration targets (its IntegrationUri references the function's ARN). */
function integrationTarget(integrationId: string): string {
  const integrations = s.template.findResources('AWS::ApiGatewayV2::Integration') as Resources;
  const uri = JSON.stringify(integrations[integrationId]?.Properties['IntegrationUri']);
  const fns = Object.keys(s.template.findResources('AWS::Lambda::Function'));
  const hits = fns.filter((id) => uri.includes(`"${id}"`));
  if (hits.length !== 1) throw new Error(`integration ${integrationId} targets ${hits.length} functions`);
  return hits[0] as string;
}

function integrationOf(route: { Properties: Record<string, unknown> }): string {
  const target = route.Properties['Target'] as { 'Fn::Join': [string, unknown[]] };
  const ref = target['Fn::Join'][1][1] as { Ref: string };
  return ref.Ref;
}

describe('table', () => {
  it('mirrors TABLE_SCHEMA: keys, both GSIs, TTL, stream, PITR, encryption, on-demand, retained', () => {
    // Prepare
    const gsi = (g: { name: string; partitionKey: string; sortKey: string }) => ({
      IndexName: g.name,
      KeySchema: [{ AttributeName: g.partitionKey, KeyType: 'HASH' }, { AttributeName: g.sortKey, KeyType: 'RANGE' }],
      Projection: { ProjectionType: 'ALL' },
    });
    // Act
    const tables = s.template.findResources('AWS::DynamoDB::Table');
    // Assess
    expect(Object.keys(tables)).toHaveLength(1);
    s.template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: {
        KeySchema: [{ AttributeName: TABLE_SCHEMA.partitionKey, KeyType: 'HASH' }, { AttributeName: TABLE_SCHEMA.sortKey, KeyType: 'RANGE' }],
        GlobalSecondaryIndexes: [gsi(TABLE_SCHEMA.gsi1), gsi(TABLE_SCHEMA.gsi2)],
        TimeToLiveSpecification: { AttributeName: TABLE_SCHEMA.ttlAttribute, Enabled: true },
        StreamSpecification: { StreamViewType: 'NEW_IMAGE' },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        // SSEEnabled without a key is the AWS managed KMS key (aws/dynamodb).
        SSESpecification: { SSEEnabled: true },
        BillingMode: 'PAY_PER_REQUEST',
        DeletionProtectionEnabled: true,
      },
    });
  });

  it('has point-in-time recovery on every table, including global tables', () => {
    // Prepare
    const tables = { ...s.template.findResources('AWS::DynamoDB::Table'), ...s.template.findResources('AWS::DynamoDB::GlobalTable') } as Resources;
    // Act
    const withoutPitr = Object.entries(tables).filter(([, t]) => {
      const pitr = (t.Properties['PointInTimeRecoverySpecification'] ?? (t.Properties['Replicas'] as { PointInTimeRecoverySpecification?: unknown }[] | undefined)?.[0]?.PointInTimeRecoverySpecification) as { PointInTimeRecoveryEnabled?: boolean } | undefined;
      return pitr?.PointInTimeRecoveryEnabled !== true;
    });
    // Assess
    expect(Object.keys(tables).length).toBeGreaterThan(0);
    expect(withoutPitr.map(([id]) => id)).toEqual([]);
  });
});

describe('logs', () => {
  it('gives every log group a retention', () => {
    // Prepare
    const groups = s.template.findResources('AWS::Logs::LogGroup') as Resources;
    // Act
    const without = Object.entries(groups).filter(([, g]) => typeof g.Properties['RetentionInDays'] !== 'number');
    // Assess: 11 functions, HTTP and WebSocket access logs, state machines.
    expect(Object.keys(groups)).toHaveLength(14);
    expect(without.map(([id]) => id)).toEqual([]);
  });
});

describe('functions', () => {
  it('runs every function on Node 22, ARM64, with active tracing, its own log group and no secrets in env', () => {
    // Prepare
    const fns = s.template.findResources('AWS::Lambda::Function') as Resources;
    // Act
    const summary = Object.values(fns).map((f) => ({
      runtime: f.Properties['Runtime'], arch: f.Properties['Architectures'], tracing: f.Properties['TracingConfig'],
      logGroup: (f.Properties['LoggingConfig'] as { LogGroup?: unknown } | undefined)?.LogGroup !== undefined,
      envKeys: Object.keys((f.Properties['Environment'] as { Variables: Record<string, unknown> }).Variables),
    }));
    // Assess
    expect(summary).toHaveLength(11);
    for (const fn of summary) {
      expect(fn).toMatchObject({ runtime: 'nodejs22.x', arch: ['arm64'], tracing: { Mode: 'Active' }, logGroup: true });
      expect(fn.envKeys.filter((k) => /SECRET|PASSWORD|PRIVATE|API_KEY/i.test(k))).toEqual([]);
      expect(fn.envKeys).toEqual(expect.arrayContaining(['TABLE_NAME', 'POWERTOOLS_SERVICE_NAME', 'LOG_LEVEL']));
    }
  });

  it('reserves the executor\'s concurrency and gives the API and compile functions the quotas', () => {
    // Act
    const fns = s.template.findResources('AWS::Lambda::Function') as Resources;
    const env = (name: string) => (fns[functionId(name)]?.Properties['Environment'] as { Variables: Record<string, unknown> }).Variables;
    // Assess
    expect(fns[functionId('executor')]?.Properties['ReservedConcurrentExecutions']).toBe(200);
    expect(fns[functionId('api')]?.Properties['ReservedConcurrentExecutions']).toBeUndefined();
    for (const name of ['api', 'compile']) {
      expect(env(name)).toMatchObject({ BRAID_QUOTA_ACTIVE_RUNS: '20', BRAID_QUOTA_RUN_STARTS_PER_MINUTE: '60', BRAID_QUOTA_WORKFLOWS: '200', BRAID_QUOTA_CREDENTIALS: '100', BRAID_QUOTA_PARALLEL_WIDTH: '100' });
    }
  });

  it.each(['compile', 'finalizer'] as const)('gives %s what it needs to register state machines', (name) => {
    // Prepare
    const id = functionId(name);
    // Act
    const fn = (s.template.findResources('AWS::Lambda::Function') as Resources)[id];
    const env = (fn?.Properties['Environment'] as { Variables: Record<string, unknown> }).Variables;
    // Assess
    expect(Object.keys(env)).toEqual(expect.arrayContaining(['EXECUTOR_ARN', 'STATE_MACHINE_ROLE_ARN', 'STATE_MACHINE_PREFIX', 'STATE_MACHINE_LOG_GROUP_ARN']));
    expect(env['EXECUTOR_ARN']).toEqual({ 'Fn::GetAtt': [functionId('executor'), 'Arn'] });
    expect(env['STATE_MACHINE_PREFIX']).toBe('Braid');
  });
});

describe('HTTP API', () => {
  it('creates every route of the route table, JWT-authorized and sent to its owner', () => {
    // Prepare
    const routes = s.template.findResources('AWS::ApiGatewayV2::Route', { Properties: { ApiId: { Ref: Match.stringLikeRegexp('^HttpApi') } } }) as Resources;
    const authorizers = s.template.findResources('AWS::ApiGatewayV2::Authorizer', { Properties: { AuthorizerType: 'JWT' } });
    const jwtId = Object.keys(authorizers)[0];
    // Act
    const byKey = new Map(Object.values(routes).map((r) => [r.Properties['RouteKey'] as string, r]));
    // Assess
    expect(Object.keys(authorizers)).toHaveLength(1);
    expect(byKey.size).toBe(ROUTES.length);
    for (const spec of ROUTES) {
      const route = byKey.get(`${spec.method} ${spec.path}`);
      expect(route, spec.name).toBeDefined();
      expect(route!.Properties['AuthorizationType']).toBe('JWT');
      expect(route!.Properties['AuthorizerId']).toEqual({ Ref: jwtId });
      expect(integrationTarget(integrationOf(route!)), spec.name).toBe(functionId(spec.owner));
    }
  });

  it('logs access as JSON, throttles the stage and has CORS off by default', () => {
    // Prepare, Act
    const api = Object.values(s.template.findResources('AWS::ApiGatewayV2::Api', { Properties: { ProtocolType: 'HTTP' } }) as Resources);
    // Assess
    expect(api).toHaveLength(1);
    expect(api[0]?.Properties['CorsConfiguration']).toBeUndefined();
    s.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('"routeKey":"\\$context.routeKey"') },
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
    });
  });
});

describe('WebSocket API', () => {
  it('has all routes, with the Lambda REQUEST authorizer on $connect only', () => {
    // Prepare
    const routes = s.template.findResources('AWS::ApiGatewayV2::Route', { Properties: { ApiId: { Ref: Match.stringLikeRegexp('^LiveApi') } } }) as Resources;
    const authorizer = s.template.findResources('AWS::ApiGatewayV2::Authorizer', {
      Properties: { AuthorizerType: 'REQUEST', IdentitySource: ['route.request.querystring.token'] },
    });
    // Act
    const byKey = new Map(Object.values(routes).map((r) => [r.Properties['RouteKey'] as string, r]));
    // Assess
    expect([...byKey.keys()].sort()).toEqual([...WS_ROUTES].sort());
    expect(Object.keys(authorizer)).toHaveLength(1);
    expect(byKey.get('$connect')?.Properties).toMatchObject({ AuthorizationType: 'CUSTOM', AuthorizerId: { Ref: Object.keys(authorizer)[0] } });
    // API Gateway can authorize only $connect; later frames travel on the connection it admitted.
    for (const key of ['$disconnect', 'subscribe', 'unsubscribe', '$default']) {
      expect(byKey.get(key)?.Properties['AuthorizationType'] ?? 'NONE', key).toBe('NONE');
    }
    expect(integrationTarget(integrationOf(byKey.get('$connect')!))).toBe(functionId('ws-connect'));
    expect(integrationTarget(integrationOf(byKey.get('subscribe')!))).toBe(functionId('ws-message'));
  });

  it('gives WS_ENDPOINT to every function that builds the live service, $connect and $disconnect included', () => {
    // Prepare
    const fns = s.template.findResources('AWS::Lambda::Function') as Resources;
    // Act
    const missing = ['ws-connect', 'ws-disconnect', 'ws-message', 'ws-fanout']
      .filter((name) => (fns[functionId(name)]?.Properties['Environment'] as { Variables: Record<string, unknown> }).Variables['WS_ENDPOINT'] === undefined);
    // Assess
    expect(missing).toEqual([]);
  });

  it('retains the account-wide API Gateway logging role when the stack is deleted', () => {
    // Prepare
    const roles = s.template.findResources('AWS::IAM::Role', {
      Properties: { AssumeRolePolicyDocument: { Statement: [{ Principal: { Service: 'apigateway.amazonaws.com' } }] } },
    });
    // Act
    const policies = Object.values(roles).map((r) => [r['DeletionPolicy'], r['UpdateReplacePolicy']]);
    // Assess
    expect(policies).toEqual([['Retain', 'Retain']]);
    s.template.hasResource('AWS::ApiGateway::Account', { DeletionPolicy: 'Retain' });
  });

  it('logs the stage and gives the posting functions its management endpoint', () => {
    // Prepare
    const fanout = (s.template.findResources('AWS::Lambda::Function') as Resources)[functionId('ws-fanout')];
    // Act
    const endpoint = JSON.stringify((fanout?.Properties['Environment'] as { Variables: Record<string, unknown> }).Variables['WS_ENDPOINT']);
    // Assess
    s.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: 'live',
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('connectionId') },
      DefaultRouteSettings: Match.objectLike({ LoggingLevel: 'ERROR' }),
    });
    expect(endpoint).toContain('https://');
    expect(endpoint).toContain('/live');
  });
});

describe('live stream and finalization', () => {
  it('feeds ws-fanout only event items, in order, with bisect and an on-failure destination', () => {
    // Prepare
    const expectedFilter = JSON.stringify({ eventName: ['INSERT'], dynamodb: { NewImage: { SK: { S: [{ prefix: EVENT_SK_PREFIX }] } } } });
    // Act, Assess
    s.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: functionId('ws-fanout') },
      StartingPosition: 'LATEST',
      ParallelizationFactor: 1,
      BisectBatchOnFunctionError: true,
      DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
      FilterCriteria: { Filters: [{ Pattern: expectedFilter }] },
    });
  });

  it('finalizes on Step Functions status changes of <prefix>_* machines and reconciles every 15 minutes', () => {
    // Prepare
    const target = [Match.objectLike({ Arn: { 'Fn::GetAtt': [functionId('finalizer'), 'Arn'] }, DeadLetterConfig: Match.anyValue() })];
    // Act, Assess
    s.template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        'source': ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        'detail': { status: Match.arrayWith(['FAILED', 'TIMED_OUT', 'ABORTED']), stateMachineArn: [{ prefix: Match.anyValue() }] },
      },
      Targets: target,
    });
    // `Braid_`, never `Braid-`: a stack named `Braid-Dev` makes `Braid-Dev_<id>`, which this prefix does not match.
    const rules = JSON.stringify(s.template.findResources('AWS::Events::Rule'));
    expect(rules).toContain(':stateMachine:Braid_"');
    expect(rules).not.toContain(':stateMachine:Braid-');
    s.template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(15 minutes)', Targets: target });
  });
});

describe('outputs', () => {
  it('exports the HTTP and WebSocket URLs and the user pool ids', () => {
    // Prepare, Act
    const outputs = Object.keys(s.template.findOutputs('*'));
    // Assess
    expect(outputs).toEqual(expect.arrayContaining(['HttpUrl', 'WebSocketUrl', 'UserPoolId', 'UserPoolClientId']));
  });
});

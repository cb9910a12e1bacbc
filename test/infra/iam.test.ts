import { beforeAll, describe, expect, it } from 'vitest';
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
  s = synthBraid({ bundle: false });
  all = statements(s.template);
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
    expect(Object.keys(roles)).toHaveLength(10);
    expect(withManaged.map(([id]) => id)).toEqual([]);
  });

  it('lets compile register only <prefix>-* state machines and pass only the state machine role', () => {
    // Prepare
    const compile = statementsOfRole(roleOf('compile'));
    // Act
    const states = compile.filter((st) => actionsOf(st).some((a) => a.startsWith('states:')));
    const pass = compile.filter((st) => actionsOf(st).includes('iam:PassRole'));
    // Assess
    expect(states).toHaveLength(1);
    expect(actionsOf(states[0] as Statement)).toEqual(expect.arrayContaining([
      'states:CreateStateMachine', 'states:UpdateStateMachine', 'states:PublishStateMachineVersion', 'states:DescribeStateMachine',
    ]));
    expect(JSON.stringify(states[0]?.Resource)).toContain(':stateMachine:Braid-*');
    expect(pass).toHaveLength(1);
    expect(pass[0]?.Resource).toEqual({ 'Fn::GetAtt': [stateMachineRoleId(), 'Arn'] });
    expect(pass[0]?.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'states.amazonaws.com' } });
  });

  it('lets api start, stop and describe only <prefix>-* executions', () => {
    // Prepare
    const api = statementsOfRole(roleOf('api')).filter((st) => actionsOf(st).some((a) => a.startsWith('states:')));
    // Act
    const byAction = Object.fromEntries(api.flatMap((st) => actionsOf(st).map((a) => [a, JSON.stringify(st.Resource)])));
    // Assess
    expect(Object.keys(byAction).sort()).toEqual(['states:DescribeExecution', 'states:StartExecution', 'states:StopExecution']);
    expect(byAction['states:StartExecution']).toContain(':stateMachine:Braid-*');
    expect(byAction['states:StopExecution']).toContain(':execution:Braid-*');
    expect(byAction['states:DescribeExecution']).toContain(':execution:Braid-*');
  });

  it('gives SendTaskSuccess/Failure to the gate function alone', () => {
    // Prepare
    const gateRole = roleOf('gate');
    // Act
    const holders = all.filter((e) => actionsOf(e.statement).some((a) => a.startsWith('states:SendTask')));
    // Assess
    expect(holders).toHaveLength(1);
    expect(holders[0]?.roles).toEqual([{ Ref: gateRole }]);
    expect(actionsOf(holders[0]!.statement).sort()).toEqual(['states:SendTaskFailure', 'states:SendTaskSuccess']);
    expect(JSON.stringify(holders[0]?.statement.Resource)).toContain(':stateMachine:Braid-*');
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

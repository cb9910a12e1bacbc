/**
 * Governance resources in the template: the notifications bus and its rule to the notify function, the
 * scheduler role (trusted by scheduler.amazonaws.com, invoking only the notify function), and least-privilege
 * grants: PutEvents on this bus only, schedules in this stack's group only, PassRole of the scheduler role only
 * to the scheduler.
 */
import { rmSync } from 'node:fs';
import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionsOf, resourcesOf, statements, synthBraid, type Statement, type Synthesized } from './synth';

let s: Synthesized;
let all: { policy: string; roles: unknown; statement: Statement }[];
beforeAll(() => {
  s = synthBraid({ bundle: false });
  all = statements(s.template);
});
afterAll(() => rmSync(s.assemblyDir, { recursive: true, force: true }));

function logicalIdOf(type: string): string {
  const ids = Object.keys(s.template.findResources(type));
  expect(ids).toHaveLength(1);
  return ids[0]!;
}

function notifyFunctionId(): string {
  const fns = s.template.findResources('AWS::Lambda::Function', { Properties: { Tags: [{ Key: 'braid:function', Value: 'notify' }] } });
  return Object.keys(fns)[0]!;
}

describe('governance', () => {
  it('creates the notifications bus and routes source braid to the notify function', () => {
    // Prepare
    const bus = logicalIdOf('AWS::Events::EventBus');
    // Act / Assess
    s.template.hasResourceProperties('AWS::Events::EventBus', { Name: 'Braid-notifications' });
    s.template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: bus },
      EventPattern: { source: ['braid'] },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [notifyFunctionId(), 'Arn'] }, DeadLetterConfig: Match.anyValue() })],
    });
  });

  it('grants events:PutEvents on that bus only, to the publishing functions', () => {
    // Prepare
    const bus = logicalIdOf('AWS::Events::EventBus');
    // Act
    const puts = all.filter((e) => actionsOf(e.statement).includes('events:PutEvents'));
    // Assess
    expect(puts).toHaveLength(5);
    for (const p of puts) {
      expect(actionsOf(p.statement)).toEqual(['events:PutEvents']);
      expect(resourcesOf(p.statement)).toEqual([{ 'Fn::GetAtt': [bus, 'Arn'] }]);
    }
  });

  it('has a scheduler role trusted by scheduler.amazonaws.com that may invoke only the notify function', () => {
    // Prepare
    const roles = s.template.findResources('AWS::IAM::Role', {
      Properties: { AssumeRolePolicyDocument: { Statement: [{ Principal: { Service: 'scheduler.amazonaws.com' } }] } },
    });
    const [roleId] = Object.keys(roles);
    // Act
    const own = all.filter((e) => JSON.stringify(e.roles) === JSON.stringify([{ Ref: roleId }])).map((e) => e.statement);
    // Assess
    expect(Object.keys(roles)).toHaveLength(1);
    expect(JSON.stringify(roles[roleId!]!['Properties'].AssumeRolePolicyDocument)).toContain('aws:SourceAccount');
    expect(own).toHaveLength(1);
    expect(actionsOf(own[0]!)).toEqual(['lambda:InvokeFunction']);
    expect(resourcesOf(own[0]!)).toEqual([{ 'Fn::GetAtt': [notifyFunctionId(), 'Arn'] }]);
  });

  it('lets functions create and delete schedules in the stack group only, and pass the scheduler role only to the scheduler', () => {
    // Prepare
    const schedulerRoleId = Object.keys(s.template.findResources('AWS::IAM::Role', {
      Properties: { AssumeRolePolicyDocument: { Statement: [{ Principal: { Service: 'scheduler.amazonaws.com' } }] } },
    }))[0];
    // Act
    const schedules = all.filter((e) => actionsOf(e.statement).some((a) => a.startsWith('scheduler:')));
    const passes = all.filter((e) => actionsOf(e.statement).includes('iam:PassRole') && JSON.stringify(e.statement.Resource).includes(schedulerRoleId!));
    // Assess
    s.template.hasResourceProperties('AWS::Scheduler::ScheduleGroup', { Name: 'Braid-gates' });
    expect(schedules.length).toBe(5);
    for (const e of schedules) {
      expect(actionsOf(e.statement).sort()).toEqual(['scheduler:CreateSchedule', 'scheduler:DeleteSchedule']);
      expect(JSON.stringify(e.statement.Resource)).toContain(':schedule/Braid-gates/*');
    }
    expect(passes).toHaveLength(5);
    for (const e of passes) expect(e.statement.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } });
  });

  it('tells each function where the bus, the scheduler role and the notify function are', () => {
    // Prepare
    const fns = s.template.findResources('AWS::Lambda::Function', { Properties: { Tags: [{ Key: 'braid:function', Value: 'gate' }] } });
    // Act
    const env = (Object.values(fns)[0]!['Properties'].Environment as { Variables: Record<string, unknown> }).Variables;
    // Assess
    expect(Object.keys(env)).toEqual(expect.arrayContaining(['BRAID_EVENT_BUS_NAME', 'BRAID_SCHEDULER_ROLE_ARN', 'BRAID_NOTIFY_FUNCTION_ARN', 'BRAID_SCHEDULE_GROUP']));
  });
});

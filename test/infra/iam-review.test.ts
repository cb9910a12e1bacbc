import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../infra/stack/braid-function';
import { AWS_CALLS, COMMAND_ACTIONS, LOCAL_ONLY_COMMANDS, renderAwsCallsTable, type AwsCall, type AwsCaller, type AwsResourceKind } from '../../shared/adapters/aws-calls';
import { actionsOf, resourcesOf, statements, synthBraid, type Statement, type Synthesized } from './synth';

let s: Synthesized;
let all: { policy: string; roles: unknown; statement: Statement }[];

beforeAll(() => {
  s = synthBraid({ bundle: false });
  all = statements(s.template);
});

afterAll(() => {
  rmSync(s.assemblyDir, { recursive: true, force: true });
});

function resourceId(type: string, props: Record<string, unknown> = {}, idPart = ''): string {
  const found = Object.keys(s.template.findResources(type, { Properties: props })).filter((id) => id.includes(idPart));
  if (found.length !== 1) throw new Error(`${found.length} resources of ${type}`);
  return found[0] as string;
}

function functionId(name: string): string {
  return resourceId('AWS::Lambda::Function', { Tags: [{ Key: 'braid:function', Value: name }] });
}

/** The logical id of a caller's role. */
function roleOf(caller: AwsCaller): string {
  if (caller === 'state-machine') {
    return resourceId('AWS::IAM::Role', { AssumeRolePolicyDocument: { Statement: [{ Principal: { Service: 'states.amazonaws.com' } }] } });
  }
  const fn = s.template.toJSON().Resources[functionId(caller)] as { Properties: { Role: { 'Fn::GetAtt': [string, string] } } };
  return fn.Properties.Role['Fn::GetAtt'][0];
}

function allowsOf(caller: AwsCaller): Statement[] {
  const role = JSON.stringify([{ Ref: roleOf(caller) }]);
  return all.filter((e) => JSON.stringify(e.roles) === role && e.statement.Effect === 'Allow').map((e) => e.statement);
}

/** Does a granted resource (as the template spells it) match the kind of resource the call needs? */
function matches(kind: AwsResourceKind, resource: unknown, caller: AwsCaller): boolean {
  const text = JSON.stringify(resource);
  const table = resourceId('AWS::DynamoDB::Table');
  switch (kind) {
    case 'table': return text === JSON.stringify({ 'Fn::GetAtt': [table, 'Arn'] });
    case 'table-index': return text.includes(`"${table}","Arn"`) && text.includes('/index/*');
    case 'table-stream': return text === JSON.stringify({ 'Fn::GetAtt': [table, 'StreamArn'] });
    case 'state-machine': return text.includes(':stateMachine:Braid_*');
    case 'execution': return text.includes(':execution:Braid_*');
    case 'state-machine-role': return text === JSON.stringify({ 'Fn::GetAtt': [roleOf('state-machine'), 'Arn'] });
    case 'executor-function': return text === JSON.stringify({ 'Fn::GetAtt': [functionId('executor'), 'Arn'] });
    case 'tool-function': return text.includes(':function:braid-tool-*');
    case 'ws-connections': return text.includes('/live/*/@connections/*');
    case 'own-log-group': {
      const fn = s.template.toJSON().Resources[functionId(caller)] as { Properties: { LoggingConfig: { LogGroup: unknown } } };
      const group = (fn.Properties.LoggingConfig.LogGroup as { Ref: string }).Ref;
      return text === JSON.stringify({ 'Fn::GetAtt': [group, 'Arn'] });
    }
    case 'finalizer-dlq': return text === JSON.stringify({ 'Fn::GetAtt': [resourceId('AWS::SQS::Queue', {}, 'FinalizerDlq'), 'Arn'] });
    case 'fanout-failures': return text === JSON.stringify({ 'Fn::GetAtt': [resourceId('AWS::SQS::Queue', {}, 'FanoutFailures'), 'Arn'] });
    case 'user-secrets': return text.includes(':secret:braid/Braid/u/*');
    case 'cursor-key': return text === JSON.stringify({ Ref: resourceId('AWS::SecretsManager::Secret', {}, 'CursorKey') });
    case 'unscoped': return text === '"*"';
  }
}

function allowed(call: AwsCall): boolean {
  return allowsOf(call.caller).some((st) => actionsOf(st).includes(call.action) && resourcesOf(st).some((r) => matches(call.resource, r, call.caller)));
}

describe('IAM review: who calls what (shared/adapters/aws-calls.ts) against the template', () => {
  it('grants every runtime call to its caller\'s role, on the right resource', () => {
    // Prepare, Act
    const missing = AWS_CALLS.filter((call) => !allowed(call)).map((c) => `${c.caller}: ${c.action} on ${c.resource}`);
    // Assess
    expect(AWS_CALLS.length).toBeGreaterThan(60);
    expect(missing).toEqual([]);
  });

  it('grants nothing the list does not name (no action a caller never makes)', () => {
    // Prepare
    const callers = [...new Set(AWS_CALLS.map((c) => c.caller))];
    // Act
    const extra = callers.flatMap((caller) => {
      const listed = new Set(AWS_CALLS.filter((c) => c.caller === caller).map((c) => c.action));
      return allowsOf(caller).flatMap(actionsOf).filter((a) => !listed.has(a)).map((a) => `${caller}: ${a}`);
    });
    // Assess
    expect(callers).toHaveLength(11);
    expect([...new Set(extra)]).toEqual([]);
  });

  it('names in the list every SDK command the code constructs', () => {
    // Prepare
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir)) {
        const path = join(dir, entry);
        if (statSync(path).isDirectory()) walk(path);
        else if (path.endsWith('.ts')) files.push(path);
      }
    };
    walk(join(REPO_ROOT, 'shared'));
    walk(join(REPO_ROOT, 'functions'));
    // Act
    const commands = new Set(files.flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/new ([A-Z][A-Za-z]+Command)\(/g)].map((m) => m[1] as string)));
    const unknown = [...commands].filter((c) => COMMAND_ACTIONS[c] === undefined && !LOCAL_ONLY_COMMANDS.has(c));
    const unlisted = [...commands].map((c) => COMMAND_ACTIONS[c]).filter((a) => a !== undefined && !AWS_CALLS.some((call) => call.action === a));
    // Assess
    expect(commands.size).toBeGreaterThan(10);
    expect(unknown).toEqual([]);
    expect(unlisted).toEqual([]);
  });

  it('is the table in ARCHITECTURE.md', () => {
    // Prepare
    const doc = readFileSync(join(REPO_ROOT, 'ARCHITECTURE.md'), 'utf8');
    // Act
    const section = /<!-- aws-calls:start -->\n([\s\S]*?)\n<!-- aws-calls:end -->/.exec(doc)?.[1];
    // Assess
    expect(section).toBe(renderAwsCallsTable());
  });
});

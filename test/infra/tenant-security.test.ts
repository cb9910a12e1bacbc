import { rmSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readConfig } from '../../infra/stack/config';
import { ConfigError } from '../../infra/stack/errors';
import { actionsOf, resourcesOf, statements, synthBraid, type Synthesized } from './synth';

let s: Synthesized;
beforeAll(() => {
  s = synthBraid({ bundle: false, context: { 'braid:egressAllow': 'tools.internal,10.1.0.0/16', 'braid:lambdaToolOwners': '{"alice":["arn:aws:lambda:us-east-1:123456789012:function:braid-tool-alice-*"]}' } });
}, 120_000);
afterAll(() => rmSync(s.assemblyDir, { recursive: true, force: true }));

/** The logical id of a function's role, from its construct path. */
function roleOf(name: string): string {
  const roles = s.template.findResources('AWS::IAM::Role');
  const id = Object.keys(roles).find((key) => key.startsWith(`Functions${name}`) && key.includes('Role'));
  if (!id) throw new Error(`no role for ${name}`);
  return id;
}

function statementsOf(name: string) {
  const role = roleOf(name);
  return statements(s.template).filter((st) => JSON.stringify(st.roles).includes(role)).map((st) => st.statement);
}

const userSecrets = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':secretsmanager:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':secret:braid/Braid/u/*']] };

describe('tenant security in the stack', () => {
  it('lets the executor read only its users\' secrets prefix, and write none', () => {
    // Prepare, Act
    const secretStatements = statementsOf('Executor').filter((st) => actionsOf(st).some((a) => a.startsWith('secretsmanager:')));
    // Assess
    expect(secretStatements).toStrictEqual([{ Sid: 'ReadUserSecrets', Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: userSecrets }]);
  });

  it('lets the api function write user secrets under the prefix and read only the cursor key', () => {
    // Prepare, Act
    const secretStatements = statementsOf('Api').filter((st) => actionsOf(st).some((a) => a.startsWith('secretsmanager:')));
    // Assess
    const write = secretStatements.find((st) => st.Sid === 'WriteUserSecrets');
    expect(write?.Resource).toStrictEqual(userSecrets);
    expect(actionsOf(write!).sort()).toStrictEqual(['secretsmanager:CreateSecret', 'secretsmanager:DeleteSecret', 'secretsmanager:PutSecretValue', 'secretsmanager:TagResource']);
    const read = secretStatements.filter((st) => st.Sid !== 'WriteUserSecrets');
    expect(read.flatMap(resourcesOf)).toStrictEqual([{ Ref: expect.stringMatching(/^TenantSecurityCursorKey/) }]);
  });

  it('gives no other function any Secrets Manager permission', () => {
    // Prepare, Act
    const others = statements(s.template)
      .filter((st) => actionsOf(st.statement).some((a) => a.startsWith('secretsmanager:')))
      .filter((st) => !JSON.stringify(st.roles).includes(roleOf('Executor')) && !JSON.stringify(st.roles).includes(roleOf('Api')));
    // Assess
    expect(others).toStrictEqual([]);
  });

  it('denies the executor invoking the stack\'s own functions, whatever the tool pattern allows', () => {
    // Prepare, Act
    const deny = statementsOf('Executor').find((st) => st.Sid === 'NeverInvokeBraid');
    // Assess
    expect(deny?.Effect).toBe('Deny');
    expect(actionsOf(deny!)).toStrictEqual(['lambda:InvokeFunction', 'lambda:InvokeFunctionUrl']);
    expect(JSON.stringify(deny!.Resource)).toContain(':function:Braid-*');
  });

  it('configures the executor: secrets prefix, tool pattern, per-owner allowlist and egress allowlist', () => {
    // Prepare, Act
    const fns = s.template.findResources('AWS::Lambda::Function');
    const executor = Object.entries(fns).find(([id]) => id.startsWith('FunctionsExecutor'))![1];
    // Assess
    expect(executor['Properties'].Environment.Variables).toMatchObject({
      VAULT_PREFIX: 'braid/Braid/u/',
      TOOL_FUNCTION_PATTERN: 'braid-tool-*',
      BRAID_EGRESS_ALLOW: 'tools.internal,10.1.0.0/16',
      LAMBDA_TOOL_OWNERS: '{"alice":["arn:aws:lambda:us-east-1:123456789012:function:braid-tool-alice-*"]}',
    });
  });
});

describe('braid:toolFunctionPattern', () => {
  const read = (context: Record<string, unknown>) => () => readConfig(new App({ context }).node);

  it.each(['*', 'ab*', 'braid-*-tool', 'x*y*', 'Braid-*', 'Bra*', 'Braid-Functions*'])('refuses %s', (pattern) => {
    expect(read({ 'braid:toolFunctionPattern': pattern })).toThrow(ConfigError);
  });

  it.each(['braid-tool-*', 'acme-tools-*', 'exact-function-name'])('accepts %s', (pattern) => {
    expect(read({ 'braid:toolFunctionPattern': pattern })().toolFunctionPattern).toBe(pattern);
  });

  it('refuses a malformed egress allowlist or owner allowlist at synth time', () => {
    expect(read({ 'braid:egressAllow': 'http://nope' })).toThrow(/braid:egressAllow/);
    expect(read({ 'braid:lambdaToolOwners': '{"alice":["not-an-arn"]}' })).toThrow(/braid:lambdaToolOwners/);
  });
});

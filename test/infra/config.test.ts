import { Match } from 'aws-cdk-lib/assertions';
import { rmSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readConfig } from '../../infra/stack/config';
import { ConfigError } from '../../infra/stack/errors';
import { synthBraid, type Synthesized } from './synth';

function configWith(context: Record<string, unknown>) {
  return readConfig(new App({ context }).node);
}

describe('readConfig', () => {
  it('defaults to stack Braid, retained data, a Cognito user pool and CORS off', () => {
    // Prepare, Act
    const config = configWith({});
    // Assess
    expect(config).toMatchObject({ stackName: 'Braid', destroyData: false, oidc: undefined, corsOrigins: [], logRetentionDays: 30 });
  });

  it('reads quotas and the executor\'s reserved concurrency from context (off leaves it unreserved)', () => {
    // Prepare, Act
    const set = configWith({ 'braid:quotaActiveRuns': 5, 'braid:quotaWorkflows': '9', 'braid:executorReservedConcurrency': 50 });
    const off = configWith({ 'braid:executorReservedConcurrency': 'off' });
    // Assess
    expect(configWith({}).executorReservedConcurrency).toBe(200);
    expect(set.quotas).toMatchObject({ activeRunsPerUser: 5, workflowsPerUser: 9, runStartsPerMinute: 60 });
    expect(set.executorReservedConcurrency).toBe(50);
    expect(off.executorReservedConcurrency).toBeUndefined();
    expect(() => configWith({ 'braid:quotaActiveRuns': 0 })).toThrow(/braid:quotaActiveRuns/);
  });

  it('reads an external OIDC issuer (keys come from its discovery document, for both APIs)', () => {
    // Prepare, Act
    const config = configWith({ 'braid:oidcIssuer': 'https://login.example.com/', 'braid:oidcAudience': 'braid' });
    // Assess
    expect(config.oidc).toEqual({ issuer: 'https://login.example.com/', audience: 'braid' });
  });

  it('refuses braid:oidcJwksUrl, which would let the WebSocket authorizer trust other keys than the HTTP one', () => {
    // Prepare, Act
    const read = () => configWith({ 'braid:oidcIssuer': 'https://login.example.com/', 'braid:oidcAudience': 'braid', 'braid:oidcJwksUrl': 'https://keys.example.com/jwks' });
    // Assess
    expect(read).toThrow(/braid:oidcJwksUrl/);
  });

  it('rejects an issuer without an audience', () => {
    // Prepare, Act
    const read = () => configWith({ 'braid:oidcIssuer': 'https://login.example.com' });
    // Assess
    expect(read).toThrow(ConfigError);
  });

  it('rejects a stack name that cannot prefix state machine names', () => {
    // Prepare, Act
    const read = () => configWith({ 'braid:stackName': 'my_stack!' });
    // Assess
    expect(read).toThrow(/braid:stackName/);
  });

  it('rejects a log retention CloudWatch does not offer', () => {
    // Prepare, Act
    const read = () => configWith({ 'braid:logRetentionDays': 31 });
    // Assess
    expect(read).toThrow(/braid:logRetentionDays/);
  });

  it('reads -c string forms of booleans and lists', () => {
    // Prepare, Act
    const config = configWith({ 'braid:destroyData': 'true', 'braid:corsOrigins': 'https://a.example, https://b.example' });
    // Assess
    expect(config.destroyData).toBe(true);
    expect(config.corsOrigins).toEqual(['https://a.example', 'https://b.example']);
  });
});

describe('stack with an external OIDC issuer and dev settings', () => {
  let s: Synthesized;

  beforeAll(() => {
    s = synthBraid({
      bundle: false,
      context: {
        'braid:stackName': 'BraidDev',
        'braid:oidcIssuer': 'https://login.example.com',
        'braid:oidcAudience': 'braid-api',
        'braid:destroyData': 'true',
        'braid:corsOrigins': 'https://app.example.com',
      },
    });
  });

  afterAll(() => {
    rmSync(s.assemblyDir, { recursive: true, force: true });
  });

  it('creates no user pool and points the JWT authorizer at the issuer', () => {
    // Prepare, Act
    const pools = s.template.findResources('AWS::Cognito::UserPool');
    // Assess
    expect(Object.keys(pools)).toEqual([]);
    s.template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      JwtConfiguration: { Issuer: 'https://login.example.com', Audience: ['braid-api'] },
    });
    expect(Object.keys(s.template.findOutputs('*'))).not.toContain('UserPoolId');
  });

  it('destroys the table with the stack, enables CORS and prefixes state machines with the stack name', () => {
    // Prepare, Act
    const policies = JSON.stringify(s.template.findResources('AWS::IAM::Policy'));
    // Assess
    s.template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete', Properties: { DeletionProtectionEnabled: false } });
    // The configured origin, and the console's own (asserted in console.test.ts).
    s.template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP', CorsConfiguration: Match.objectLike({ AllowOrigins: Match.arrayWith(['https://app.example.com']) }) });
    expect(policies).toContain(':stateMachine:BraidDev_*');
    expect(policies).not.toContain(':stateMachine:Braid_*');
  });
});

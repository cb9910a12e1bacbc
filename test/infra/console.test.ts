/** The web console in the CDK stack: private bucket, CloudFront with OAC, config.json with the API URLs, hosted UI. */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionsOf, statements, synthBraid, type Synthesized } from './synth';

let s: Synthesized;

beforeAll(() => {
  s = synthBraid({ bundle: false });
}, 120_000);
afterAll(() => {
  rmSync(s.assemblyDir, { recursive: true, force: true });
});

function logicalIdOf(type: string): string {
  const ids = Object.keys(s.template.findResources(type));
  expect(ids).toHaveLength(1);
  return ids[0]!;
}

describe('console hosting', () => {
  it('keeps the assets in a private, encrypted, TLS-only bucket', () => {
    s.template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
    });
    s.template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  it('serves it through CloudFront with Origin Access Control only, HTTPS, and security headers', () => {
    const oac = logicalIdOf('AWS::CloudFront::OriginAccessControl');
    s.template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        DefaultRootObject: 'index.html',
        DefaultCacheBehavior: Match.objectLike({ ViewerProtocolPolicy: 'redirect-to-https' }),
        Origins: [Match.objectLike({ OriginAccessControlId: { 'Fn::GetAtt': [oac, 'Id'] }, S3OriginConfig: { OriginAccessIdentity: '' } })],
      }),
    });
    s.template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Action: 's3:GetObject', Principal: { Service: 'cloudfront.amazonaws.com' },
          Condition: { StringEquals: { 'AWS:SourceArn': Match.anyValue() } },
        })]),
      },
    });
    const headers = JSON.stringify(Object.values(s.template.findResources('AWS::CloudFront::ResponseHeadersPolicy'))[0]);
    for (const directive of ["default-src 'self'", "frame-ancestors 'none'", 'wss://*.execute-api.', '"FrameOption":"DENY"', '"AccessControlMaxAgeSec":31536000']) expect(headers).toContain(directive);
  });

  it('writes config.json with the HTTP and WebSocket URLs and the hosted-UI sign-in next to the assets', () => {
    // Prepare: the deployment's second source is the config file; its tokens are markers resolved at deploy.
    const deployments = Object.values(s.template.findResources('Custom::CDKBucketDeployment'));
    expect(deployments).toHaveLength(1);
    const props = deployments[0]!['Properties'] as { SourceMarkers: Record<string, { Ref?: string }>[]; DistributionPaths: string[] };
    const markers = props.SourceMarkers[1]!;
    const dir = readdirSync(s.assemblyDir).find((d) => d.startsWith('asset.') && existsSync(join(s.assemblyDir, d, 'config.json')));
    const config = JSON.parse(readFileSync(join(s.assemblyDir, dir!, 'config.json'), 'utf8')) as { apiUrl: string; wsUrl: string; auth: { mode: string; domain: string; clientId: string } };
    const resolve = (text: string) => text.replace(/<<marker:0xbaba:(\d+)>>/g, (_m, i: string) => `{${markers[`<<marker:0xbaba:${i}>>`]?.Ref}}`);
    const ref = (prefix: string) => new RegExp(`\\{${prefix}[0-9A-F]{8}\\}`);
    // Assess
    expect(resolve(config.apiUrl)).toMatch(ref('HttpApi'));
    expect(resolve(config.apiUrl)).toMatch(/^https:\/\/.*execute-api/);
    expect(resolve(config.wsUrl)).toMatch(ref('LiveApi'));
    expect(resolve(config.wsUrl)).toMatch(/^wss:\/\//);
    expect(config.auth.mode).toBe('cognito');
    expect(resolve(config.auth.domain)).toMatch(ref('AuthUserPoolConsoleDomain'));
    expect(resolve(config.auth.clientId)).toMatch(ref('AuthUserPoolCliClient'));
    expect(props.DistributionPaths).toStrictEqual(['/index.html', '/config.json']);
  });

  it('lets the console sign in with the Cognito hosted UI (code flow with PKCE) and call the API (CORS)', () => {
    const distribution = logicalIdOf('AWS::CloudFront::Distribution');
    const origin = { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [distribution, 'DomainName'] }]] };
    s.template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      AllowedOAuthFlows: ['code'], AllowedOAuthFlowsUserPoolClient: true, GenerateSecret: false,
      CallbackURLs: Match.arrayWith([{ 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [distribution, 'DomainName'] }, '/']] }]),
    });
    s.template.resourceCountIs('AWS::Cognito::UserPoolDomain', 1);
    s.template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP', CorsConfiguration: Match.objectLike({ AllowOrigins: Match.arrayWith([origin]) }) });
    s.template.hasOutput('ConsoleUrl', { Value: origin });
  });

  it("gives CDK's deployment function Resource \"*\" only for CloudFront invalidations", () => {
    const star = statements(s.template).filter(({ policy, statement }) => policy.startsWith('CustomCDKBucketDeployment') && statement.Resource === '*');
    expect(new Set(star.flatMap(({ statement }) => actionsOf(statement)))).toStrictEqual(new Set(['cloudfront:CreateInvalidation', 'cloudfront:GetInvalidation']));
  });

  it('is left out with braid:console=false', () => {
    const without = synthBraid({ bundle: false, context: { 'braid:console': 'false' } });
    try {
      without.template.resourceCountIs('AWS::CloudFront::Distribution', 0);
      without.template.resourceCountIs('Custom::CDKBucketDeployment', 0);
    } finally {
      rmSync(without.assemblyDir, { recursive: true, force: true });
    }
  });
});

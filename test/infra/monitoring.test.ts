import { rmSync } from 'node:fs';
import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRICS } from '../../shared/observability/metric-names';
import { synthBraid, type Synthesized } from './synth';

let s: Synthesized;

beforeAll(() => {
  s = synthBraid({ bundle: false, context: { 'braid:alarmEmail': 'oncall@example.com' } });
});

afterAll(() => {
  rmSync(s.assemblyDir, { recursive: true, force: true });
});

type Resource = { Properties: Record<string, unknown>; DeletionPolicy?: string };

function alarms(): Record<string, Resource> {
  return s.template.findResources('AWS::CloudWatch::Alarm') as Record<string, Resource>;
}

function topicId(): string {
  const topics = Object.keys(s.template.findResources('AWS::SNS::Topic'));
  expect(topics).toHaveLength(1);
  return topics[0] as string;
}

describe('alarms', () => {
  it('covers executor errors and timeouts, failed-run rate, throttles, fan-out failures and reconciliation finds', () => {
    // Prepare, Act
    const descriptions = Object.values(alarms()).map((a) => String(a.Properties['AlarmDescription']));
    // Assess
    for (const topic of ['executor invocations failed', 'executor Lambda was cut', 'finished runs failed', 'throttled a Braid function',
      'throttled StartExecution', 'DynamoDB throttled the table', 'fan-out gave up', 'fan-out is more than a minute behind', 'sweep closed runs', 'other than the executor']) {
      expect(descriptions.some((d) => d.includes(topic)), topic).toBe(true);
    }
  });

  it('notifies the one alarm topic from every alarm, and treats no data as no incident', () => {
    // Prepare
    const topic = topicId();
    // Act
    const all = Object.values(alarms());
    // Assess
    expect(all.length).toBe(11);
    for (const a of all) {
      expect(a.Properties['AlarmActions']).toEqual([{ Ref: topic }]);
      expect(a.Properties['TreatMissingData']).toBe('notBreaching');
    }
  });

  it('computes the failed-run rate from the RunsSucceeded and RunsFailed metrics the code emits', () => {
    // Prepare
    const rate = Object.values(alarms()).find((a) => String(a.Properties['AlarmDescription']).includes('finished runs failed')) as Resource;
    // Act
    const metrics = JSON.stringify(rate.Properties['Metrics']);
    // Assess
    expect(metrics).toContain('"Namespace":"Braid/Braid"');
    expect(metrics).toContain('"MetricName":"RunsSucceeded"');
    expect(metrics).toContain('"MetricName":"RunsFailed"');
    expect(metrics).toContain('bad / (ok + bad)');
    expect(Object.keys(METRICS)).toEqual(expect.arrayContaining(['RunsSucceeded', 'RunsFailed', 'SweepFinds']));
  });

  it('counts executor timeouts from the executor log group ("Task timed out")', () => {
    // Prepare, Act, Assess
    s.template.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: '"Task timed out"',
      MetricTransformations: [Match.objectLike({ MetricName: 'ExecutorTimeouts', MetricNamespace: 'Braid/Braid', MetricValue: '1' })],
    });
  });
});

describe('alarm topic', () => {
  it('is encrypted with a rotated customer managed key that CloudWatch may use, TLS only, with the configured email', () => {
    // Prepare
    const topic = topicId();
    // Act
    const keys = s.template.findResources('AWS::KMS::Key') as Record<string, Resource>;
    const key = Object.entries(keys).find(([, k]) => JSON.stringify(k.Properties['KeyPolicy']).includes('cloudwatch.amazonaws.com'));
    // Assess
    expect(key).toBeDefined();
    expect(key?.[1].Properties['EnableKeyRotation']).toBe(true);
    s.template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [key?.[0], 'Arn'] } });
    s.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
    s.template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.com', TopicArn: { Ref: topic } });
    expect(Object.keys(s.template.findOutputs('*'))).toEqual(expect.arrayContaining(['AlarmTopicArn', 'DashboardName']));
  });
});

describe('dashboard and metrics configuration', () => {
  it('charts every custom metric of the catalogue', () => {
    // Prepare
    const dashboards = Object.values(s.template.findResources('AWS::CloudWatch::Dashboard')) as Resource[];
    // Act
    const body = JSON.stringify(dashboards[0]?.Properties['DashboardBody']);
    // Assess
    expect(dashboards).toHaveLength(1);
    const missing = Object.keys(METRICS).filter((name) => !body.includes(name));
    expect(missing).toEqual([]);
  });

  it('gives every function the metrics namespace, so EMF lands where the dashboard looks', () => {
    // Prepare
    // Braid's functions (tagged): CDK's BucketDeployment function uploads the console and emits no metrics.
    const fns = (Object.values(s.template.findResources('AWS::Lambda::Function')) as Resource[])
      .filter((f) => ((f.Properties['Tags'] as { Key: string }[] | undefined) ?? []).some((t) => t.Key === 'braid:function'));
    // Act
    const namespaces = fns.map((f) => (f.Properties['Environment'] as { Variables: Record<string, unknown> }).Variables['POWERTOOLS_METRICS_NAMESPACE']);
    // Assess
    expect(namespaces).toEqual(fns.map(() => 'Braid/Braid'));
  });
});

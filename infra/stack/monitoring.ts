/**
 * What an operator watches: one CloudWatch dashboard and the alarms that page (through one SNS topic),
 * built from the custom metrics catalogue (`shared/observability/metric-names.ts`) and the services' own
 * metrics. Every alarm treats missing data as not breaching: no traffic is not an incident.
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  Alarm, AlarmStatusWidget, ComparisonOperator, Dashboard, GraphWidget, MathExpression, Metric, TextWidget,
  TreatMissingData, type IMetric,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Operation, type ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { FilterPattern, MetricFilter } from 'aws-cdk-lib/aws-logs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRIC_SERVICE, METRICS, type MetricName } from '../../shared/observability/metric-names';
import type { BraidFunction, FunctionName } from './braid-function';

/** Props of {@link Monitoring}. */
export interface MonitoringProps {
  functions: Record<FunctionName, BraidFunction>;
  /** Custom metrics namespace (`Braid/<stack>`). */
  namespace: string;
  /** The table (its throttled requests). */
  table: ITable;
  /** Dead letters of the finalizer. */
  finalizerDlq: IQueue;
  /** Stream batches the fan-out gave up on. */
  fanoutFailures: IQueue;
  /** Subscribe this address to the alarm topic. @default none */
  alarmEmail?: string;
  /** Delete the topic's key with the stack. @default false */
  destroyData: boolean;
}

/** Alarm thresholds, documented in the README ("Operating Braid"). */
export const ALARM_THRESHOLDS = {
  /** Share of finished runs that failed or timed out over 15 minutes (with at least 5 finished). */
  failedRunRate: 0.2,
  /** Share of executor invocations that failed over 15 minutes (node failures are errors too). */
  executorErrorRate: 0.25,
  /** Fan-out stream lag before the live view is noticeably late. */
  fanoutIteratorAgeMs: 60_000,
} as const;

/** The dashboard, alarms and alarm topic. */
export class Monitoring extends Construct {
  /** Every alarm notifies this topic. */
  readonly topic: Topic;
  /** The alarms, by id. */
  readonly alarms: Record<string, Alarm>;
  /** The dashboard. */
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const fns = props.functions;
    const five = Duration.minutes(5);
    const fifteen = Duration.minutes(15);
    const custom = (name: MetricName, period: Duration = five, dimensions: Record<string, string> = {}) => new Metric({
      namespace: props.namespace, metricName: name, period, statistic: METRICS[name].statistic,
      dimensionsMap: { service: METRIC_SERVICE, ...dimensions },
    });
    const sum = (name: MetricName, period: Duration = fifteen) => custom(name, period).with({ statistic: 'Sum' });

    // CloudWatch alarms can publish to an encrypted topic only through a customer managed key it may use.
    const key = new Key(this, 'AlarmTopicKey', {
      enableKeyRotation: true,
      description: 'Encrypts the Braid alarm topic',
      removalPolicy: props.destroyData ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    });
    key.addToResourcePolicy(new PolicyStatement({
      sid: 'CloudWatchAlarms',
      principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
      conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
    }));
    this.topic = new Topic(this, 'AlarmTopic', { displayName: 'Braid alarms', masterKey: key, enforceSSL: true });
    if (props.alarmEmail) this.topic.addSubscription(new EmailSubscription(props.alarmEmail));

    const executor = fns.executor.fn;
    // Lambda cuts the executor at 900 s as "Task timed out": Step Functions sees Lambda.Unknown, which no retrier
    // matches. Validation bounds nodes to prevent it; this filter shows it if it ever happens.
    const timeoutFilter = new MetricFilter(this, 'ExecutorTimeoutFilter', {
      logGroup: fns.executor.logGroup,
      filterPattern: FilterPattern.literal('"Task timed out"'),
      metricNamespace: props.namespace,
      metricName: 'ExecutorTimeouts',
      metricValue: '1',
      defaultValue: 0,
    });
    const executorTimeouts = timeoutFilter.metric({ period: fifteen, statistic: 'Sum' });
    const executorErrorRate = new MathExpression({
      expression: 'IF(inv >= 10, err / inv, 0)',
      usingMetrics: { err: executor.metricErrors({ period: fifteen }), inv: executor.metricInvocations({ period: fifteen }) },
      label: 'executor error rate', period: fifteen,
    });
    const otherErrors = new MathExpression({
      expression: Object.keys(fns).filter((n) => n !== 'executor').map((_, i) => `e${i}`).join(' + '),
      usingMetrics: Object.fromEntries(Object.entries(fns).filter(([n]) => n !== 'executor').map(([, f], i) => [`e${i}`, f.fn.metricErrors({ period: five })])),
      label: 'errors of the other functions', period: five,
    });
    const throttles = new MathExpression({
      expression: Object.keys(fns).map((_, i) => `t${i}`).join(' + '),
      usingMetrics: Object.fromEntries(Object.values(fns).map((f, i) => [`t${i}`, f.fn.metricThrottles({ period: five })])),
      label: 'Lambda throttles (all functions)', period: five,
    });
    // The operations the store uses (shared/adapters/aws-calls.ts): on-demand tables still throttle hot partitions.
    const tableThrottles = props.table.metricThrottledRequestsForOperations({
      operations: [Operation.GET_ITEM, Operation.PUT_ITEM, Operation.UPDATE_ITEM, Operation.DELETE_ITEM, Operation.QUERY, Operation.BATCH_GET_ITEM],
      period: five,
    });
    const startThrottles = new Metric({
      namespace: 'AWS/States', metricName: 'ThrottledEvents', dimensionsMap: { APIName: 'StartExecution' }, statistic: 'Sum', period: five,
    });
    const failedRunRate = new MathExpression({
      expression: 'IF(ok + bad >= 5, bad / (ok + bad), 0)',
      usingMetrics: { ok: sum('RunsSucceeded'), bad: sum('RunsFailed') },
      label: 'failed-run rate', period: fifteen,
    });
    const fanout = fns['ws-fanout'].fn;
    const fanoutLag = fanout.metric('IteratorAge', { statistic: 'Maximum', period: five });
    const queued = (queue: IQueue) => queue.metricApproximateNumberOfMessagesVisible({ period: five, statistic: 'Maximum' });

    const alarm = (alarmId: string, description: string, metric: IMetric, threshold: number, evaluationPeriods = 1) => {
      const created = new Alarm(this, alarmId, {
        alarmDescription: description, metric, threshold, evaluationPeriods,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      created.addAlarmAction(new SnsAction(this.topic));
      return created;
    };
    this.alarms = {
      ExecutorErrorRate: alarm('ExecutorErrorRate', `More than ${ALARM_THRESHOLDS.executorErrorRate * 100}% of executor invocations failed over 15 minutes (agents or tools failing, or the store throttling)`, executorErrorRate, ALARM_THRESHOLDS.executorErrorRate),
      ExecutorTimeouts: alarm('ExecutorTimeouts', 'The executor Lambda was cut at its timeout (Lambda.Unknown in Step Functions: not retried)', executorTimeouts, 1),
      FunctionErrors: alarm('FunctionErrors', 'A function other than the executor failed (these map every expected error to a response, so any error is a bug or an outage)', otherErrors, 1),
      FailedRunRate: alarm('FailedRunRate', `More than ${ALARM_THRESHOLDS.failedRunRate * 100}% of finished runs failed or timed out over 15 minutes (at least 5 finished)`, failedRunRate, ALARM_THRESHOLDS.failedRunRate),
      Throttles: alarm('Throttles', 'Lambda throttled a Braid function (account or reserved concurrency)', throttles, 1),
      TableThrottles: alarm('TableThrottles', 'DynamoDB throttled the table (nodes fail with Braid.Transient and retry, the API answers 503)', tableThrottles, 1),
      StartThrottles: alarm('StartThrottles', 'Step Functions throttled StartExecution (runs get 503 and must be retried by clients)', startThrottles, 1),
      FanoutFailures: alarm('FanoutFailures', 'The live fan-out gave up on a stream batch (WebSocket clients may miss live events until they resume by seq)', queued(props.fanoutFailures), 1),
      FanoutLag: alarm('FanoutLag', 'The live fan-out is more than a minute behind the table stream', fanoutLag, ALARM_THRESHOLDS.fanoutIteratorAgeMs, 2),
      FinalizerDeadLetters: alarm('FinalizerDeadLetters', 'A Step Functions status event could not be delivered to the finalizer (the 15-minute sweep will catch the run)', queued(props.finalizerDlq), 1),
      SweepFinds: alarm('SweepFinds', 'The 15-minute sweep closed runs that no status event closed (lost events or starts that never reached Step Functions)', sum('SweepFinds'), 1),
    };

    this.dashboard = new Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(3) });
    const graph = (title: string, left: IMetric[], right: IMetric[] = []) => new GraphWidget({ title, left, right, width: 8, height: 6 });
    const statistic = (name: MetricName, stat: string) => custom(name).with({ statistic: stat, label: `${name} ${stat}` });
    const byError = new MathExpression({
      expression: `SEARCH('{${props.namespace},ErrorName,service} MetricName="NodeFailuresByError"', 'Sum', 300)`,
      label: 'node failures by error name', period: five,
    });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown: '# Braid\nRuns, nodes, gates and live delivery (custom metrics `' + props.namespace + '`), then the functions. '
          + 'To follow one run: README, "Operating Braid".',
        width: 24, height: 2,
      }),
    );
    this.dashboard.addWidgets(new AlarmStatusWidget({ title: 'Alarms', alarms: Object.values(this.alarms), width: 24, height: 3 }));
    this.dashboard.addWidgets(
      graph('Runs', [sum('RunsStarted', five), sum('RunsSucceeded', five), sum('RunsFailed', five), sum('RunsCancelled', five)]),
      graph('Failed-run rate (15 min)', [failedRunRate]),
      graph('Reconciliation', [sum('RunsReconciled'), sum('SweepFinds')], [queued(props.finalizerDlq)]),
    );
    this.dashboard.addWidgets(
      graph('Node duration (ms)', [statistic('NodeDuration', 'p50'), statistic('NodeDuration', 'p90'), statistic('NodeDuration', 'p99')]),
      graph('Node attempts and failures', [statistic('NodeAttempts', 'Average')], [sum('NodeFailures', five), sum('NodeSucceeded', five)]),
      graph('Node failures by error name', [byError]),
    );
    this.dashboard.addWidgets(
      graph('Agent cost (micro-USD)', [sum('NodeCostMicroUsd', Duration.hours(1))]),
      graph('Gate wait (ms)', [statistic('GateWait', 'p50'), statistic('GateWait', 'p90')]),
      graph('Live delivery', [statistic('EventDeliveryLatency', 'p50'), statistic('EventDeliveryLatency', 'p99')], [fanoutLag, queued(props.fanoutFailures)]),
    );
    this.dashboard.addWidgets(
      graph('Executor', [executor.metricInvocations({ period: five }), executor.metricErrors({ period: five })], [executorTimeouts]),
      graph('Function errors and throttles', [otherErrors], [throttles, startThrottles, tableThrottles]),
      graph('Function duration p90 (ms)', Object.values(fns).map((f) => f.fn.metricDuration({ statistic: 'p90', period: five }))),
    );
  }
}

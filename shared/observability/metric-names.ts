/**
 * The catalogue of Braid's custom metrics (CloudWatch embedded metric format, namespace `Braid/<stack>`,
 * dimension `service=braid`). The functions emit them, the CDK dashboard and alarms read them, the README
 * lists them: all from this one table.
 */

/** A CloudWatch unit Braid uses. */
export type MetricUnit = 'Count' | 'Milliseconds' | 'None';

/** One metric: its unit, the statistic that makes sense for it, and what it counts. */
export interface MetricSpec {
  unit: MetricUnit;
  statistic: 'Sum' | 'Average' | 'p50' | 'p90' | 'p99' | 'Maximum';
  /** Extra dimension beyond `service`, if any. */
  dimension?: 'ErrorName';
  meaning: string;
}

/** Every custom metric, by name. */
export const METRICS = {
  NodeDuration: { unit: 'Milliseconds', statistic: 'p90', meaning: 'one attempt of an executed node, from node.started to its outcome' },
  NodeAttempts: { unit: 'Count', statistic: 'Average', meaning: 'attempts a node took, recorded once when it succeeds or finally fails' },
  NodeSucceeded: { unit: 'Count', statistic: 'Sum', meaning: 'nodes that succeeded' },
  NodeFailures: { unit: 'Count', statistic: 'Sum', meaning: 'failed node attempts (retried or final)' },
  NodeFailuresByError: { unit: 'Count', statistic: 'Sum', dimension: 'ErrorName', meaning: 'failed node attempts by error name (Braid.*, States.*, Lambda.*, else Other)' },
  NodeCostMicroUsd: { unit: 'None', statistic: 'Sum', meaning: 'cost agents reported, in millionths of a US dollar' },
  GateWait: { unit: 'Milliseconds', statistic: 'p90', meaning: 'time from a gate opening to its decision' },
  RunsStarted: { unit: 'Count', statistic: 'Sum', meaning: 'runs started' },
  RunsSucceeded: { unit: 'Count', statistic: 'Sum', meaning: 'runs that succeeded' },
  RunsFailed: { unit: 'Count', statistic: 'Sum', meaning: 'runs that failed or timed out' },
  RunsCancelled: { unit: 'Count', statistic: 'Sum', meaning: 'runs cancelled' },
  EventDeliveryLatency: { unit: 'Milliseconds', statistic: 'p90', meaning: 'time from an event being recorded to its post to a WebSocket connection' },
  RunsReconciled: { unit: 'Count', statistic: 'Sum', meaning: 'runs the finalizer closed from a Step Functions status event (the execution ended without finalize)' },
  SweepFinds: { unit: 'Count', statistic: 'Sum', meaning: 'runs only the 15-minute sweep caught (a lost status event or a start that never reached Step Functions)' },
} as const satisfies Record<string, MetricSpec>;

/** A metric name. */
export type MetricName = keyof typeof METRICS;

/** The `service` dimension of every Braid metric: one value, so alarms sum across functions. */
export const METRIC_SERVICE = 'braid';

/**
 * The metrics namespace of a stack.
 * @example metricNamespace('Braid') // 'Braid/Braid'
 */
export function metricNamespace(stackName: string): string {
  return `Braid/${stackName}`;
}

/**
 * The metrics port: what Braid's code emits, and two sinks. On Lambda the sink writes CloudWatch embedded
 * metric format (EMF) lines through Powertools Metrics, one line per data point, so no handler has to flush
 * at the end of an invocation; locally and in tests the sink keeps the points (or drops them).
 */
import { Metrics } from '@aws-lambda-powertools/metrics';
import { METRIC_SERVICE, METRICS, type MetricName } from './metric-names';

/** One data point. */
export interface Datapoint {
  name: MetricName;
  value: number;
  /** Only the dimension the catalogue names for this metric. */
  dimensions?: Record<string, string>;
}

/** Where data points go. Never throws: metrics must not fail the work they measure. */
export interface MetricSink {
  put(points: readonly Datapoint[]): void;
}

/** Drops every point (the default wherever no sink is given). */
export const NO_METRICS: MetricSink = { put: () => undefined };

/** A sink that keeps the points, for tests and the local stack. */
export interface CollectingSink extends MetricSink {
  readonly points: Datapoint[];
}

/** Builds a {@link CollectingSink}. */
export function createCollectingSink(): CollectingSink {
  const points: Datapoint[] = [];
  return { points, put: (more) => { points.push(...more); } };
}

/**
 * The EMF sink: namespace `Braid/<stack>`, dimension `service=braid` on every point (plus the catalogue's
 * extra dimension), published immediately.
 * @example createEmfSink('Braid/Braid').put([{ name: 'RunsStarted', value: 1 }])
 */
export function createEmfSink(namespace: string, onError: (error: unknown) => void = () => undefined): MetricSink {
  const metrics = new Metrics({ namespace, serviceName: METRIC_SERVICE });
  return {
    put(points) {
      for (const point of points) {
        try {
          const single = metrics.singleMetric();
          for (const [key, value] of Object.entries(point.dimensions ?? {})) single.addDimension(key, value);
          single.addMetric(point.name, METRICS[point.name].unit, point.value);
        } catch (error) {
          onError(error);
        }
      }
    },
  };
}

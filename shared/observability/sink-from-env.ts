/**
 * The metric sink of a Lambda function, from its environment: EMF when the stack set
 * `POWERTOOLS_METRICS_NAMESPACE` (every function it deploys), nothing otherwise (the local stack, tests).
 */
import { createEmfSink, NO_METRICS, type MetricSink } from './metrics';

/** Variable holding the metrics namespace (`Braid/<stack>`); the Powertools name for it. */
export const METRICS_NAMESPACE_ENV = 'POWERTOOLS_METRICS_NAMESPACE';

/** The EMF sink when a namespace is configured, else {@link NO_METRICS}. */
export function metricSinkFromEnv(env: NodeJS.ProcessEnv = process.env): MetricSink {
  const namespace = env[METRICS_NAMESPACE_ENV];
  return namespace ? createEmfSink(namespace) : NO_METRICS;
}

/**
 * Metrics derived from the event log: every transition Braid records goes through `append`, once, so a
 * decorator on the repository measures nodes, gates and runs without touching the services that record them.
 */
import type { RunEvent } from '../model/types';
import type { EventLogRepository } from '../store/events';
import type { MetricSink, Datapoint } from './metrics';

/** Error names kept as a dimension value; anything else is `Other`, so the dimension stays small. */
const KNOWN_ERROR_PREFIXES = ['Braid.', 'States.', 'Lambda.'];

/** Bounds the `ErrorName` dimension. */
export function errorDimension(name: unknown): string {
  if (typeof name !== 'string' || name.length > 64) return 'Other';
  return KNOWN_ERROR_PREFIXES.some((p) => name.startsWith(p)) ? name : 'Other';
}

const ms = (from: string | undefined, to: string): number | undefined => {
  if (from === undefined) return undefined;
  const d = Date.parse(to) - Date.parse(from);
  return Number.isFinite(d) && d >= 0 ? d : undefined;
};

/**
 * The data points of one newly recorded event. `startedAt` is when the same attempt's `node.started` was
 * recorded (known when this process recorded it); `openedAt` when a decided gate opened.
 */
export function metricsOfEvent(event: Pick<RunEvent, 'type' | 'at' | 'data'>, times: { startedAt?: string; openedAt?: string } = {}): Datapoint[] {
  const data = event.data;
  const attempt = typeof data['attempt'] === 'number' ? data['attempt'] : undefined;
  const duration = ms(times.startedAt, event.at);
  const points: Datapoint[] = [];
  switch (event.type) {
    case 'run.started': return [{ name: 'RunsStarted', value: 1 }];
    case 'run.succeeded': return [{ name: 'RunsSucceeded', value: 1 }];
    case 'run.failed':
    case 'run.timed_out': return [{ name: 'RunsFailed', value: 1 }];
    case 'run.cancelled': return [{ name: 'RunsCancelled', value: 1 }];
    case 'node.succeeded': {
      points.push({ name: 'NodeSucceeded', value: 1 });
      if (attempt !== undefined) points.push({ name: 'NodeAttempts', value: attempt + 1 });
      if (duration !== undefined) points.push({ name: 'NodeDuration', value: duration });
      const usd = (data['cost'] as { usd?: unknown } | undefined)?.usd;
      if (typeof usd === 'number' && Number.isFinite(usd) && usd >= 0) points.push({ name: 'NodeCostMicroUsd', value: Math.round(usd * 1e6) });
      return points;
    }
    case 'node.retrying':
    case 'node.failed': {
      const name = errorDimension((data['error'] as { name?: unknown } | undefined)?.name);
      points.push({ name: 'NodeFailures', value: 1 }, { name: 'NodeFailuresByError', value: 1, dimensions: { ErrorName: name } });
      if (event.type === 'node.failed' && attempt !== undefined) points.push({ name: 'NodeAttempts', value: attempt + 1 });
      if (duration !== undefined) points.push({ name: 'NodeDuration', value: duration });
      return points;
    }
    case 'gate.approved':
    case 'gate.rejected': {
      const wait = ms(times.openedAt, event.at);
      return wait === undefined ? [] : [{ name: 'GateWait', value: wait }];
    }
    default:
      return [];
  }
}

/** Most `node.started` times remembered per process (an executor runs one attempt per invocation). */
const MAX_REMEMBERED = 1_000;

/**
 * Wraps an event log so every event it records for the first time is measured. A repeated append (same
 * transition key) measures nothing, so retries and redeliveries do not double-count.
 */
export function withEventMetrics(log: EventLogRepository, sink: MetricSink): EventLogRepository {
  const started = new Map<string, string>();
  const opened = new Map<string, string>();
  const remember = (map: Map<string, string>, key: string, at: string) => {
    if (map.size >= MAX_REMEMBERED) map.delete(map.keys().next().value as string);
    map.set(key, at);
  };
  const measure = (runId: string, event: Parameters<EventLogRepository['append']>[2]) => {
    const attempt = event.data['attempt'];
    const nodeKey = `${runId}/${event.nodeId ?? ''}`;
    if (event.type === 'node.started') remember(started, `${nodeKey}/${String(attempt)}`, event.at);
    if (event.type === 'node.waiting') remember(opened, nodeKey, event.at);
    const openedAt = typeof event.data['openedAt'] === 'string' ? event.data['openedAt'] : opened.get(nodeKey);
    const startedAt = attempt === undefined ? undefined : started.get(`${nodeKey}/${String(attempt)}`);
    sink.put(metricsOfEvent(event, { ...(startedAt !== undefined ? { startedAt } : {}), ...(openedAt !== undefined ? { openedAt } : {}) }));
  };
  return {
    ...log,
    list: (runId, options) => log.list(runId, options),
    lastSeq: (runId) => log.lastSeq(runId),
    isRecorded: (runId, transitionKey) => log.isRecorded(runId, transitionKey),
    async append(runId, transitionKey, event, options) {
      const result = await log.append(runId, transitionKey, event, options);
      if (result.created) measure(runId, event);
      return result;
    },
    async appendAll(runId, entries, options) {
      const results = await log.appendAll(runId, entries, options);
      results.forEach((result, i) => { if (result.created) measure(runId, entries[i]!.event); });
      return results;
    },
  };
}

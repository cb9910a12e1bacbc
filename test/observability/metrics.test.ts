import { afterEach, describe, expect, it, vi } from 'vitest';
import { withDeliveryMetrics } from '../../shared/observability/delivery-metrics';
import { errorDimension, metricsOfEvent, withEventMetrics } from '../../shared/observability/event-metrics';
import { METRICS } from '../../shared/observability/metric-names';
import { createCollectingSink, createEmfSink } from '../../shared/observability/metrics';
import { metricSinkFromEnv } from '../../shared/observability/sink-from-env';
import type { NewRunEvent, EventLogRepository } from '../../shared/store/events';
import type { RunEvent } from '../../shared/model/types';

/** An in-memory event log with the repository's once-per-transition-key contract. */
function memoryLog(): EventLogRepository {
  const byKey = new Map<string, RunEvent>();
  let seq = 0;
  return {
    async append(runId, transitionKey, event: NewRunEvent) {
      const seen = byKey.get(`${runId}/${transitionKey}`);
      if (seen) return { event: seen, created: false };
      const full = { ...event, runId, seq: ++seq } as RunEvent;
      byKey.set(`${runId}/${transitionKey}`, full);
      return { event: full, created: true };
    },
    async appendAll(runId, entries) {
      const results = [];
      for (const e of entries) results.push(await this.append(runId, e.transitionKey, e.event));
      return results;
    },
    async list() { return { events: [...byKey.values()], nextAfter: undefined } as never; },
    async lastSeq() { return seq; },
    async isRecorded(runId, transitionKey) { return byKey.has(`${runId}/${transitionKey}`); },
  };
}

const at = (s: number) => new Date(Date.UTC(2026, 11, 1, 12, 0, s)).toISOString();

describe('metricsOfEvent', () => {
  it('measures a node that succeeded: count, attempts, duration, cost in micro-dollars', () => {
    // Prepare
    const event = { type: 'node.succeeded' as const, at: at(3), data: { attempt: 1, cost: { usd: 0.0123 } } };
    // Act
    const points = metricsOfEvent(event, { startedAt: at(1) });
    // Assess
    expect(points).toStrictEqual([
      { name: 'NodeSucceeded', value: 1 },
      { name: 'NodeAttempts', value: 2 },
      { name: 'NodeDuration', value: 2_000 },
      { name: 'NodeCostMicroUsd', value: 12_300 },
    ]);
  });

  it('counts failures by a bounded error name, and final attempts only on node.failed', () => {
    // Prepare
    const retrying = { type: 'node.retrying' as const, at: at(2), data: { attempt: 0, error: { name: 'Braid.NodeFailed', message: 'x' } } };
    const failed = { type: 'node.failed' as const, at: at(2), data: { attempt: 2, error: { name: 'SomeLibraryError', message: 'x' } } };
    // Act
    const [a, b] = [metricsOfEvent(retrying), metricsOfEvent(failed)];
    // Assess
    expect(a).toStrictEqual([{ name: 'NodeFailures', value: 1 }, { name: 'NodeFailuresByError', value: 1, dimensions: { ErrorName: 'Braid.NodeFailed' } }]);
    expect(b).toStrictEqual([
      { name: 'NodeFailures', value: 1 }, { name: 'NodeFailuresByError', value: 1, dimensions: { ErrorName: 'Other' } }, { name: 'NodeAttempts', value: 3 },
    ]);
    expect(errorDimension('States.Timeout')).toBe('States.Timeout');
    expect(errorDimension(`Braid.${'x'.repeat(80)}`)).toBe('Other');
  });

  it('measures gate waits and run outcomes (timed-out runs count as failed)', () => {
    // Prepare, Act
    const gate = metricsOfEvent({ type: 'gate.approved', at: at(30), data: { by: 'u' } }, { openedAt: at(0) });
    const runs = (['run.started', 'run.succeeded', 'run.failed', 'run.timed_out', 'run.cancelled'] as const).map((type) => metricsOfEvent({ type, at: at(0), data: {} }));
    // Assess
    expect(gate).toStrictEqual([{ name: 'GateWait', value: 30_000 }]);
    expect(runs.map((p) => p[0]?.name)).toStrictEqual(['RunsStarted', 'RunsSucceeded', 'RunsFailed', 'RunsFailed', 'RunsCancelled']);
  });
});

describe('withEventMetrics', () => {
  it('measures each transition once, pairing node.started with its outcome in the same process', async () => {
    // Prepare
    const sink = createCollectingSink();
    const log = withEventMetrics(memoryLog(), sink);
    // Act
    await log.append('r1', 'node.started:a:0', { type: 'node.started', nodeId: 'a', at: at(0), data: { attempt: 0 } });
    await log.append('r1', 'node.succeeded:a', { type: 'node.succeeded', nodeId: 'a', at: at(5), data: { attempt: 0 } });
    await log.append('r1', 'node.succeeded:a', { type: 'node.succeeded', nodeId: 'a', at: at(9), data: { attempt: 0 } });
    // Assess: the repeated append (a redelivery) measured nothing
    expect(sink.points).toStrictEqual([
      { name: 'NodeSucceeded', value: 1 }, { name: 'NodeAttempts', value: 1 }, { name: 'NodeDuration', value: 5_000 },
    ]);
  });

  it('takes a gate\'s wait from the openedAt its decision event carries (decided in another function)', async () => {
    // Prepare
    const sink = createCollectingSink();
    const log = withEventMetrics(memoryLog(), sink);
    // Act
    await log.append('r1', 'gate.rejected:g', { type: 'gate.rejected', nodeId: 'g', at: at(42), data: { by: 'u', openedAt: at(2) } });
    // Assess
    expect(sink.points).toStrictEqual([{ name: 'GateWait', value: 40_000 }]);
  });
});

describe('withDeliveryMetrics', () => {
  it('measures event frames that reached a connection, not other messages or gone connections', async () => {
    // Prepare
    const sink = createCollectingSink();
    const results = ['ok', 'gone', 'ok'] as const;
    let i = 0;
    const poster = withDeliveryMetrics({ post: async () => results[i++] ?? 'ok' } as never, sink, () => Date.parse(at(2)));
    const frame = JSON.stringify({ runId: 'r', seq: 1, type: 'run.started', at: at(1), data: {} });
    // Act
    await poster.post('c1', frame);
    await poster.post('c2', frame);
    await poster.post('c1', JSON.stringify({ type: 'subscribed', runId: 'r' }));
    // Assess
    expect(sink.points).toStrictEqual([{ name: 'EventDeliveryLatency', value: 1_000 }]);
  });
});

describe('EMF sink', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('writes one embedded-metric-format line per point: namespace, service dimension, unit from the catalogue', () => {
    // Prepare
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    const sink = createEmfSink('Braid/Test');
    // Act
    sink.put([{ name: 'NodeFailuresByError', value: 1, dimensions: { ErrorName: 'Braid.NodeFailed' } }, { name: 'GateWait', value: 250 }]);
    vi.restoreAllMocks();
    // Assess
    const records = lines.map((l) => JSON.parse(l) as { _aws: { CloudWatchMetrics: [{ Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }] } } & Record<string, unknown>);
    expect(records).toHaveLength(2);
    expect(records[0]?._aws.CloudWatchMetrics[0].Namespace).toBe('Braid/Test');
    expect(records[0]?._aws.CloudWatchMetrics[0].Dimensions[0]?.sort()).toStrictEqual(['ErrorName', 'service']);
    expect(records[0]).toMatchObject({ service: 'braid', ErrorName: 'Braid.NodeFailed', NodeFailuresByError: 1 });
    expect(records[1]?._aws.CloudWatchMetrics[0].Metrics).toStrictEqual([{ Name: 'GateWait', Unit: METRICS.GateWait.unit }]);
  });

  it('is off unless the stack configured a namespace (the local stack writes no EMF)', () => {
    // Prepare
    const write = vi.spyOn(process.stdout, 'write');
    // Act
    metricSinkFromEnv({}).put([{ name: 'RunsStarted', value: 1 }]);
    // Assess
    expect(write).not.toHaveBeenCalled();
  });
});

describe('request log keys', () => {
  it('names the run and node of run and gate routes, nothing for other routes', async () => {
    // Prepare
    const { runKeys } = await import('../../functions/http/app');
    // Act, Assess
    expect(runKeys('/api/v1/workflows/runs/r-1/gates/approve/approve')).toStrictEqual({ runId: 'r-1', nodeId: 'approve' });
    expect(runKeys('/api/v1/workflows/runs/r%202/events')).toStrictEqual({ runId: 'r 2' });
    expect(runKeys('/api/v1/workflows/wf-1')).toStrictEqual({});
  });
});

/**
 * The local stack delivers execution ends to the finalizer as AWS does: a finalizer that throws is called again
 * with the same event (EventBridge's target retries), and the scheduled sweep closes a run that no status event
 * closed (the CDK stack's 15-minute rule; shortened here).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { LocalOrchestrator } from '../../infra/local/local-orchestrator';
import type { MetricSink } from '../../shared/observability/metrics';
import type { Run } from '../../shared/model/types';
import { createWorkflow, waitFor, type TestStack } from './helpers';
import { startTestStack } from '../support/local-stack';

/** One Pass state: the execution ends as soon as it starts. */
const PASS = { StartAt: 'done', States: { done: { Type: 'Pass', End: true } } };

async function endOnce(finalizer: (event: unknown) => Promise<unknown>, retries: number, onFinalizerError: (error: unknown) => void): Promise<void> {
  const orchestrator = new LocalOrchestrator({ executor: async () => ({}), finalizer, finalizerRetry: { retries, firstDelayMs: 1 }, onFinalizerError });
  const { versionArn } = await orchestrator.register({ workflowId: 'wf', version: 1, definition: PASS });
  await orchestrator.start({ versionArn, runId: 'r1', input: {} });
  await orchestrator.idle();
  orchestrator.close();
}

describe('finalizer delivery on the local orchestrator', () => {
  it('calls a finalizer that threw again with the same event until it succeeds', async () => {
    // Prepare: a finalizer that fails twice
    const events: unknown[] = [];
    const errors: unknown[] = [];
    // Act
    await endOnce(async (event) => {
      events.push(event);
      if (events.length < 3) throw new Error(`throttled ${events.length}`);
    }, 4, (error) => errors.push(error));
    // Assess
    expect(events).toHaveLength(3);
    expect(events[1]).toStrictEqual(events[0]);
    expect((events[0] as { detail: { status: string } }).detail.status).toBe('SUCCEEDED');
    expect(errors).toStrictEqual([]);
  });

  it('reports the last error once its retries are spent', async () => {
    // Prepare
    let calls = 0;
    const errors: unknown[] = [];
    // Act
    await endOnce(async () => {
      calls += 1;
      throw new Error(`down ${calls}`);
    }, 2, (error) => errors.push(error));
    // Assess
    expect(calls).toBe(3);
    expect(errors.map((e) => (e as Error).message)).toStrictEqual(['down 3']);
  });
});

describe('the local stack\'s sweep', () => {
  let stack: TestStack | undefined;
  afterEach(async () => { await stack?.close(); stack = undefined; });

  it('runs on its interval and closes a run whose execution never started', async () => {
    // Prepare: a run recorded an hour ago whose start never reached the engine (no status event will come)
    const metrics: Array<{ name: string; value: number }> = [];
    const sink: MetricSink = { put: (points) => { metrics.push(...points.map((p) => ({ name: p.name, value: p.value }))); } };
    stack = await startTestStack({ sweepIntervalMs: 50, metrics: sink });
    const workflowId = await createWorkflow(stack, 'alice', { name: 'lost', nodes: [{ id: 'a', type: 'tool_call', tool: { kind: 'builtin', name: 'echo' } }], edges: [] });
    const startedAt = new Date(Date.now() - 60 * 60_000).toISOString();
    const run: Run = { runId: 'run-lost-start', workflowId, version: 1, ownerId: 'alice', startedBy: 'alice', status: 'running', input: {}, startedAt, cost: { usd: 0 } };
    await stack.store.runs.create(run);
    const store = stack.store;
    // Act: the sweep finds it
    const closed = await waitFor(async () => {
      const current = await store.runs.get(run.runId);
      return current?.status === 'running' ? undefined : current;
    }, 'the sweep closed the run');
    // Assess
    expect(closed?.status).toBe('failed');
    expect(closed?.error?.name).toBe('Braid.StartLost');
    await waitFor(() => (metrics.some((m) => m.name === 'SweepFinds' && m.value >= 1) ? true : undefined), 'the sweep reported what it closed');
  });
});

/**
 * Metrics end to end on the local stack: the same handlers as on Lambda, with a collecting sink where AWS has EMF.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import smoke from '../../examples/smoke.json';
import { createCollectingSink, type CollectingSink } from '../../shared/observability/metrics';
import { createWorkflow, startRun, waitFor, waitForNode, waitForRun } from '../runs/helpers';
import { startTestStack, type TestStack } from '../support/local-stack';

describe('metrics of a run through the local stack', () => {
  let stack: TestStack;
  let sink: CollectingSink;

  beforeAll(async () => {
    sink = createCollectingSink();
    stack = await startTestStack({ metrics: sink });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('measures the run, each executed node once, and the gate\'s wait', async () => {
    // Prepare
    const wf = await createWorkflow(stack, 'alice', smoke);
    const runId = await startRun(stack, 'alice', wf, { input: { amount: 250 } });
    await waitForNode(stack, 'alice', runId, 'approve', 'waiting');

    // Act
    const decided = await stack.call('POST', `/api/v1/workflows/runs/${runId}/gates/approve/approve`, { as: 'alice', body: {} });
    await waitForRun(stack, 'alice', runId, ['succeeded', 'failed']);
    // The run's status is written before its final event (execution-close.ts): wait for the event's metric.
    await waitFor(async () => (sink.points.some((p) => p.name === 'RunsSucceeded' || p.name === 'RunsFailed') ? true : undefined), 'the run\'s final event');

    // Assess
    expect(decided.status, decided.text).toBe(200);
    const count = (name: string) => sink.points.filter((p) => p.name === name).length;
    expect(count('RunsStarted')).toBe(1);
    expect(count('RunsSucceeded')).toBe(1);
    expect(count('RunsFailed')).toBe(0);
    // quote, large, book run on the executor; approve succeeds through the gate function
    expect(count('NodeSucceeded')).toBe(4);
    expect(count('NodeDuration')).toBe(3);
    expect(count('GateWait')).toBe(1);
    expect(sink.points.filter((p) => p.name === 'NodeAttempts').map((p) => p.value)).toEqual([1, 1, 1]);
    expect(sink.points.every((p) => Number.isFinite(p.value) && p.value >= 0)).toBe(true);
  });
});

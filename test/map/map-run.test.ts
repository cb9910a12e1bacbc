/**
 * Map nodes on the local stack (real HTTP server, dynalite, aws-local-stepfunctions, the executor's real handler):
 * output in item order, per-item records and events, tolerated and intolerable failures, nested maps.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkflow, getEvents, getNodes, startRun, startRunStack, waitForRun, type TestStack } from '../runs/helpers';

const echo = (id: string, inputs: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ id, type: 'tool_call', tool: { kind: 'builtin', name: 'echo' }, inputs, ...extra });
const fail = (id: string, extra: Record<string, unknown> = {}) => ({ id, type: 'tool_call', tool: { kind: 'builtin', name: 'fail' }, ...extra });

describe('map on the local stack', () => {
  let stack: TestStack;
  beforeAll(async () => { stack = await startRunStack(); });
  afterAll(async () => { await stack?.close(); });

  it('runs the body once per item and outputs results in item order; later nodes bind $map.results', async () => {
    // Prepare
    const wf = await createWorkflow(stack, 'alice', {
      name: 'map basic',
      nodes: [
        echo('search', { hotels: '$context.hotels' }),
        { id: 'review', type: 'map', items: '$search.hotels', maxConcurrency: 3, body: {
          nodes: [echo('score', { name: '$item.name', rank: '$index', city: '$context.city' }), echo('note', { line: '$score.name & "#" & $string($score.rank)' })],
          edges: [{ from: 'score', to: 'note' }] } },
        echo('summary', { lines: '$review.results.line' }),
      ],
      edges: [{ from: 'search', to: 'review' }, { from: 'review', to: 'summary' }],
    });
    const hotels = ['a', 'b', 'c', 'd', 'e'].map((name) => ({ name }));
    // Act
    const runId = await startRun(stack, 'alice', wf, { input: { hotels, city: 'Oslo' } });
    const run = await waitForRun(stack, 'alice', runId, ['succeeded', 'failed'], 30_000);
    // Assess
    expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
    expect(run.output).toEqual({ summary: { lines: ['a#0', 'b#1', 'c#2', 'd#3', 'e#4'] } });
    const nodes = await getNodes(stack, 'alice', runId);
    expect(Object.keys(nodes)).toEqual(['search', 'review', 'summary']);
    expect(nodes.review.progress).toEqual({ total: 5, succeeded: 5, failed: 0, running: 0 });
    expect(nodes.review.output.failed).toEqual([]);
    expect(nodes.review.output.results[2]).toEqual({ line: 'c#2' });
    const events = await getEvents(stack, 'alice', runId);
    const bodyEvents = events.filter((e) => e.nodeId === 'score' || e.nodeId === 'note');
    expect(bodyEvents.length).toBe(20);
    expect(bodyEvents.every((e) => typeof e.item === 'number')).toBe(true);
    expect(events.filter((e) => e.type === 'item.succeeded').map((e) => e.item).sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it('tolerates failures up to the count: failed items are null and listed; one more fails the run', async () => {
    // Prepare: items whose `bad` flag fails the body.
    const def = (count: number) => ({
      name: `map tolerated ${count}`,
      nodes: [
        { id: 'm', type: 'map', items: '$context.list', toleratedFailures: { count }, body: {
          nodes: [{ id: 'pick', type: 'condition', expression: '$item.bad = true' }, fail('boom'), echo('ok', { v: '$item.v' })],
          edges: [{ from: 'pick', to: 'boom', when: true }, { from: 'pick', to: 'ok', when: false }] } },
      ],
      edges: [],
    });
    const list = [{ v: 0 }, { v: 1, bad: true }, { v: 2 }, { v: 3, bad: true }];
    // Act
    const okRun = await startRun(stack, 'alice', await createWorkflow(stack, 'alice', def(2)), { input: { list } });
    const badRun = await startRun(stack, 'alice', await createWorkflow(stack, 'alice', def(1)), { input: { list } });
    const [ok, bad] = await Promise.all([waitForRun(stack, 'alice', okRun, ['succeeded', 'failed'], 30_000), waitForRun(stack, 'alice', badRun, ['succeeded', 'failed'], 30_000)]);
    // Assess
    expect(ok.status).toBe('succeeded');
    expect(ok.output.m.results).toEqual([{ ok: { v: 0 } }, null, { ok: { v: 2 } }, null].map((r) => (r === null ? null : r)));
    expect(ok.output.m.failed.map((f: { index: number; error: { name: string } }) => [f.index, f.error.name])).toEqual([[1, 'Braid.NodeFailed'], [3, 'Braid.NodeFailed']]);
    expect(bad.status).toBe('failed');
    expect(bad.error.name).toBe('Braid.MapFailed');
    const nodes = await getNodes(stack, 'alice', badRun);
    expect(nodes.m.status).toBe('failed');
    expect(nodes.m.error.message).toMatch(/2 of 4 items failed \(tolerated: 1\)/);
  });

  it('starts no item after the map\'s timeoutSeconds: the map fails with Braid.MapFailed', async () => {
    // Prepare: one at a time, 400 ms each: item 3 cannot start before 1.2 s.
    const wf = await createWorkflow(stack, 'alice', {
      name: 'map timeout',
      nodes: [{ id: 'm', type: 'map', items: '$context.list', maxConcurrency: 1, timeoutSeconds: 1, toleratedFailures: { count: 10 }, body: {
        nodes: [{ id: 'nap', type: 'tool_call', tool: { kind: 'builtin', name: 'sleep' }, inputs: { ms: 400 } }], edges: [] } }],
      edges: [],
    });
    // Act
    const runId = await startRun(stack, 'alice', wf, { input: { list: [0, 1, 2, 3, 4, 5] } });
    const run = await waitForRun(stack, 'alice', runId, ['succeeded', 'failed'], 30_000);
    // Assess
    expect(run.status).toBe('failed');
    const nodes = await getNodes(stack, 'alice', runId);
    expect(nodes.m.error.name).toBe('Braid.MapFailed');
    expect(nodes.m.error.message).toMatch(/passed its timeoutSeconds \(1 s\)/);
  });
});

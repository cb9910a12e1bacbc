/**
 * Map nodes on the local stack, the long scenarios: 200 items at maxConcurrency 10 with a gate inside one item
 * (decided with ?item=), the items route (pages, authorization), cancelling a run mid-map, and a nested map.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalOrchestrator } from '../../infra/local/local-orchestrator';
import { startHttpToolServer } from '../support/http-tool-server';
import { createWorkflow, getEvents, getNodes, startRun, startRunStack, waitFor, waitForRun, type TestStack } from '../runs/helpers';

const echo = (id: string, inputs: Record<string, unknown>) => ({ id, type: 'tool_call', tool: { kind: 'builtin', name: 'echo' }, inputs });

describe('map: gates, items route, cancel, nesting', () => {
  let stack: TestStack;
  beforeAll(async () => { stack = await startRunStack(); });
  afterAll(async () => { await stack?.close(); });

  it('runs 200 items 10 at a time while a gate waits inside item 7; approving it with ?item=7 finishes the map', async () => {
    // Prepare
    const wf = await createWorkflow(stack, 'alice', {
      name: 'map 200 with a gate',
      nodes: [
        { id: 'review', type: 'map', items: '$context.list', maxConcurrency: 10, body: {
          // One task per item (the condition), plus the gate in item 7: the suite runs on a shared, loaded machine.
          nodes: [
            { id: 'check', type: 'condition', expression: '$index = 7' },
            { id: 'ask', type: 'human_gate', prompt: 'Keep item 7?', timeoutSeconds: 600 },
          ],
          edges: [{ from: 'check', to: 'ask', when: true }] } },
      ],
      edges: [],
    });
    const list = Array.from({ length: 200 }, (_, i) => i);
    const runId = await startRun(stack, 'alice', wf, { input: { list } });
    // Act 1: everything but item 7 finishes; item 7 waits at its gate.
    const waiting = await waitFor(async () => {
      const nodes = await getNodes(stack, 'alice', runId);
      const p = nodes.review?.progress;
      return p && p.succeeded === 199 ? nodes : undefined;
    }, '199 items to succeed', 300_000);
    const page = await stack.call('GET', `/api/v1/workflows/runs/${runId}/nodes/review/items?limit=5&cursor=`, { as: 'alice' });
    const second = await stack.call('GET', `/api/v1/workflows/runs/${runId}/nodes/review/items?limit=5&cursor=${page.body.nextCursor}`, { as: 'alice' });
    const stranger = await stack.call('GET', `/api/v1/workflows/runs/${runId}/nodes/review/items`, { as: 'mallory' });
    const unnamed = await stack.call('POST', `/api/v1/workflows/runs/${runId}/gates/ask/approve`, { as: 'alice', body: {} });
    const approved = await stack.call('POST', `/api/v1/workflows/runs/${runId}/gates/ask/approve?item=7`, { as: 'alice', body: { comment: 'keep' } });
    const run = await waitForRun(stack, 'alice', runId, ['succeeded', 'failed'], 60_000);
    // Assess
    expect(waiting.review.progress).toEqual({ total: 200, succeeded: 199, failed: 0, running: 1 });
    expect((await stack.call('GET', `/api/v1/workflows/runs/${runId}`, { as: 'alice' })).status).toBe(200);
    expect(page.status, page.text).toBe(200);
    expect(page.body.items.map((i: { index: number }) => i.index)).toEqual([0, 1, 2, 3, 4]);
    expect(second.body.items.map((i: { index: number; status: string; nodes: Array<{ nodeId: string; status: string; gate?: { status: string } }> }) => [i.index, i.status, i.nodes.find((n) => n.nodeId === 'ask')?.gate?.status ?? null])).toEqual([
      [5, 'succeeded', null], [6, 'succeeded', null], [7, 'running', 'waiting'], [8, 'succeeded', null], [9, 'succeeded', null],
    ]);
    expect(stranger.status).toBe(404);
    expect(unnamed.status).toBe(404);
    expect(approved.status, approved.text).toBe(200);
    expect(run.status).toBe('succeeded');
    const output = (await getNodes(stack, 'alice', runId)).review.output;
    expect(output.results).toHaveLength(200);
    expect(output.results[7]).toMatchObject({ approved: true, by: 'alice', comment: 'keep' });
    // Item 8's only terminal node (the gate) was skipped: a fully skipped item is null, and not a failure.
    expect(output.results[8]).toBeNull();
    expect(output.failed).toEqual([]);
    const events = await getEvents(stack, 'alice', runId);
    expect(events.find((e) => e.type === 'gate.approved')).toMatchObject({ nodeId: 'ask', item: 7 });
    expect(events.filter((e) => e.type === 'item.succeeded')).toHaveLength(200);
  }, 420_000);

  it('cancelling the run stops the map: outstanding items never start', async () => {
    // Prepare: 40 items, two at a time; the first two answer at once, the later ones only once the run is cancelled
    // (so the cancel lands mid-map however slow the machine, and the count of started items cannot reach 40 by chance)
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    const tool = await startHttpToolServer({ handler: async (_request, n) => { if (n >= 2) await released; return { body: { n } }; } });
    try {
      const wf = await createWorkflow(stack, 'alice', {
        name: 'map to cancel',
        nodes: [{ id: 'slow', type: 'map', items: '$context.list', maxConcurrency: 2, body: { nodes: [{ id: 'nap', type: 'tool_call', tool: { kind: 'http', url: `${tool.url}/item` } }], edges: [] } }],
        edges: [],
      });
      const runId = await startRun(stack, 'alice', wf, { input: { list: Array.from({ length: 40 }, (_, i) => i) } });
      await waitFor(async () => ((await getNodes(stack, 'alice', runId)).slow?.progress?.succeeded >= 2 ? true : undefined), 'two items done', 90_000);
      // Act
      const cancelled = await stack.call('POST', `/api/v1/workflows/runs/${runId}/cancel`, { as: 'alice' });
      release();
      await (stack.orchestrator as LocalOrchestrator).idle();
      // Assess
      expect(cancelled.status, cancelled.text).toBe(200);
      const started = (await getEvents(stack, 'alice', runId)).filter((e) => e.type === 'node.started' && e.nodeId === 'nap');
      expect(started.length).toBeLessThan(40);
      const nodes = await getNodes(stack, 'alice', runId);
      expect(nodes.slow.status).toBe('cancelled');
      const items = await stack.call('GET', `/api/v1/workflows/runs/${runId}/nodes/slow/items?limit=100`, { as: 'alice' });
      const statuses = new Set(items.body.items.map((i: { status: string }) => i.status));
      expect(statuses.has('cancelled')).toBe(true);
      expect(statuses.has('running')).toBe(false);
    } finally {
      release();
      await tool.close();
    }
  }, 180_000);

  it('nests a map in a map: the inner body reads the outer item, results nest, the items route takes ?item=', async () => {
    // Prepare
    const wf = await createWorkflow(stack, 'alice', {
      name: 'nested maps',
      nodes: [
        { id: 'cities', type: 'map', items: '$context.cities', body: {
          nodes: [
            echo('label', { city: '$item.name' }),
            { id: 'hotels', type: 'map', items: '$item.hotels', body: { nodes: [echo('line', { text: '$label.city & "/" & $item' })], edges: [] } },
          ],
          edges: [{ from: 'label', to: 'hotels' }] } },
      ],
      edges: [],
    });
    // Act
    const runId = await startRun(stack, 'alice', wf, { input: { cities: [{ name: 'Oslo', hotels: ['a', 'b'] }, { name: 'Rome', hotels: ['c'] }] } });
    const run = await waitForRun(stack, 'alice', runId, ['succeeded', 'failed'], 90_000);
    const inner = await stack.call('GET', `/api/v1/workflows/runs/${runId}/nodes/hotels/items?item=0`, { as: 'alice' });
    const missingItem = await stack.call('GET', `/api/v1/workflows/runs/${runId}/nodes/hotels/items`, { as: 'alice' });
    // Assess
    expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
    expect(run.output.cities.results).toEqual([
      { results: [{ text: 'Oslo/a' }, { text: 'Oslo/b' }], failed: [] },
      { results: [{ text: 'Rome/c' }], failed: [] },
    ]);
    expect(inner.body.items.map((i: { path: string; output: unknown }) => [i.path, i.output])).toEqual([['0.0', { text: 'Oslo/a' }], ['0.1', { text: 'Oslo/b' }]]);
    expect(missingItem.status).toBe(400);
    const lines = (await getEvents(stack, 'alice', runId)).filter((e) => e.nodeId === 'line' && e.type === 'node.succeeded');
    expect(lines.map((e) => e.itemPath).sort()).toEqual(['0.0', '0.1', '1.0']);
  }, 180_000);
});

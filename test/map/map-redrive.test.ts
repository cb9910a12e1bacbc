/**
 * Redrive of a run whose map failed because one item failed: only the failed item's body runs again (its tool is
 * called again; the items that succeeded are answered from their records, their tools not called), and the map's
 * output holds every item in order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpToolServer, type HttpToolServerHandle } from '../support/http-tool-server';
import { ERROR_NAMES } from '../../shared/contract/error-names';
import { createWorkflow, startRun, startRunStack, waitForRun, type TestStack } from '../runs/helpers';

describe('map: redrive after an item failed', () => {
  let stack: TestStack;
  let tool: HttpToolServerHandle;
  let fixed = false;

  beforeAll(async () => {
    [stack, tool] = await Promise.all([
      startRunStack(),
      // Item 1 ("b") fails until fixed; the others answer at once.
      startHttpToolServer({ handler: (req) => ((req.body as { name?: string }).name === 'b' && !fixed ? { status: 500, body: { error: 'down' } } : { body: { ok: (req.body as { name?: string }).name } }) }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([stack?.close(), tool?.close()]);
  });

  const callsFor = (name: string) => tool.requests.filter((r) => (r.body as { name?: string }).name === name).length;

  it('reruns only the failed item', async () => {
    // Prepare
    fixed = false;
    const wf = await createWorkflow(stack, 'alice', {
      name: 'map-redrive',
      nodes: [{
        id: 'each', type: 'map', items: '$context.names', maxConcurrency: 1,
        body: { nodes: [{ id: 'call', type: 'tool_call', tool: { kind: 'http', url: `${tool.url}/call`, method: 'POST' }, inputs: { name: '$item' } }], edges: [] },
      }],
      edges: [],
    });
    const runId = await startRun(stack, 'alice', wf, { input: { names: ['a', 'b', 'c'] } });
    const failed = await waitForRun(stack, 'alice', runId, ['failed', 'succeeded']);
    expect(failed.error.name).toBe(ERROR_NAMES.mapFailed);
    const before = { a: callsFor('a'), b: callsFor('b'), c: callsFor('c') };
    expect(before).toMatchObject({ a: 1, b: 1 });
    fixed = true;

    // Act
    const res = await stack.call('POST', `/api/v1/workflows/runs/${runId}/redrive`, { as: 'alice' });
    const run = await waitForRun(stack, 'alice', runId, ['succeeded', 'failed'], 30_000);

    // Assess
    expect(res.status, res.text).toBe(202);
    expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
    expect(run.output).toEqual({ each: { results: [{ ok: 'a' }, { ok: 'b' }, { ok: 'c' }], failed: [] } });
    expect(callsFor('a')).toBe(before.a);
    expect(callsFor('b')).toBe(before.b + 1);
    // `c` ran in the first drive only if the map had reached it before failing; either way once in all.
    expect(callsFor('c')).toBe(1);
  });
});

/**
 * Starting runs and reading them: idempotency keys, input checked against `inputSchema` (400 with JSON
 * pointers), deleted workflows, other users' runs, and pagination of runs and events.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkflow, getEvents, startRun, startRunStack, waitForRun, type TestStack } from './helpers';

const echo = (name: string, extra: object = {}) => ({
  name, nodes: [{ id: 'a', type: 'tool_call', tool: { kind: 'builtin', name: 'echo' }, inputs: { n: '$context.n' } }], edges: [], ...extra,
});

describe('starting and reading runs', () => {
  let stack: TestStack;
  beforeAll(async () => { stack = await startRunStack(); });
  afterAll(async () => { await stack?.close(); });

  it('returns the same run for the same idempotency key and a new one for another key', async () => {
    // Prepare
    const wf = await createWorkflow(stack, 'alice', echo('idem'));

    // Act
    const [first, again] = await Promise.all([
      stack.call('POST', `/api/v1/workflows/${wf}/run`, { as: 'alice', body: { input: { n: 1 }, idempotencyKey: 'k-1' } }),
      stack.call('POST', `/api/v1/workflows/${wf}/run`, { as: 'alice', body: { input: { n: 1 }, idempotencyKey: 'k-1' } }),
    ]);
    const other = await stack.call('POST', `/api/v1/workflows/${wf}/run`, { as: 'alice', body: { input: { n: 1 }, idempotencyKey: 'k-2' } });

    // Assess
    expect([first.status, again.status, other.status]).toEqual([202, 202, 202]);
    expect(again.body.runId).toBe(first.body.runId);
    expect(other.body.runId).not.toBe(first.body.runId);
    await waitForRun(stack, 'alice', first.body.runId, ['succeeded']);
    const listed = await stack.call('GET', `/api/v1/workflows/${wf}/runs`, { as: 'alice' });
    expect(listed.body.items).toHaveLength(2);
  });

  it('shows a public workflow\'s runs to a stranger only when the stranger started them', async () => {
    // Prepare: a public workflow; alice (owner) and bob (no grant) each start a run.
    const wf = await createWorkflow(stack, 'alice', echo('public-runs', { visibility: 'public' }));
    const mine = await stack.call('POST', `/api/v1/workflows/${wf}/run`, { as: 'alice', body: { input: { n: 1 } } });
    const bobs = await stack.call('POST', `/api/v1/workflows/${wf}/run`, { as: 'bob', body: { input: { n: 2 } } });
    await waitForRun(stack, 'bob', bobs.body.runId, ['succeeded']);

    // Act
    const bobReadsAlice = await stack.call('GET', `/api/v1/workflows/runs/${mine.body.runId}`, { as: 'bob' });
    const bobList = await stack.call('GET', `/api/v1/workflows/${wf}/runs`, { as: 'bob' });
    const aliceList = await stack.call('GET', `/api/v1/workflows/${wf}/runs`, { as: 'alice' });

    // Assess
    expect(bobReadsAlice.status).toBe(404);
    expect(bobList.body.items.map((r: { runId: string }) => r.runId)).toEqual([bobs.body.runId]);
    expect(aliceList.body.items).toHaveLength(2);
  });

  it('rejects input that breaks the inputSchema with 400 and JSON pointers', async () => {
    // Prepare
    const wf = await createWorkflow(stack, 'alice', echo('schema', {
      inputSchema: { type: 'object', required: ['n', 'city'], properties: { n: { type: 'number', minimum: 0 }, city: { type: 'string' } } },
    }));

    // Act
    const res = await stack.call('POST', `/api/v1/workflows/${wf}/run`, { as: 'alice', body: { input: { n: -1 } } });
    const wrongType = await stack.call('POST', `/api/v1/workflows/${wf}/run`, { as: 'alice', body: { input: { n: 'x', city: 'Oslo' } } });

    // Assess
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual(expect.arrayContaining([
      expect.objectContaining({ code: 'schema_minimum', path: '/input/n' }),
      expect.objectContaining({ code: 'schema_required', path: '/input/city' }),
    ]));
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.errors).toEqual([expect.objectContaining({ code: 'schema_type', path: '/input/n' })]);
    expect((await stack.call('GET', `/api/v1/workflows/${wf}/runs`, { as: 'alice' })).body.items).toHaveLength(0);
  });

  it('rejects unknown body fields with 400', async () => {
    // Prepare
    const wf = await createWorkflow(stack, 'alice', echo('unknown-field'));

    // Act
    const res = await stack.call('POST', `/api/v1/workflows/${wf}/run`, { as: 'alice', body: { input: {}, priority: 1 } });

    // Assess
    expect(res.status).toBe(400);
    expect(res.body.errors[0]).toMatchObject({ path: '/priority' });
  });

  it('answers a start on a deleted workflow with 404', async () => {
    // Prepare
    const wf = await createWorkflow(stack, 'alice', echo('deleted'));
    expect((await stack.call('DELETE', `/api/v1/workflows/${wf}`, { as: 'alice' })).status).toBe(204);

    // Act
    const res = await stack.call('POST', `/api/v1/workflows/${wf}/run`, { as: 'alice', body: { input: {} } });

    // Assess
    expect(res.status).toBe(404);
  });

  it("hides another user's run behind 404 on every run route", async () => {
    // Prepare
    const wf = await createWorkflow(stack, 'alice', echo('private'));
    const runId = await startRun(stack, 'alice', wf);
    await waitForRun(stack, 'alice', runId, ['succeeded']);

    // Act
    const statuses = await Promise.all(['', '/nodes', '/events'].map(async (suffix) =>
      (await stack.call('GET', `/api/v1/workflows/runs/${runId}${suffix}`, { as: 'mallory' })).status));
    const cancel = await stack.call('POST', `/api/v1/workflows/runs/${runId}/cancel`, { as: 'mallory' });

    // Assess
    expect(statuses).toEqual([404, 404, 404]);
    expect(cancel.status).toBe(404);
  });

  it('pages runs with a cursor and events with after', async () => {
    // Prepare
    const wf = await createWorkflow(stack, 'alice', echo('paging'));
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push(await startRun(stack, 'alice', wf, { input: { n: i } }));
    await waitForRun(stack, 'alice', ids[0]!, ['succeeded']);

    // Act
    const page1 = await stack.call('GET', `/api/v1/workflows/${wf}/runs?limit=2`, { as: 'alice' });
    const page2 = await stack.call('GET', `/api/v1/workflows/${wf}/runs?limit=2&cursor=${page1.body.nextCursor}`, { as: 'alice' });
    const events = await stack.call('GET', `/api/v1/workflows/runs/${ids[0]}/events?after=1&limit=2`, { as: 'alice' });

    // Assess
    expect(page1.body.items).toHaveLength(2);
    expect(page2.body.items).toHaveLength(1);
    expect(new Set([...page1.body.items, ...page2.body.items].map((r: any) => r.runId))).toEqual(new Set(ids));
    expect(events.body.events.map((e: any) => e.seq)).toEqual([2, 3]);
    expect(events.body.nextAfter).toBe(3);
    expect((await getEvents(stack, 'alice', ids[0]!)).map((e) => e.type)).toEqual(['run.started', 'node.started', 'node.succeeded', 'run.succeeded']);
  });
});

/**
 * Rerun from a node on the local stack: the new run reuses the old run's records upstream of `fromNode`
 * (no call is made for them: counted on the real loopback tool server), runs `fromNode` and everything
 * downstream, works across versions when the reused nodes kept their id and type, and refuses what it cannot reuse.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpToolServer, type HttpToolServerHandle } from '../support/http-tool-server';
import { createWorkflow, getEvents, getNodes, startRun, startRunStack, waitForNode, waitForRun, type TestStack } from './helpers';

describe('rerun from a node', () => {
  let stack: TestStack;
  let tool: HttpToolServerHandle;

  beforeAll(async () => {
    [stack, tool] = await Promise.all([startRunStack(), startHttpToolServer()]);
  });
  afterAll(async () => {
    await Promise.all([stack?.close(), tool?.close()]);
  });

  /** fetch → check (condition) → gate → book, where `book` fails until the workflow is fixed. */
  function definition(bookPath: string) {
    return {
      name: 'rerun-me',
      nodes: [
        { id: 'fetch', type: 'tool_call', tool: { kind: 'http', url: `${tool.url}/fetch`, method: 'POST' }, inputs: { city: '$context.city' } },
        { id: 'check', type: 'condition', expression: '$fetch.body.city = "Paris"' },
        { id: 'ask', type: 'human_gate', prompt: 'Book it?', timeoutSeconds: 600 },
        { id: 'skipped', type: 'tool_call', tool: { kind: 'builtin', name: 'echo' }, inputs: { never: true } },
        { id: 'book', type: 'tool_call', tool: { kind: 'http', url: `${tool.url}${bookPath}`, method: 'POST' }, inputs: { city: '$fetch.body.city', ok: '$ask.approved' } },
      ],
      edges: [
        { from: 'fetch', to: 'check' },
        { from: 'check', to: 'ask', when: true },
        { from: 'check', to: 'skipped', when: false },
        { from: 'ask', to: 'book' },
      ],
    };
  }

  async function failedRun(wf: string): Promise<string> {
    const runId = await startRun(stack, 'alice', wf, { input: { city: 'Paris' } });
    await waitForNode(stack, 'alice', runId, 'ask', 'waiting');
    const approved = await stack.call('POST', `/api/v1/workflows/runs/${runId}/gates/ask/approve`, { as: 'alice', body: {} });
    expect(approved.status, approved.text).toBe(200);
    expect((await waitForRun(stack, 'alice', runId, ['succeeded', 'failed'])).status).toBe('failed');
    return runId;
  }

  const calls = (path: string) => tool.requests.filter((r) => r.path === path).length;

  it('reuses every node upstream of fromNode without calling it, and runs the rest', async () => {
    // Prepare
    const wf = await createWorkflow(stack, 'alice', definition('/status/500'));
    const oldRun = await failedRun(wf);
    const fetchesBefore = calls('/fetch');

    // Act
    const res = await stack.call('POST', `/api/v1/workflows/runs/${oldRun}/rerun`, { as: 'alice', body: { fromNode: 'book' } });

    // Assess
    expect(res.status, res.text).toBe(202);
    const run = await waitForRun(stack, 'alice', res.body.runId, ['succeeded', 'failed']);
    expect(run).toMatchObject({ status: 'failed', parentRunId: oldRun, rerunFrom: 'book' });
    expect(calls('/fetch')).toBe(fetchesBefore);
    const nodes = await getNodes(stack, 'alice', res.body.runId);
    expect(nodes.fetch).toMatchObject({ status: 'succeeded', reused: true, attempts: [] });
    expect(nodes.check).toMatchObject({ status: 'succeeded', reused: true });
    expect(nodes.ask).toMatchObject({ status: 'succeeded', reused: true, output: { approved: true } });
    expect(nodes.skipped).toMatchObject({ status: 'skipped', reused: true });
    expect(nodes.book.status).toBe('failed');
    expect(nodes.book.attempts).toHaveLength(1);
    expect(nodes.fetch.cost).toBeUndefined();
    const events = await getEvents(stack, 'alice', res.body.runId);
    expect(events.slice(0, 2).map((e) => e.type)).toEqual(['run.started', 'node.succeeded']);
    expect(events.find((e) => e.nodeId === 'fetch')).toMatchObject({ type: 'node.succeeded', data: { reused: true, fromRunId: oldRun } });
    expect(events.filter((e) => e.type === 'node.waiting')).toHaveLength(0);
  });

  it('reruns a fixed version from the failed step', async () => {
    // Prepare
    const wf = await createWorkflow(stack, 'alice', definition('/status/500'));
    const oldRun = await failedRun(wf);
    const fixed = await stack.call('PUT', `/api/v1/workflows/${wf}`, { as: 'alice', body: definition('/book') });
    expect(fixed.status, fixed.text).toBe(200);
    const fetchesBefore = calls('/fetch');

    // Act
    const res = await stack.call('POST', `/api/v1/workflows/runs/${oldRun}/rerun`, { as: 'alice', body: { fromNode: 'book', version: 2 } });

    // Assess
    expect(res.status, res.text).toBe(202);
    const run = await waitForRun(stack, 'alice', res.body.runId, ['succeeded', 'failed']);
    expect(run).toMatchObject({ status: 'succeeded', version: 2 });
    expect((run.output as Record<string, unknown>).book).toEqual({ method: 'POST', query: {}, body: { city: 'Paris', ok: true } });
    expect(calls('/fetch')).toBe(fetchesBefore);
    expect(calls('/book')).toBe(1);
  });

  it('refuses a version whose reused nodes changed, naming the node', async () => {
    // Prepare
    const wf = await createWorkflow(stack, 'alice', definition('/status/500'));
    const oldRun = await failedRun(wf);
    const changed = definition('/book');
    changed.nodes[0] = { id: 'fetch', type: 'condition', expression: 'true' } as never;
    changed.edges = changed.edges.filter((e) => e.from !== 'fetch');
    changed.nodes = changed.nodes.filter((n) => n.id !== 'check' && n.id !== 'skipped');
    changed.edges = [{ from: 'fetch', to: 'ask', when: true }, { from: 'ask', to: 'book' }] as never;
    expect((await stack.call('PUT', `/api/v1/workflows/${wf}`, { as: 'alice', body: changed })).status).toBe(200);

    // Act
    const res = await stack.call('POST', `/api/v1/workflows/runs/${oldRun}/rerun`, { as: 'alice', body: { fromNode: 'book', version: 2 } });

    // Assess
    expect(res.status, res.text).toBe(400);
    expect(res.body.errors).toEqual([expect.objectContaining({ path: '/fromNode', code: 'not_reusable', message: expect.stringContaining('node fetch') })]);
  });

  it('refuses to reuse a node that did not succeed, an unknown node, and a run still going', async () => {
    // Prepare
    const wf = await createWorkflow(stack, 'alice', definition('/status/500'));
    const oldRun = await failedRun(wf);
    const active = await startRun(stack, 'alice', wf, { input: { city: 'Paris' } });
    await waitForNode(stack, 'alice', active, 'ask', 'waiting');

    // Act
    const downstreamOfFailure = await stack.call('POST', `/api/v1/workflows/runs/${oldRun}/rerun`, { as: 'alice', body: { fromNode: 'skipped' } });
    const unknown = await stack.call('POST', `/api/v1/workflows/runs/${oldRun}/rerun`, { as: 'alice', body: { fromNode: 'nope' } });
    const going = await stack.call('POST', `/api/v1/workflows/runs/${active}/rerun`, { as: 'alice', body: { fromNode: 'book' } });
    const stranger = await stack.call('POST', `/api/v1/workflows/runs/${oldRun}/rerun`, { as: 'mallory', body: { fromNode: 'book' } });

    // Assess
    expect(downstreamOfFailure.status, downstreamOfFailure.text).toBe(400);
    expect(downstreamOfFailure.body.errors[0]).toMatchObject({ code: 'not_reusable', message: expect.stringContaining('node book') });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors[0]).toMatchObject({ path: '/fromNode', code: 'unknown_node' });
    expect(going.status).toBe(409);
    expect(going.body.error.reason).toBe('run_active');
    expect(stranger.status).toBe(404);
    await stack.call('POST', `/api/v1/workflows/runs/${active}/cancel`, { as: 'alice' });
  });
});

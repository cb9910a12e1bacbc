/**
 * Retries with exponential backoff (delays measured between attempts), a node that fails for good, and
 * cancelling a run in the middle of a node.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpToolServer, type HttpToolServerHandle } from '../support/http-tool-server';
import { createWorkflow, getEvents, getNodes, startRun, startRunStack, waitFor, waitForNode, waitForRun, type TestStack } from './helpers';

describe('retries and cancellation', () => {
  let stack: TestStack;
  let tool: HttpToolServerHandle;
  const arrivals: number[] = [];

  beforeAll(async () => {
    [stack, tool] = await Promise.all([
      startRunStack(),
      startHttpToolServer({
        handler: (request, n) => {
          if (request.path !== '/flaky') return { body: { path: request.path } };
          arrivals.push(Date.now());
          return n < 2 ? { status: 503, body: { error: 'busy' } } : { body: { ok: true } };
        },
      }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([stack?.close(), tool?.close()]);
  });

  it('retries a failing node with exponential backoff until it succeeds', async () => {
    // Prepare
    const wf = await createWorkflow(stack, 'alice', {
      name: 'flaky',
      nodes: [{
        id: 'call', type: 'tool_call', tool: { kind: 'http', url: `${tool.url}/flaky`, method: 'POST' },
        retry: { maxAttempts: 3, intervalSeconds: 1, backoffRate: 2 },
      }],
      edges: [],
    });

    // Act
    const runId = await startRun(stack, 'alice', wf);
    const run = await waitForRun(stack, 'alice', runId, ['succeeded', 'failed'], 15_000);

    // Assess
    expect(run.status).toBe('succeeded');
    const nodes = await getNodes(stack, 'alice', runId);
    expect(nodes.call.attempts.map((a: any) => a.status)).toEqual(['failed', 'failed', 'succeeded']);
    expect(nodes.call.attempts[0].error).toMatchObject({ name: 'Braid.NodeFailed', details: { status: 503 } });
    const [first, second] = [arrivals[1]! - arrivals[0]!, arrivals[2]! - arrivals[1]!];
    console.log(`retry delays measured at the tool: ${first} ms, ${second} ms`);
    // Each delay also holds a constant overhead (recording the failure, starting the next attempt): the
    // difference of the two cancels it and leaves the backoff step, 2 s - 1 s.
    expect(first).toBeGreaterThanOrEqual(950);
    expect(second).toBeGreaterThanOrEqual(1_950);
    expect(second - first).toBeGreaterThan(700);
    expect(second - first).toBeLessThan(1_400);
    const types = (await getEvents(stack, 'alice', runId)).filter((e) => e.nodeId === 'call').map((e) => e.type);
    expect(types).toEqual(['node.started', 'node.retrying', 'node.started', 'node.retrying', 'node.started', 'node.succeeded']);
  });

  it('fails the run with the node error once the attempts are spent', async () => {
    // Prepare
    const wf = await createWorkflow(stack, 'alice', {
      name: 'always-fails',
      nodes: [
        { id: 'bad', type: 'tool_call', tool: { kind: 'builtin', name: 'fail' }, inputs: { message: 'nope' }, retry: { maxAttempts: 2, intervalSeconds: 1 } },
        { id: 'next', type: 'tool_call', tool: { kind: 'builtin', name: 'echo' } },
      ],
      edges: [{ from: 'bad', to: 'next' }],
    });

    // Act
    const runId = await startRun(stack, 'alice', wf);
    const run = await waitForRun(stack, 'alice', runId, ['succeeded', 'failed'], 10_000);

    // Assess
    expect(run.status).toBe('failed');
    expect(run.error).toMatchObject({ name: 'Braid.NodeFailed', message: 'nope' });
    const nodes = await getNodes(stack, 'alice', runId);
    expect(nodes.bad).toMatchObject({ status: 'failed', error: { name: 'Braid.NodeFailed' } });
    expect(nodes.bad.attempts).toHaveLength(2);
    expect(nodes.next.status).toBe('skipped');
  });

  it('cancels a run mid-node: the run and its outstanding nodes end cancelled and stay so', async () => {
    // Prepare
    const wf = await createWorkflow(stack, 'alice', {
      name: 'slow',
      nodes: [
        { id: 'nap', type: 'tool_call', tool: { kind: 'builtin', name: 'sleep' }, inputs: { ms: 800 } },
        { id: 'after', type: 'tool_call', tool: { kind: 'http', url: `${tool.url}/after` } },
      ],
      edges: [{ from: 'nap', to: 'after' }],
    });
    const runId = await startRun(stack, 'alice', wf);
    await waitForNode(stack, 'alice', runId, 'nap', 'running');

    // Act
    const res = await stack.call('POST', `/api/v1/workflows/runs/${runId}/cancel`, { as: 'alice' });
    const napEnds = Date.now() + 1_200;
    await waitFor(async () => (Date.now() > napEnds ? true : undefined), 'the nap to have ended', 3_000);

    // Assess
    expect(res.status, res.text).toBe(200);
    expect(res.body.status).toBe('cancelled');
    expect((await waitForRun(stack, 'alice', runId, ['cancelled'])).status).toBe('cancelled');
    const nodes = await getNodes(stack, 'alice', runId);
    expect(nodes.nap.status).toBe('cancelled');
    expect(nodes.after.status).toBe('cancelled');
    expect(tool.requests.filter((r) => r.path === '/after')).toHaveLength(0);
    const types = (await getEvents(stack, 'alice', runId)).map((e) => e.type);
    expect(types.filter((t) => t === 'run.cancelled')).toHaveLength(1);
    expect(types).not.toContain('node.succeeded');
  });

  it('answers cancelling a finished run with 409 run_finished', async () => {
    // Prepare
    const wf = await createWorkflow(stack, 'alice', { name: 'quick', nodes: [{ id: 'a', type: 'tool_call', tool: { kind: 'builtin', name: 'echo' } }], edges: [] });
    const runId = await startRun(stack, 'alice', wf);
    await waitForRun(stack, 'alice', runId, ['succeeded']);

    // Act
    const res = await stack.call('POST', `/api/v1/workflows/runs/${runId}/cancel`, { as: 'alice' });

    // Assess
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ reason: 'run_finished' });
  });
});

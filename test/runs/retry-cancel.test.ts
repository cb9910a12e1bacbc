/**
 * Retries on the local engine (retry intervals overridden: the backoff itself is pinned by the whole-ASL
 * fixtures), attempt accounting across the service and node retriers, a node that fails for good, and
 * cancelling a run in the middle of a node.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpToolServer, type HttpToolServerHandle } from '../support/http-tool-server';
import { createWorkflow, getEvents, getNodes, startRun, startRunStack, waitFor, waitForNode, waitForRun, type TestStack } from './helpers';

describe('retries and cancellation', () => {
  let stack: TestStack;
  let tool: HttpToolServerHandle;
  // `/hold` answers once the test releases it: a node in progress for exactly as long as a test needs.
  let releaseHold: () => void = () => undefined;
  const held = new Promise<void>((resolve) => (releaseHold = resolve));

  beforeAll(async () => {
    [stack, tool] = await Promise.all([
      // Retries wait 10 ms instead of the ASL intervals: the intervals themselves are the compiler's (whole-ASL
      // fixtures), and these tests check what happens, not how long the engine sleeps.
      startRunStack({ retryIntervalOverrides: { call: 10, bad: 10, mixed: 10, spent: 10 } }),
      startHttpToolServer({
        handler: async (request, n) => {
          if (request.path === '/hold') await held;
          if (request.path !== '/flaky') return { body: { path: request.path } };
          return n < 2 ? { status: 503, body: { error: 'busy' } } : { body: { ok: true } };
        },
      }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([stack?.close(), tool?.close()]);
  });

  it('retries a failing node until it succeeds, one call per attempt, each with its own idempotency key', async () => {
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
    const run = await waitForRun(stack, 'alice', runId, ['succeeded', 'failed'], 30_000);

    // Assess
    expect(run.status).toBe('succeeded');
    const nodes = await getNodes(stack, 'alice', runId);
    expect(nodes.call.attempts.map((a: any) => a.status)).toEqual(['failed', 'failed', 'succeeded']);
    expect(nodes.call.attempts[0].error).toMatchObject({ name: 'Braid.NodeFailed', details: { status: 503 } });
    const calls = tool.requests.filter((r) => r.path === '/flaky');
    expect(calls.map((r) => r.headers['idempotency-key'])).toEqual([0, 1, 2].map((i) => `${runId}:call:${i}`));
    const types = (await getEvents(stack, 'alice', runId)).filter((e) => e.nodeId === 'call').map((e) => e.type);
    expect(types).toEqual(['node.started', 'node.retrying', 'node.started', 'node.retrying', 'node.started', 'node.succeeded']);
  });

  it('keeps the node retry for node failures: a transient failure is the service retrier\'s (issue #11)', async () => {
    // Prepare: attempt 0 throttled (Braid.Transient), attempt 1 fails (Braid.NodeFailed), attempt 2 succeeds
    const wf = await createWorkflow(stack, 'alice', {
      name: 'mixed',
      nodes: [{ id: 'mixed', type: 'tool_call', tool: { kind: 'builtin', name: 'fail' }, inputs: { errors: ['transient', 'node'] }, retry: { maxAttempts: 2 } }],
      edges: [],
    });

    // Act
    const runId = await startRun(stack, 'alice', wf);
    const run = await waitForRun(stack, 'alice', runId, ['succeeded', 'failed'], 30_000);

    // Assess
    expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
    const nodes = await getNodes(stack, 'alice', runId);
    expect(nodes.mixed.status).toBe('succeeded');
    expect(nodes.mixed.attempts.map((a: any) => [a.attempt, a.status, a.error?.name])).toEqual([
      [0, 'failed', 'Braid.Transient'], [1, 'failed', 'Braid.NodeFailed'], [2, 'succeeded', undefined],
    ]);
    const events = (await getEvents(stack, 'alice', runId)).filter((e) => e.nodeId === 'mixed');
    expect(events.map((e) => e.type)).toEqual(['node.started', 'node.retrying', 'node.started', 'node.retrying', 'node.started', 'node.succeeded']);
    expect(events.filter((e) => e.type === 'node.retrying').map((e) => e.data.error.name)).toEqual(['Braid.Transient', 'Braid.NodeFailed']);
  });

  it('fails the node once its own retrier is used up, even with service retries left', async () => {
    // Prepare: node, transient, node with retry.maxAttempts 2: the second node failure is final
    const wf = await createWorkflow(stack, 'alice', {
      name: 'spent',
      nodes: [{ id: 'spent', type: 'tool_call', tool: { kind: 'builtin', name: 'fail' }, inputs: { errors: ['node', 'transient', 'node'] }, retry: { maxAttempts: 2 } }],
      edges: [],
    });

    // Act
    const runId = await startRun(stack, 'alice', wf);
    const run = await waitForRun(stack, 'alice', runId, ['succeeded', 'failed'], 30_000);

    // Assess
    expect(run.status).toBe('failed');
    expect(run.error).toMatchObject({ name: 'Braid.NodeFailed' });
    const nodes = await getNodes(stack, 'alice', runId);
    expect(nodes.spent.status).toBe('failed');
    expect(nodes.spent.attempts.map((a: any) => a.error?.name)).toEqual(['Braid.NodeFailed', 'Braid.Transient', 'Braid.NodeFailed']);
    const types = (await getEvents(stack, 'alice', runId)).filter((e) => e.nodeId === 'spent').map((e) => e.type);
    expect(types).toEqual(['node.started', 'node.retrying', 'node.started', 'node.retrying', 'node.started', 'node.failed']);
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
    const run = await waitForRun(stack, 'alice', runId, ['succeeded', 'failed'], 30_000);

    // Assess
    expect(run.status).toBe('failed');
    expect(run.error).toMatchObject({ name: 'Braid.NodeFailed', message: 'nope' });
    const nodes = await getNodes(stack, 'alice', runId);
    expect(nodes.bad).toMatchObject({ status: 'failed', error: { name: 'Braid.NodeFailed' } });
    expect(nodes.bad.attempts).toHaveLength(2);
    expect(nodes.next.status).toBe('cancelled'); // never reached: a redrive runs it;
  });

  it('cancels a run mid-node: the run and its outstanding nodes end cancelled and stay so', async () => {
    // Prepare
    const wf = await createWorkflow(stack, 'alice', {
      name: 'slow',
      nodes: [
        { id: 'nap', type: 'tool_call', tool: { kind: 'http', url: `${tool.url}/hold` } },
        { id: 'after', type: 'tool_call', tool: { kind: 'http', url: `${tool.url}/after` } },
      ],
      edges: [{ from: 'nap', to: 'after' }],
    });
    const runId = await startRun(stack, 'alice', wf);
    await waitForNode(stack, 'alice', runId, 'nap', 'running');

    // Act
    const res = await stack.call('POST', `/api/v1/workflows/runs/${runId}/cancel`, { as: 'alice' });
    // The engine cannot interrupt the call in progress: let it answer now, and wait until the nap's attempt has ended.
    releaseHold();
    await waitFor(async () => ((await getNodes(stack, 'alice', runId)).nap.attempts[0]?.status !== 'running' ? true : undefined), 'the nap to have ended');

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

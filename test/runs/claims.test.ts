/**
 * Side effects never overlap (issue #11, item 3), on the local engine with a real loopback tool: a task
 * delivered twice calls the tool once; a service retry that arrives while the first attempt still runs (Lambda's
 * client timed out, the function runs on) waits for it, adopts its success, or runs its own call after a failure
 * without using up the node's retry. The tool counts its calls and how many were in flight at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeClaimRepository } from '../../shared/store/node-claims';
import { startHttpToolServer, type HttpToolServerHandle } from '../support/http-tool-server';
import { createWorkflow, getEvents, getNodes, startRun, startRunStack, waitFor, waitForRun, type TestStack } from './helpers';

type Event = { action?: string; runId?: string; nodeId?: string; attempt?: number };
type Answer = { route?: unknown; error?: string };

/** An error named as Lambda names a client timeout: the state machine's service retrier retries it. */
function clientTimeout(): Error {
  const error = new Error('the invocation timed out on the client side; the function runs on');
  error.name = 'Lambda.ClientExecutionTimeoutException';
  return error;
}

describe('claims: one tool call per attempt, never two at once', () => {
  let stack: TestStack;
  let tool: HttpToolServerHandle;
  let inFlight = 0;
  let maxInFlight = 0;
  /** Releases the tool's answer to the first call of a path (the test decides when). */
  const gates = new Map<string, () => void>();
  const duplicated: Answer[] = [];

  beforeAll(async () => {
    [stack, tool] = await Promise.all([
      startRunStack({
        retryIntervalOverrides: { dup: 10, slow: 10, flop: 10 },
        wrapExecutor: (executor) => async (raw) => {
          const event = raw as Event;
          if (event.action !== 'execute' || event.attempt !== 0) return executor(raw);
          if (event.nodeId === 'dup') {
            // The same task delivered twice at once: both answers are kept for the assertions.
            const both = await Promise.all([executor(raw), executor(raw)].map((p) => p.then(
              (r): Answer => ({ route: (r as { route: unknown }).route }),
              (e: Error): Answer => ({ error: e.name }),
            )));
            duplicated.push(...both);
            if (both[0]?.error) throw Object.assign(new Error('duplicate failed'), { name: both[0].error });
            return { route: both[0]?.route };
          }
          if (event.nodeId === 'slow' || event.nodeId === 'flop') {
            // The function runs on, but the state machine sees a client timeout and retries at once.
            void executor(raw).catch(() => undefined);
            await waitFor(async () => (tool.requests.some((r) => r.path === `/${event.nodeId}`) ? true : undefined), 'the first call to reach the tool');
            throw clientTimeout();
          }
          return executor(raw);
        },
      }),
      startHttpToolServer({
        handler: async (request) => {
          inFlight += 1;
          maxInFlight = Math.max(maxInFlight, inFlight);
          try {
            const first = tool.requests.filter((r) => r.path === request.path).length === 1;
            if (first && (request.path === '/slow' || request.path === '/flop')) await new Promise<void>((resolve) => gates.set(request.path, resolve));
            if (request.path === '/flop' && first) return { status: 503, body: { error: 'busy' } };
            return { body: { path: request.path } };
          } finally {
            inFlight -= 1;
          }
        },
      }),
    ]);
  });
  afterAll(async () => {
    for (const release of gates.values()) release();
    await Promise.all([stack?.close(), tool?.close()]);
  });

  /** Waits until a later attempt is waiting on the node's claim (it marked the holder superseded), then lets the tool answer. */
  async function releaseWhenSuperseded(runId: string, nodeId: string): Promise<void> {
    const claims = new NodeClaimRepository(stack.store.table);
    await waitFor(async () => ((await claims.get(runId, nodeId))?.supersededAt ? true : undefined), `attempt 1 of ${nodeId} to wait for attempt 0`);
    await waitFor(async () => gates.get(`/${nodeId}`), `the tool to hold the call to ${nodeId}`);
    gates.get(`/${nodeId}`)?.();
  }

  it('calls the tool once when a task is delivered twice at once', async () => {
    // Prepare
    const wf = await createWorkflow(stack, 'alice', { name: 'dup', nodes: [{ id: 'dup', type: 'tool_call', tool: { kind: 'http', url: `${tool.url}/dup` } }], edges: [] });
    maxInFlight = 0;

    // Act
    const runId = await startRun(stack, 'alice', wf);
    const run = await waitForRun(stack, 'alice', runId, ['succeeded', 'failed']);

    // Assess
    expect(run.status).toBe('succeeded');
    expect(tool.requests.filter((r) => r.path === '/dup').map((r) => r.headers['idempotency-key'])).toEqual([`${runId}:dup:0`]);
    expect(duplicated).toEqual([{ route: 'ok' }, { route: 'ok' }]);
    expect(maxInFlight).toBe(1);
    const nodes = await getNodes(stack, 'alice', runId);
    expect(nodes.dup.attempts.map((a: any) => [a.attempt, a.status])).toEqual([[0, 'succeeded']]);
    const types = (await getEvents(stack, 'alice', runId)).filter((e) => e.nodeId === 'dup').map((e) => e.type);
    expect(types).toEqual(['node.started', 'node.succeeded']);
  });

  it('makes a service retry that overlaps a running attempt wait, and adopt its success', async () => {
    // Prepare
    const wf = await createWorkflow(stack, 'alice', { name: 'slow', nodes: [{ id: 'slow', type: 'tool_call', tool: { kind: 'http', url: `${tool.url}/slow` } }], edges: [] });
    maxInFlight = 0;

    // Act
    const runId = await startRun(stack, 'alice', wf);
    await releaseWhenSuperseded(runId, 'slow');
    const run = await waitForRun(stack, 'alice', runId, ['succeeded', 'failed']);

    // Assess: one call (attempt 0's), attempt 1 recorded as succeeded with it, nothing logged twice
    expect(run.status).toBe('succeeded');
    expect(tool.requests.filter((r) => r.path === '/slow').map((r) => r.headers['idempotency-key'])).toEqual([`${runId}:slow:0`]);
    expect(maxInFlight).toBe(1);
    const nodes = await getNodes(stack, 'alice', runId);
    expect(nodes.slow.attempts.map((a: any) => [a.attempt, a.status])).toEqual([[0, 'succeeded'], [1, 'succeeded']]);
    const types = (await getEvents(stack, 'alice', runId)).filter((e) => e.nodeId === 'slow').map((e) => e.type);
    expect(types).toEqual(['node.started', 'node.succeeded']);
  });

  it('runs the overlapping retry after a failure of the running attempt, without using up the node retry', async () => {
    // Prepare: no node retry (maxAttempts 1); the service retrier's attempt 1 is the one that succeeds
    const wf = await createWorkflow(stack, 'alice', { name: 'flop', nodes: [{ id: 'flop', type: 'tool_call', tool: { kind: 'http', url: `${tool.url}/flop` } }], edges: [] });
    maxInFlight = 0;

    // Act
    const runId = await startRun(stack, 'alice', wf);
    await releaseWhenSuperseded(runId, 'flop');
    const run = await waitForRun(stack, 'alice', runId, ['succeeded', 'failed']);

    // Assess: two calls, one per attempt, one after the other
    expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
    expect(tool.requests.filter((r) => r.path === '/flop').map((r) => r.headers['idempotency-key'])).toEqual([`${runId}:flop:0`, `${runId}:flop:1`]);
    expect(maxInFlight).toBe(1);
    const nodes = await getNodes(stack, 'alice', runId);
    expect(nodes.flop.attempts.map((a: any) => [a.attempt, a.status, a.error?.name, typeof a.supersededAt])).toEqual([
      [0, 'failed', 'Braid.NodeFailed', 'string'], [1, 'succeeded', undefined, 'undefined'],
    ]);
    const types = (await getEvents(stack, 'alice', runId)).filter((e) => e.nodeId === 'flop').map((e) => e.type);
    expect(types).toEqual(['node.started', 'node.retrying', 'node.started', 'node.succeeded']);
  });
});

/**
 * Redrive on the local stack: a failed run continues in the same run once the tool is fixed; nodes that
 * succeeded are not called again (counted on the real loopback tool server); the failed node runs with a fresh
 * retry budget and keeps the attempts of every drive; who may redrive and when. Restart survival: a run waiting at
 * a gate survives a restart of the stack on the same data folder, and the approval after it finishes the run.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpToolServer, type HttpToolServerHandle } from '../support/http-tool-server';
import { startTestStack } from '../support/local-stack';
import type { ConflictError } from '../../shared/errors';
import type { Run } from '../../shared/model/types';
import { createRedriver } from '../../shared/services/run-redrive';
import { createWorkflow, getEvents, getNodes, startRun, startRunStack, waitForNode, waitForRun, type TestStack } from './helpers';

describe('redrive a failed run', () => {
  let stack: TestStack;
  let tool: HttpToolServerHandle;
  let fixed = false;

  beforeAll(async () => {
    [stack, tool] = await Promise.all([
      startRunStack({ retryIntervalOverrides: { book: 1 } }),
      startHttpToolServer({ handler: (req) => (req.path === '/book' && !fixed ? { status: 500, body: { error: 'down' } } : { body: { ok: req.path } }) }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([stack?.close(), tool?.close()]);
  });

  const definition = () => ({
    name: 'redrive-me',
    nodes: [
      { id: 'fetch', type: 'tool_call', tool: { kind: 'http', url: `${tool.url}/fetch`, method: 'POST' }, inputs: {} },
      { id: 'side', type: 'tool_call', tool: { kind: 'http', url: `${tool.url}/side`, method: 'POST' }, inputs: {} },
      { id: 'book', type: 'tool_call', tool: { kind: 'http', url: `${tool.url}/book`, method: 'POST' }, inputs: { from: '$fetch.body.ok' }, retry: { maxAttempts: 2 } },
      { id: 'after', type: 'tool_call', tool: { kind: 'http', url: `${tool.url}/after`, method: 'POST' }, inputs: {} },
    ],
    edges: [{ from: 'fetch', to: 'book' }, { from: 'fetch', to: 'side' }, { from: 'book', to: 'after' }],
  });
  const calls = (path: string) => tool.requests.filter((r) => r.path === path).length;

  it('continues the same run where it failed: succeeded nodes are not called again, the failed one retries afresh', async () => {
    // Prepare
    fixed = false;
    const wf = await createWorkflow(stack, 'alice', definition());
    const runId = await startRun(stack, 'alice', wf);
    const failed = await waitForRun(stack, 'alice', runId, ['failed', 'succeeded']);
    expect(failed).toMatchObject({ status: 'failed', redriveCount: 0 });
    expect(failed.error.name).toBe('Braid.NodeFailed');
    const before = { fetch: calls('/fetch'), side: calls('/side'), book: calls('/book') };
    expect(before.book).toBeGreaterThanOrEqual(2);
    fixed = true;

    // Act
    const res = await stack.call('POST', `/api/v1/workflows/runs/${runId}/redrive`, { as: 'alice' });

    // Assess
    expect(res.status, res.text).toBe(202);
    expect(res.body).toMatchObject({ runId, status: 'running', redriveCount: 1 });
    const again = await stack.call('POST', `/api/v1/workflows/runs/${runId}/redrive`, { as: 'alice' });
    expect(again.status).toBe(409);
    expect(again.text).toMatch(/redrive_in_flight|not_redrivable/);
    const done = await waitForRun(stack, 'alice', runId, ['succeeded', 'failed']);
    expect(done).toMatchObject({ status: 'succeeded', redriveCount: 1 });
    expect(done.error).toBeUndefined();
    expect({ fetch: calls('/fetch'), side: calls('/side') }).toStrictEqual({ fetch: before.fetch, side: before.side });
    expect(calls('/book')).toBe(before.book + 1);
    const nodes = await getNodes(stack, 'alice', runId);
    expect(nodes.fetch.attempts).toHaveLength(1);
    expect(nodes.book.status).toBe('succeeded');
    expect(nodes.book.attempts.map((a: { attempt: number; drive?: number; status: string }) => [a.drive ?? 0, a.attempt, a.status]))
      .toStrictEqual([[0, 0, 'failed'], [0, 1, 'failed'], [1, 0, 'succeeded']]);
    expect(nodes.after.status).toBe('succeeded');
    const events = await getEvents(stack, 'alice', runId);
    const types = events.map((e) => e.type);
    expect(types.indexOf('run.redriven')).toBeGreaterThan(types.indexOf('run.failed'));
    expect(events.find((e) => e.type === 'run.redriven')).toMatchObject({ data: { by: 'alice', cause: 'user', redriveCount: 1 } });
    expect(types.at(-1)).toBe('run.succeeded');
  });

  it('answers 404 to who may not see the run, 403 to a viewer or another runner, 409 to a run that did not fail', async () => {
    // Prepare
    fixed = true;
    const wf = await createWorkflow(stack, 'alice', definition());
    await stack.call('PUT', `/api/v1/workflows/${wf}/permissions/vera`, { as: 'alice', body: { role: 'viewer' } });
    await stack.call('PUT', `/api/v1/workflows/${wf}/permissions/rita`, { as: 'alice', body: { role: 'runner' } });
    const runId = await startRun(stack, 'alice', wf);
    await waitForRun(stack, 'alice', runId, ['succeeded', 'failed']);
    const redrive = (as: string) => stack.call('POST', `/api/v1/workflows/runs/${runId}/redrive`, { as });

    // Act
    const [stranger, viewer, runner, owner] = await Promise.all([redrive('mallory'), redrive('vera'), redrive('rita'), redrive('alice')]);

    // Assess
    expect([stranger.status, viewer.status, runner.status, owner.status]).toStrictEqual([404, 403, 403, 409]);
    expect(owner.text).toContain('not_redrivable');
  });
});

describe('when a run may be redriven', () => {
  const redriver = createRedriver({} as never);
  const ended = (status: Run['status'], endedAt: string, redriveCount?: number) => ({
    runId: 'r', workflowId: 'w', version: 1, ownerId: 'o', startedBy: 'o', status, input: {}, startedAt: '2026-11-01T00:00:00.000Z', endedAt, cost: { usd: 0 },
    ...(redriveCount ? { redriveCount } : {}),
  }) as Run;
  const now = new Date('2026-12-01T12:00:00.000Z');
  const reason = (run: Run) => { try { redriver.checkRedrivable(run, now); return 'ok'; } catch (error) { return (error as ConflictError).reason; } };

  it('allows failed and timed_out runs for 14 days after they end, and names why not otherwise', () => {
    expect(reason(ended('failed', '2026-11-17T12:00:01.000Z'))).toBe('ok');
    expect(reason(ended('timed_out', '2026-11-30T00:00:00.000Z'))).toBe('ok');
    expect(reason(ended('failed', '2026-11-17T11:59:59.000Z'))).toBe('redrive_expired');
    expect(reason(ended('succeeded', '2026-11-30T00:00:00.000Z'))).toBe('not_redrivable');
    expect(reason(ended('cancelled', '2026-11-30T00:00:00.000Z'))).toBe('not_redrivable');
    expect(reason(ended('running', '2026-11-30T00:00:00.000Z', 1))).toBe('redrive_in_flight');
  });
});

describe('runs survive a restart of the local stack', () => {
  let dataDir: string;
  let tool: HttpToolServerHandle;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'braid-restart-'));
    tool = await startHttpToolServer();
  });
  afterAll(async () => {
    await tool?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('reopens a waiting gate after a restart: the approval is acted on and the run succeeds, upstream not called again', async () => {
    // Prepare: a run waiting at a gate, then the stack stops
    const first = await startTestStack({ dataDir, inMemory: false });
    const wf = await createWorkflow(first, 'alice', {
      name: 'survive',
      nodes: [
        { id: 'fetch', type: 'tool_call', tool: { kind: 'http', url: `${tool.url}/fetch`, method: 'POST' }, inputs: {} },
        { id: 'ask', type: 'human_gate', prompt: 'Go?', timeoutSeconds: 600 },
        { id: 'book', type: 'tool_call', tool: { kind: 'http', url: `${tool.url}/book`, method: 'POST' }, inputs: { ok: '$ask.approved' } },
      ],
      edges: [{ from: 'fetch', to: 'ask' }, { from: 'ask', to: 'book' }],
    });
    const runId = await startRun(first, 'alice', wf);
    await waitForNode(first, 'alice', runId, 'ask', 'waiting');
    await first.close();
    const fetches = tool.requests.filter((r) => r.path === '/fetch').length;

    // Act: start again on the same data folder, approve
    const second = await startTestStack({ dataDir, inMemory: false });
    try {
      const approved = await second.call('POST', `/api/v1/workflows/runs/${runId}/gates/ask/approve`, { as: 'alice', body: {} });

      // Assess
      expect(approved.status, approved.text).toBe(200);
      const run = await waitForRun(second, 'alice', runId, ['succeeded', 'failed']);
      expect(run).toMatchObject({ status: 'succeeded', redriveCount: 1 });
      expect(tool.requests.filter((r) => r.path === '/fetch').length).toBe(fetches);
      expect(tool.requests.filter((r) => r.path === '/book')).toHaveLength(1);
      const events = await getEvents(second, 'alice', runId);
      expect(events.find((e) => e.type === 'run.redriven')).toMatchObject({ data: { by: 'braid-local', cause: 'restart' } });
      // Once at most: the first process may have stopped before logging it, and an approval that beats the re-entered
      // gate task is applied without reopening it.
      expect(events.filter((e) => e.type === 'node.waiting').length, events.map((e) => e.type).join(',')).toBeLessThanOrEqual(1);
      expect(events.filter((e) => e.type === 'gate.approved')).toHaveLength(1);
    } finally {
      await second.close();
    }
  });
});

/**
 * Redrive and rerun of a run with `workflow_call` nodes: a call that succeeded is answered from its record (its
 * child is not run again); a call whose child failed starts a fresh child in the new drive; a rerun reuses the
 * calls upstream of `fromNode`; after a restart of the local stack a resumed parent re-attaches to its resumed child.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpToolServer, type HttpToolServerHandle } from '../support/http-tool-server';
import { startTestStack } from '../support/local-stack';
import { ERROR_NAMES } from '../../shared/contract/error-names';
import { createWorkflow, getNodes, startRun, startRunStack, waitFor, waitForNode, waitForRun, type TestStack } from './helpers';

describe('workflow_call: redrive and rerun', () => {
  let stack: TestStack;
  let tool: HttpToolServerHandle;
  let fixed = false;

  beforeAll(async () => {
    [stack, tool] = await Promise.all([
      startRunStack(),
      startHttpToolServer({ handler: () => (fixed ? { body: { booked: true } } : { status: 500, body: { error: 'down' } }) }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([stack?.close(), tool?.close()]);
  });

  const runsOf = async (workflowId: string) => (await stack.call('GET', `/api/v1/workflows/${workflowId}/runs`, { as: 'alice' })).body.items as any[];

  it('reuses the succeeded call and starts a fresh child for the failed one', async () => {
    // Prepare: `plan` calls a child that succeeds, `book` one whose tool is down.
    fixed = false;
    const planner = await createWorkflow(stack, 'alice', { name: 'planner', nodes: [{ id: 'p', type: 'tool_call', tool: { kind: 'builtin', name: 'echo' }, inputs: { plan: 1 } }], edges: [] });
    const booker = await createWorkflow(stack, 'alice', { name: 'booker', nodes: [{ id: 'b', type: 'tool_call', tool: { kind: 'http', url: `${tool.url}/book`, method: 'POST' }, inputs: {} }], edges: [] });
    const parent = await createWorkflow(stack, 'alice', {
      name: 'trip',
      nodes: [
        { id: 'plan', type: 'workflow_call', workflow: { id: planner }, timeoutSeconds: 30 },
        { id: 'book', type: 'workflow_call', workflow: { id: booker }, timeoutSeconds: 30 },
        { id: 'done', type: 'tool_call', tool: { kind: 'builtin', name: 'echo' }, inputs: { plan: '$plan.p.plan', booked: '$book.b.booked' } },
      ],
      edges: [{ from: 'plan', to: 'book' }, { from: 'book', to: 'done' }],
    });
    const runId = await startRun(stack, 'alice', parent);
    const failed = await waitForRun(stack, 'alice', runId, ['failed', 'succeeded']);
    expect(failed.error.name).toBe(ERROR_NAMES.childRunFailed);
    const firstBooking = (await getNodes(stack, 'alice', runId)).book.childRunId;
    fixed = true;

    // Act
    const res = await stack.call('POST', `/api/v1/workflows/runs/${runId}/redrive`, { as: 'alice' });
    const run = await waitForRun(stack, 'alice', runId, ['succeeded'], 30_000);

    // Assess
    expect(res.status, res.text).toBe(202);
    expect(run.output, JSON.stringify(await getNodes(stack, 'alice', runId))).toEqual({ done: { plan: 1, booked: true } });
    expect(await runsOf(planner)).toHaveLength(1);
    const bookings = await runsOf(booker);
    expect(bookings.map((r) => r.status).sort()).toEqual(['failed', 'succeeded']);
    const nodes = await getNodes(stack, 'alice', runId);
    expect(nodes.book.childRunId).not.toBe(firstBooking);
    expect(bookings.find((r) => r.runId === nodes.book.childRunId)?.status).toBe('succeeded');

    // Act: a rerun from `book` reuses `plan` (no new planner run) and calls `book` again.
    const rerun = await stack.call('POST', `/api/v1/workflows/runs/${runId}/rerun`, { as: 'alice', body: { fromNode: 'book' } });
    expect(rerun.status, rerun.text).toBe(202);
    const second = await waitForRun(stack, 'alice', rerun.body.runId, ['succeeded', 'failed']);

    // Assess
    expect(second.status).toBe('succeeded');
    expect(await runsOf(planner)).toHaveLength(1);
    expect(await runsOf(booker)).toHaveLength(3);
  });
});

describe('workflow_call: a restart of the local stack', () => {
  let dataDir: string;
  beforeAll(async () => { dataDir = await mkdtemp(join(tmpdir(), 'braid-call-restart-')); });
  afterAll(async () => { await rm(dataDir, { recursive: true, force: true }); });

  it('re-attaches the resumed parent to its resumed child instead of starting another', async () => {
    // Prepare: a parent waiting on a child that waits at a gate; then the stack stops.
    const first = await startTestStack({ dataDir, inMemory: false });
    const child = await createWorkflow(first, 'alice', { name: 'gated', nodes: [{ id: 'ask', type: 'human_gate', prompt: 'ok?', timeoutSeconds: 600 }], edges: [] });
    const parent = await createWorkflow(first, 'alice', { name: 'parent', nodes: [{ id: 'triage', type: 'workflow_call', workflow: { id: child }, timeoutSeconds: 600 }], edges: [] });
    const runId = await startRun(first, 'alice', parent);
    const childRunId = await waitFor(async () => {
      const id = (await getNodes(first, 'alice', runId)).triage.childRunId as string | undefined;
      return id && (await first.call('GET', `/api/v1/workflows/runs/${id}`, { as: 'alice' })).status === 200 ? id : undefined;
    }, 'the child run', 10_000);
    await waitForNode(first, 'alice', childRunId, 'ask', 'waiting');
    await first.close();

    // Act: start again on the same data folder, approve the child's gate.
    const second = await startTestStack({ dataDir, inMemory: false });
    try {
      const approved = await second.call('POST', `/api/v1/workflows/runs/${childRunId}/gates/ask/approve`, { as: 'alice', body: {} });
      const run = await waitForRun(second, 'alice', runId, ['succeeded', 'failed'], 30_000);

      // Assess
      expect(approved.status, approved.text).toBe(200);
      expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
      expect((await second.call('GET', `/api/v1/workflows/${child}/runs`, { as: 'alice' })).body.items).toHaveLength(1);
      const nodes = await getNodes(second, 'alice', runId);
      expect(nodes.triage).toMatchObject({ status: 'succeeded', childRunId, output: { ask: expect.objectContaining({ approved: true }) } });
    } finally {
      await second.close();
    }
  });
});

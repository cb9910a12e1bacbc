/**
 * Redrive and rerun of a run with `workflow_call` nodes: a call that succeeded is answered from its record (its
 * child is not run again); a call whose child failed starts a fresh child in the new drive; a rerun reuses the
 * calls upstream of `fromNode`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpToolServer, type HttpToolServerHandle } from '../support/http-tool-server';
import { ERROR_NAMES } from '../../shared/contract/error-names';
import { createWorkflow, getNodes, startRun, startRunStack, waitForRun, type TestStack } from './helpers';

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
    const run = await waitForRun(stack, 'alice', runId, ['succeeded'], 15_000);

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

/**
 * How the ends of runs that call runs travel, on the local stack: a cancel cascades through grandchildren; a
 * parent that fails (or succeeds past a call that timed out) cancels its active child; a child cancelled directly
 * fails its parent's node; and calls inside a map body start one child per item.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_NAMES } from '../../shared/contract/error-names';
import { STATES_ERRORS } from '../../shared/contract/error-names';
import { createWorkflow, getNodes, startRun, startRunStack, waitFor, waitForNode, waitForRun, type TestStack } from './helpers';

const gated = { name: 'gated', nodes: [{ id: 'ask', type: 'human_gate', prompt: 'ok?', timeoutSeconds: 600 }], edges: [] };
const callOf = (id: string, workflowId: string, extra: Record<string, unknown> = {}) => ({ id, type: 'workflow_call', workflow: { id: workflowId }, timeoutSeconds: 600, ...extra });

describe('workflow_call: ends that travel', () => {
  let stack: TestStack;
  beforeAll(async () => { stack = await startRunStack(); });
  afterAll(async () => { await stack?.close(); });

  /** The child run of a call, once it exists (the node names it a moment before the run is written). */
  const childOf = (runId: string, nodeId: string) =>
    waitFor(async () => {
      const id = (await getNodes(stack, 'alice', runId))[nodeId]?.childRunId as string | undefined;
      return id && (await stack.call('GET', `/api/v1/workflows/runs/${id}`, { as: 'alice' })).status === 200 ? id : undefined;
    }, `the child of ${nodeId}`, 10_000);
  const statusOf = async (runId: string) => (await stack.call('GET', `/api/v1/workflows/runs/${runId}`, { as: 'alice' })).body.status as string;

  it('cancels children and grandchildren when the top run is cancelled', async () => {
    // Prepare: top → middle → bottom, which waits at a gate.
    const bottom = await createWorkflow(stack, 'alice', gated);
    const middle = await createWorkflow(stack, 'alice', { name: 'middle', nodes: [callOf('down', bottom)], edges: [] });
    const top = await createWorkflow(stack, 'alice', { name: 'top', nodes: [callOf('down', middle)], edges: [] });
    const runId = await startRun(stack, 'alice', top);
    const middleRun = await childOf(runId, 'down');
    const bottomRun = await childOf(middleRun, 'down');
    await waitForNode(stack, 'alice', bottomRun, 'ask', 'waiting');

    // Act
    const res = await stack.call('POST', `/api/v1/workflows/runs/${runId}/cancel`, { as: 'alice' });

    // Assess
    expect(res.status, res.text).toBe(200);
    expect((await waitForRun(stack, 'alice', middleRun, ['cancelled', 'failed', 'succeeded'])).status).toBe('cancelled');
    expect((await waitForRun(stack, 'alice', bottomRun, ['cancelled', 'failed', 'succeeded'])).status).toBe('cancelled');
    // The run is final a moment before its open nodes and gates are closed (two writes): wait for them.
    await waitFor(async () => ((await getNodes(stack, 'alice', bottomRun)).ask.gate?.status === 'cancelled' ? true : undefined), 'the bottom gate cancelled');
    await waitForNode(stack, 'alice', middleRun, 'down', 'cancelled');
  });

  it('cancels the child of a parent that fails elsewhere', async () => {
    // Prepare: the parent waits at its own gate beside the call; the child waits at its gate.
    const child = await createWorkflow(stack, 'alice', gated);
    const parent = await createWorkflow(stack, 'alice', {
      name: 'two branches', nodes: [callOf('triage', child), { id: 'sign', type: 'human_gate', prompt: 'sign?', timeoutSeconds: 600 }], edges: [],
    });
    const runId = await startRun(stack, 'alice', parent);
    const childRunId = await childOf(runId, 'triage');
    await waitForNode(stack, 'alice', childRunId, 'ask', 'waiting');
    await waitForNode(stack, 'alice', runId, 'sign', 'waiting');

    // Act: rejecting the parent's own gate fails the parent.
    await stack.call('POST', `/api/v1/workflows/runs/${runId}/gates/sign/reject`, { as: 'alice' });

    // Assess
    expect((await waitForRun(stack, 'alice', runId, ['failed', 'succeeded', 'cancelled'])).error.name).toBe(ERROR_NAMES.gateRejected);
    expect((await waitForRun(stack, 'alice', childRunId, ['cancelled', 'failed', 'succeeded'])).status).toBe('cancelled');
  });

  it('fails the parent node when its child is cancelled directly', async () => {
    // Prepare
    const child = await createWorkflow(stack, 'alice', gated);
    const parent = await createWorkflow(stack, 'alice', { name: 'parent', nodes: [callOf('triage', child)], edges: [] });
    const runId = await startRun(stack, 'alice', parent);
    const childRunId = await childOf(runId, 'triage');
    await waitForNode(stack, 'alice', childRunId, 'ask', 'waiting');

    // Act
    expect((await stack.call('POST', `/api/v1/workflows/runs/${childRunId}/cancel`, { as: 'alice' })).status).toBe(200);
    const run = await waitForRun(stack, 'alice', runId, ['failed', 'succeeded', 'cancelled']);

    // Assess
    expect(run.status).toBe('failed');
    const nodes = await getNodes(stack, 'alice', runId);
    expect(nodes.triage.error).toMatchObject({ name: ERROR_NAMES.childRunFailed, details: { childRunId, status: 'cancelled' } });
  });

  it('cancels the child of a call that timed out once the parent has gone on and succeeded', async () => {
    // Prepare (3 s: time for a loaded machine to start the child before the call times out)
    const child = await createWorkflow(stack, 'alice', gated);
    const parent = await createWorkflow(stack, 'alice', {
      name: 'impatient',
      nodes: [callOf('triage', child, { timeoutSeconds: 3, onError: 'continue' }), { id: 'after', type: 'tool_call', tool: { kind: 'builtin', name: 'echo' } }],
      edges: [{ from: 'triage', to: 'after' }],
    });

    // Act
    const runId = await startRun(stack, 'alice', parent);
    const run = await waitForRun(stack, 'alice', runId, ['succeeded', 'failed']);

    // Assess
    expect(run.status).toBe('succeeded');
    const nodes = await getNodes(stack, 'alice', runId);
    expect(nodes.triage.error.name).toBe(STATES_ERRORS.timeout);
    expect((await waitForRun(stack, 'alice', nodes.triage.childRunId, ['cancelled', 'failed', 'succeeded'])).status).toBe('cancelled');
  });

  it('starts one child per item for a call inside a map body', async () => {
    // Prepare
    const child = await createWorkflow(stack, 'alice', { name: 'double', nodes: [{ id: 'twice', type: 'tool_call', tool: { kind: 'builtin', name: 'echo' }, inputs: { n: '$context.n * 2' } }], edges: [] });
    const parent = await createWorkflow(stack, 'alice', {
      name: 'each',
      nodes: [{ id: 'each', type: 'map', items: '$context.list', maxConcurrency: 2, body: { nodes: [callOf('sub', child, { inputs: { n: '$item' }, timeoutSeconds: 30 })], edges: [] } }],
      edges: [],
    });

    // Act
    const runId = await startRun(stack, 'alice', parent, { input: { list: [1, 2, 3] } });
    const run = await waitForRun(stack, 'alice', runId, ['succeeded', 'failed']);

    // Assess
    expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
    expect(run.output).toEqual({ each: { results: [{ twice: { n: 2 } }, { twice: { n: 4 } }, { twice: { n: 6 } }], failed: [] } });
    const runs = (await stack.call('GET', `/api/v1/workflows/${child}/runs`, { as: 'alice' })).body.items as any[];
    expect(runs).toHaveLength(3);
    const views = await Promise.all(runs.map(async (r) => (await stack.call('GET', `/api/v1/workflows/runs/${r.runId}`, { as: 'alice' })).body));
    expect(views.map((v) => v.parentItem).sort()).toEqual(['0', '1', '2']);
    expect(new Set(views.map((v) => `${v.parentRunId}/${v.parentNodeId}`))).toEqual(new Set([`${runId}/sub`]));
    expect(await statusOf(runId)).toBe('succeeded');
  });
});

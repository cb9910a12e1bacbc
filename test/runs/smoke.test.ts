/**
 * The README's first-run smoke test (examples/smoke.json), run the way the runbook runs it against a deployed
 * stack, here on the local stack: create, run over the gate's threshold, approve, succeed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import smoke from '../../examples/smoke.json';
import { createWorkflow, getEvents, startRun, startRunStack, waitForNode, waitForRun, type TestStack } from './helpers';

describe('the deployment smoke test workflow', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startRunStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('waits at the gate above 100, then books once approved', async () => {
    // Prepare
    const wf = await createWorkflow(stack, 'alice', smoke);
    const runId = await startRun(stack, 'alice', wf, { input: { amount: 250 } });
    await waitForNode(stack, 'alice', runId, 'approve', 'waiting');

    // Act
    const decided = await stack.call('POST', `/api/v1/workflows/runs/${runId}/gates/approve/approve`, { as: 'alice', body: { comment: 'smoke' } });
    const run = await waitForRun(stack, 'alice', runId, ['succeeded', 'failed']);

    // Assess
    expect(decided.status, decided.text).toBe(200);
    expect(run.status).toBe('succeeded');
    const types = (await getEvents(stack, 'alice', runId)).map((e: { type: string }) => e.type);
    expect(types).toContain('gate.approved');
    expect(types.at(-1)).toBe('run.succeeded');
  });

  it('books at once at or under 100', async () => {
    // Prepare
    const wf = await createWorkflow(stack, 'alice', smoke);
    // Act
    const runId = await startRun(stack, 'alice', wf, { input: { amount: 40 } });
    const run = await waitForRun(stack, 'alice', runId, ['succeeded', 'failed']);
    // Assess
    expect(run.status).toBe('succeeded');
  });
});

/**
 * The README's callback pattern for work longer than an executor node may take (840 s): start the job, wait on a
 * gate (a task token, not a Lambda), and let the job complete the gate with its result through the gate route.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkflow, startRun, startRunStack, waitForNode, waitForRun, type TestStack } from './helpers';

describe('long-running work through a callback', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startRunStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('waits for the job on a gate only the job may decide, and passes its result downstream', async () => {
    // Prepare: `start` stands in for POST /jobs; the job runs as the service user "jobs"
    const wf = await createWorkflow(stack, 'alice', {
      name: 'long-job',
      nodes: [
        { id: 'start', type: 'tool_call', tool: { kind: 'builtin', name: 'echo' }, inputs: { jobId: 'job-1' } },
        { id: 'wait', type: 'human_gate', prompt: 'job-1 finished?', approvers: ['jobs'], timeoutSeconds: 86_400 },
        { id: 'use', type: 'tool_call', tool: { kind: 'builtin', name: 'echo' }, inputs: { rows: '$wait.data.rows', job: '$start.jobId' } },
      ],
      edges: [{ from: 'start', to: 'wait' }, { from: 'wait', to: 'use' }],
    });
    const runId = await startRun(stack, 'alice', wf);
    await waitForNode(stack, 'alice', runId, 'wait', 'waiting');

    // Act: the owner is not the job; the job completes the gate with its result
    const byOwner = await stack.call('POST', `/api/v1/workflows/runs/${runId}/gates/wait/approve`, { as: 'alice', body: { data: { rows: 0 } } });
    const byJob = await stack.call('POST', `/api/v1/workflows/runs/${runId}/gates/wait/approve`, { as: 'jobs', body: { data: { rows: 1200 } } });
    const run = await waitForRun(stack, 'alice', runId, ['succeeded', 'failed']);

    // Assess
    expect(byOwner.status).toBe(403);
    expect(byJob.status, byJob.text).toBe(200);
    expect(run.status).toBe('succeeded');
    expect(run.output).toEqual({ use: { rows: 1200, job: 'job-1' } });
  });
});

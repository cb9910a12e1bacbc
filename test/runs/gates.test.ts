/**
 * Human gates through the local stack: approve, reject, double and concurrent decisions, decisions after
 * cancel and after the gate's timeout, who may decide, and the task token never leaving the server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkflow, getEvents, getNodes, startRun, startRunStack, waitForNode, waitForRun, type TestStack } from './helpers';

function gateWorkflow(gate: Record<string, unknown> = {}) {
  return {
    name: 'gated',
    nodes: [
      { id: 'ask', type: 'human_gate', prompt: 'Ship it?', timeoutSeconds: 60, ...gate },
      { id: 'after', type: 'tool_call', tool: { kind: 'builtin', name: 'echo' }, inputs: { ok: '$ask.approved', by: '$ask.by', data: '$ask.data' } },
    ],
    edges: [{ from: 'ask', to: 'after' }],
  };
}

describe('human gates', () => {
  let stack: TestStack;
  beforeAll(async () => { stack = await startRunStack(); });
  afterAll(async () => { await stack?.close(); });

  async function waitingRun(owner: string, gate: Record<string, unknown> = {}): Promise<{ wf: string; runId: string }> {
    const wf = await createWorkflow(stack, owner, gateWorkflow(gate));
    const runId = await startRun(stack, owner, wf);
    await waitForNode(stack, owner, runId, 'ask', 'waiting');
    return { wf, runId };
  }
  const decide = (as: string, runId: string, decision: string, body?: object) =>
    stack.call('POST', `/api/v1/workflows/runs/${runId}/gates/ask/${decision}`, { as, ...(body ? { body } : {}) });

  it('waits, and an approval resumes the run with the gate output', async () => {
    // Prepare
    const { runId } = await waitingRun('alice');
    expect((await stack.call('GET', `/api/v1/workflows/runs/${runId}`, { as: 'alice' })).body.status).toBe('waiting');

    // Act
    const res = await decide('alice', runId, 'approve', { comment: 'go', data: { ticket: 7 } });
    const run = await waitForRun(stack, 'alice', runId, ['succeeded', 'failed']);

    // Assess
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ status: 'approved', decidedBy: 'alice', comment: 'go', data: { ticket: 7 } });
    expect(run.status).toBe('succeeded');
    expect(run.output).toEqual({ after: { ok: true, by: 'alice', data: { ticket: 7 } } });
    const nodes = await getNodes(stack, 'alice', runId);
    expect(nodes.ask.output).toEqual({
      approved: true, by: 'alice', comment: 'go', data: { ticket: 7 },
      votes: [{ by: 'alice', decision: 'approve', at: expect.any(String), comment: 'go', data: { ticket: 7 }, as: 'role:owner' }],
    });
    expect((await getEvents(stack, 'alice', runId)).map((e) => e.type)).toContain('gate.approved');
  });

  it('never shows the task token in a response or an event', async () => {
    // Prepare
    const { runId } = await waitingRun('alice');

    const reads = () => Promise.all([
      stack.call('GET', `/api/v1/workflows/runs/${runId}/nodes`, { as: 'alice' }),
      stack.call('GET', `/api/v1/workflows/runs/${runId}/events`, { as: 'alice' }),
      stack.call('GET', `/api/v1/workflows/runs/${runId}`, { as: 'alice' }),
    ]);

    // Act: every read while the gate waits, the decision, and every read after it
    const waiting = await reads();
    const decided = await decide('alice', runId, 'approve');
    await waitForRun(stack, 'alice', runId, ['succeeded', 'failed']);
    const after = await reads();

    // Assess
    for (const res of [...waiting, decided, ...after]) expect(res.text).not.toMatch(/token/i);
    expect(waiting[0].body.items[0].gate).toMatchObject({ status: 'waiting', prompt: 'Ship it?' });
    expect(after[0].body.items[0].gate).toMatchObject({ status: 'approved' });
  });

  it('fails the run with Braid.GateRejected when rejected', async () => {
    // Prepare
    const { runId } = await waitingRun('alice');

    // Act
    const res = await decide('alice', runId, 'reject', { comment: 'no' });
    const run = await waitForRun(stack, 'alice', runId, ['succeeded', 'failed']);

    // Assess
    expect(res.status, res.text).toBe(200);
    expect(res.body.status).toBe('rejected');
    expect(run.status).toBe('failed');
    expect(run.error.name).toBe('Braid.GateRejected');
    const nodes = await getNodes(stack, 'alice', runId);
    expect(nodes.ask).toMatchObject({ status: 'failed', error: { name: 'Braid.GateRejected' } });
    expect(nodes.after.status).toBe('cancelled'); // never reached: a redrive runs it;
  });

  it('goes on after a rejection when the gate says onError: continue', async () => {
    // Prepare
    const { runId } = await waitingRun('alice', { onError: 'continue' });

    // Act
    await decide('alice', runId, 'reject');
    const run = await waitForRun(stack, 'alice', runId, ['succeeded', 'failed']);

    // Assess
    expect(run.status).toBe('succeeded');
    expect(run.output).toEqual({ after: {} });
  });

  it('answers a second decision with 409 already_decided', async () => {
    // Prepare
    const { runId } = await waitingRun('alice');
    expect((await decide('alice', runId, 'approve')).status).toBe(200);

    // Act
    const second = await decide('alice', runId, 'reject');

    // Assess
    expect(second.status).toBe(409);
    expect(second.body.error).toMatchObject({ reason: 'already_decided' });
  });

  it('lets exactly one of two concurrent decisions win', async () => {
    // Prepare
    const { runId } = await waitingRun('alice');

    // Act
    const results = await Promise.all([decide('alice', runId, 'approve'), decide('alice', runId, 'reject')]);

    // Assess
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    const winner = results.find((r) => r.status === 200)!;
    const run = await waitForRun(stack, 'alice', runId, ['succeeded', 'failed']);
    expect(run.status).toBe(winner.body.status === 'approved' ? 'succeeded' : 'failed');
  });

  it('answers a decision after cancel with 409 gate_closed', async () => {
    // Prepare
    const { runId } = await waitingRun('alice');
    expect((await stack.call('POST', `/api/v1/workflows/runs/${runId}/cancel`, { as: 'alice' })).status).toBe(200);

    // Act
    const res = await decide('alice', runId, 'approve');

    // Assess
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ reason: 'gate_closed' });
    const nodes = await getNodes(stack, 'alice', runId);
    expect(nodes.ask).toMatchObject({ status: 'cancelled', gate: { status: 'cancelled' } });
  });

  it('times out: the run fails, the gate is timed_out and a late approval is a 409', async () => {
    // Prepare: 3 s leave a loaded machine time to open the gate before it times out; the run is not polled for
    // "waiting" (a poll could miss so short a window): the event log shows the wait afterwards
    const wf = await createWorkflow(stack, 'alice', gateWorkflow({ timeoutSeconds: 3 }));
    const runId = await startRun(stack, 'alice', wf);

    // Act
    const run = await waitForRun(stack, 'alice', runId, ['failed', 'succeeded']);
    const late = await decide('alice', runId, 'approve');

    // Assess
    const types = (await getEvents(stack, 'alice', runId)).filter((e) => e.nodeId === 'ask').map((e) => e.type);
    expect(types.indexOf('node.waiting')).toBeGreaterThanOrEqual(0);
    expect(types.indexOf('node.waiting')).toBeLessThan(types.indexOf('node.failed'));
    expect(run.status).toBe('failed');
    expect(run.error.name).toBe('States.Timeout');
    const nodes = await getNodes(stack, 'alice', runId);
    expect(nodes.ask).toMatchObject({ status: 'failed', gate: { status: 'timed_out' } });
    expect(late.status).toBe(409);
    expect(late.body.error).toMatchObject({ reason: 'gate_timed_out' });
  });

  it('lets approver grantees decide and refuses runners (403) and strangers (404)', async () => {
    // Prepare
    const { wf, runId } = await waitingRun('alice');
    await stack.call('PUT', `/api/v1/workflows/${wf}/permissions/rita`, { as: 'alice', body: { role: 'runner' } });
    await stack.call('PUT', `/api/v1/workflows/${wf}/permissions/april`, { as: 'alice', body: { role: 'approver' } });

    // Act
    const stranger = await decide('sam', runId, 'approve');
    const runner = await decide('rita', runId, 'approve');
    const approver = await decide('april', runId, 'approve');

    // Assess
    expect(stranger.status).toBe(404);
    expect(runner.status).toBe(403);
    expect(approver.status, approver.text).toBe(200);
  });

  it('lets only the listed approvers decide when the gate names them', async () => {
    // Prepare
    const { runId } = await waitingRun('alice', { approvers: ['erin'] });

    // Act
    const owner = await decide('alice', runId, 'approve');
    const listed = await decide('erin', runId, 'approve');

    // Assess
    expect(owner.status).toBe(403);
    expect(listed.status, listed.text).toBe(200);
  });

  it('rejects an unknown decision with 400', async () => {
    // Prepare
    const { runId } = await waitingRun('alice');

    // Act
    const res = await decide('alice', runId, 'maybe');

    // Assess
    expect(res.status).toBe(400);
    expect(res.body.errors[0].path).toBe('/path/decision');
  });
});

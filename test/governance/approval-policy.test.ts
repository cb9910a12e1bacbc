/**
 * Approval policies on the local stack: quorum of distinct people (users and groups from the token), one vote
 * per person, votes after the decision, reject quorum, forbidden requester, dataSchema with pointers, the audit
 * trail (votes on the gate view and in the output, events), exactly one decision under concurrent votes, and
 * escalation and reminders on short timers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkflow, getEvents, getNodes, startRun, waitFor, waitForNode, waitForRun } from '../runs/helpers';
import { callWithGroups, gatedWorkflow, startGovernanceStack, type TestStack } from './helpers';

describe('gate approval policies', () => {
  let stack: TestStack;
  beforeAll(async () => { stack = await startGovernanceStack(); });
  afterAll(async () => { await stack?.close(); });

  async function waitingRun(owner: string, gate: Record<string, unknown>, starter = owner): Promise<{ wf: string; runId: string }> {
    const wf = await createWorkflow(stack, owner, gatedWorkflow(gate));
    if (starter !== owner) await stack.call('PUT', `/api/v1/workflows/${wf}/permissions/${starter}`, { as: owner, body: { role: 'runner' } });
    const runId = await startRun(stack, starter, wf);
    await waitForNode(stack, owner, runId, 'ask', 'waiting');
    return { wf, runId };
  }
  const vote = (user: string, groups: string[], runId: string, decision: string, body: object = {}) =>
    callWithGroups(stack, user, groups, 'POST', `/api/v1/workflows/runs/${runId}/gates/ask/${decision}`, body);

  it('approves at the quorum of distinct eligible people, users and groups, and keeps every vote', async () => {
    // Prepare
    const { runId } = await waitingRun('owner1', { approvers: ['alice', 'group:finance'], quorum: 2 });

    // Act
    const outsider = await vote('dave', ['sales'], runId, 'approve');
    const first = await vote('alice', [], runId, 'approve', { comment: 'fine' });
    const again = await vote('alice', [], runId, 'approve');
    const second = await vote('bob', ['finance'], runId, 'approve', { comment: 'ok', data: { limit: 300 } });
    const late = await vote('carol', ['finance'], runId, 'approve');
    const run = await waitForRun(stack, 'owner1', runId, ['succeeded', 'failed']);

    // Assess
    expect(outsider.status).toBe(404); // no access to the run: not even its existence leaks
    expect(first.status, first.text).toBe(200);
    expect(first.body).toMatchObject({ status: 'waiting', approvals: 1, quorum: 2, votes: [{ by: 'alice', decision: 'approve', as: 'user:alice', comment: 'fine' }] });
    expect(again.status).toBe(409);
    expect(again.body.error.reason).toBe('already_voted');
    expect(second.body).toMatchObject({ status: 'approved', decidedBy: 'bob', approvals: 2 });
    expect(late.status).toBe(409);
    expect(late.body.error.reason).toBe('already_decided');
    expect(run.status).toBe('succeeded');
    const nodes = await getNodes(stack, 'owner1', runId);
    expect(nodes.ask.output).toMatchObject({ approved: true, by: 'bob', comment: 'ok', data: { limit: 300 } });
    expect(nodes.ask.output.votes.map((v: any) => [v.by, v.as])).toEqual([['alice', 'user:alice'], ['bob', 'group:finance']]);
    expect(nodes.ask.gate.votes).toEqual(nodes.ask.output.votes);
    const types = (await getEvents(stack, 'owner1', runId)).map((e) => e.type);
    expect(types.filter((t) => t === 'gate.voted')).toHaveLength(2);
    expect(types).toContain('gate.approved');
  });

  it('rejects at the reject quorum; one rejection alone does not when rejectQuorum is 2', async () => {
    // Prepare
    const { runId } = await waitingRun('owner2', { approvers: ['a1', 'a2', 'a3'], quorum: 3, rejectQuorum: 2 });

    // Act
    const first = await vote('a1', [], runId, 'reject', { comment: 'too dear' });
    const second = await vote('a2', [], runId, 'reject');
    const run = await waitForRun(stack, 'owner2', runId, ['succeeded', 'failed']);

    // Assess
    expect(first.body).toMatchObject({ status: 'waiting', rejections: 1 });
    expect(second.body).toMatchObject({ status: 'rejected', decidedBy: 'a2', rejections: 2 });
    expect(run.error.name).toBe('Braid.GateRejected');
    expect((await getEvents(stack, 'owner2', runId)).map((e) => e.type)).toContain('gate.rejected');
  });

  it('refuses the requester of a forbidRequester gate with 403 requester_forbidden', async () => {
    // Prepare
    const { runId } = await waitingRun('owner3', { forbidRequester: true }, 'runner3');
    await stack.call('PUT', `/api/v1/workflows/${(await stack.call('GET', `/api/v1/workflows/runs/${runId}`, { as: 'owner3' })).body.workflowId}/permissions/runner3`, { as: 'owner3', body: { role: 'editor' } });

    // Act
    const own = await vote('runner3', [], runId, 'approve');
    const owner = await vote('owner3', [], runId, 'approve');

    // Assess
    expect(own.status).toBe(403);
    expect(own.body.error.code).toBe('requester_forbidden');
    expect(owner.body.status).toBe('approved');
  });

  it('validates approval data against dataSchema before the vote counts (400 with /data pointers)', async () => {
    // Prepare
    const { runId } = await waitingRun('owner4', { dataSchema: { type: 'object', required: ['limit'], properties: { limit: { type: 'number' } } } });

    // Act
    const bad = await vote('owner4', [], runId, 'approve', { data: { limit: 'lots' } });
    const missing = await vote('owner4', [], runId, 'approve', { data: {} });
    const good = await vote('owner4', [], runId, 'approve', { data: { limit: 5 } });

    // Assess
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([expect.objectContaining({ path: '/data/limit', code: 'schema_type' })]);
    expect(missing.body.errors).toEqual([expect.objectContaining({ path: '/data/limit', code: 'schema_required' })]);
    expect(good.body).toMatchObject({ status: 'approved', votes: [{ by: 'owner4' }] });
  });

  it('sends exactly one decision to the orchestrator under many concurrent votes', async () => {
    // Prepare
    const voters = Array.from({ length: 12 }, (_, i) => `v${i}`);
    const { runId } = await waitingRun('owner5', { approvers: voters, quorum: 3 });
    let sent = 0;
    const orchestrator = stack.orchestrator;
    const original = orchestrator.sendTaskSuccess.bind(orchestrator);
    orchestrator.sendTaskSuccess = async (input) => { sent += 1; return original(input); };

    // Act
    const results = await Promise.all(voters.map((v) => vote(v, [], runId, 'approve')));
    const run = await waitForRun(stack, 'owner5', runId, ['succeeded', 'failed']);
    orchestrator.sendTaskSuccess = original;

    // Assess
    expect(run.status).toBe('succeeded');
    expect(sent).toBe(1);
    const nodes = await getNodes(stack, 'owner5', runId);
    const counted = results.filter((r) => r.status === 200).length;
    expect(results.every((r) => r.status === 200 || (r.status === 409 && r.body.error.reason === 'already_decided'))).toBe(true);
    expect(nodes.ask.gate.votes).toHaveLength(counted);
    expect(nodes.ask.gate.approvals).toBe(counted);
    expect(counted).toBeGreaterThanOrEqual(3);
    expect(nodes.ask.output.by).toBe(nodes.ask.gate.decidedBy);
  });

  it('escalates after afterSeconds (escalation approvers become eligible) and reminds while waiting', async () => {
    // Prepare
    const { runId } = await waitingRun('owner6', {
      approvers: ['alice'], reminders: { everySeconds: 60 }, escalation: { afterSeconds: 300, approvers: ['group:leads'] },
    });

    // Act
    const early = await vote('erin', ['leads'], runId, 'approve');
    const released = await stack.gateTimers.releaseHeld();
    await waitFor(async () => ((await getEvents(stack, 'owner6', runId)).some((e) => e.type === 'gate.escalated') ? true : undefined), 'gate.escalated');
    await waitFor(async () => (stack.notifier.published.filter((n) => n.runId === runId && n.type === 'gate.reminded').length >= 2 ? true : undefined), 'two reminders');
    const late = await vote('erin', ['leads'], runId, 'approve');
    await waitForRun(stack, 'owner6', runId, ['succeeded']);

    // Assess
    expect(early.status).toBe(404);
    expect(released).toBeGreaterThanOrEqual(1);
    expect(late.body).toMatchObject({ status: 'approved', votes: [{ by: 'erin', as: 'escalation:group:leads' }] });
    expect(late.body.escalatedAt).toEqual(expect.any(String));
    const types = await waitFor(async () => {
      const published = stack.notifier.published.filter((n) => n.runId === runId).map((n) => n.type);
      return published.includes('run.finished') ? published : undefined;
    }, 'run.finished published');
    expect(types).toEqual(expect.arrayContaining(['gate.opened', 'gate.escalated', 'gate.reminded', 'gate.decided', 'run.finished']));
    await waitFor(async () => (stack.gateTimers.pending().length === 0 ? true : undefined), 'timers deleted');
  });
});

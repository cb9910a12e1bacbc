/**
 * Budgets on the local stack, with a real A2A agent that reports 0.6 USD per call: spend counted per attempt,
 * the 80% warning and exceeded events, `fail` mode (even past `onError: continue`), `gate` mode pausing in the
 * built-in budget gate and resuming with the raised budget (or failing when rejected), and run-start budgets.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startA2AAgent, type A2AAgentHandle } from '../support/a2a-agent';
import { createWorkflow, getEvents, getNodes, startRun, waitFor, waitForRun } from '../runs/helpers';
import { startGovernanceStack, type TestStack } from './helpers';

function threeCalls(url: string, extra: Record<string, unknown>, last: Record<string, unknown> = {}) {
  return {
    name: 'spender',
    ...extra,
    nodes: [
      { id: 'a1', type: 'agent_call', agent: { url }, inputs: { q: 'one' } },
      { id: 'a2', type: 'agent_call', agent: { url }, inputs: { q: 'two' } },
      { id: 'a3', type: 'agent_call', agent: { url }, inputs: { q: 'three' }, ...last },
    ],
    edges: [{ from: 'a1', to: 'a2' }, { from: 'a2', to: 'a3' }],
  };
}

describe('budgets', () => {
  let stack: TestStack;
  let agent: A2AAgentHandle;
  beforeAll(async () => {
    stack = await startGovernanceStack();
    agent = await startA2AAgent({ reply: { text: 'done', usage: { inputTokens: 100, outputTokens: 20, costUsd: 0.6 } } });
    stack.egress.allowlist.add(new URL(agent.url).host);
  });
  afterAll(async () => {
    await stack?.close();
    await agent?.close();
  });

  it('fails the run with Braid.BudgetExceeded before the agent_call that would overspend, after warning', async () => {
    // Prepare
    const wf = await createWorkflow(stack, 'fay', threeCalls(agent.url, { budget: { usd: 1 } }));
    const before = agent.received.length;

    // Act
    const runId = await startRun(stack, 'fay', wf);
    const run = await waitForRun(stack, 'fay', runId, ['succeeded', 'failed']);

    // Assess
    expect(run).toMatchObject({ status: 'failed', error: { name: 'Braid.BudgetExceeded' }, budget: { usd: 1 }, spent: { usd: 1.2, tokens: 240 } });
    expect(agent.received.length - before).toBe(2);
    const events = await getEvents(stack, 'fay', runId);
    const types = events.map((e) => e.type);
    expect(types.indexOf('run.budget_warning')).toBeLessThan(types.indexOf('run.budget_exceeded'));
    expect(events.find((e) => e.type === 'run.budget_exceeded')?.data).toEqual({ budget: { usd: 1 }, spent: { usd: 1.2, tokens: 240 } });
    expect((await getNodes(stack, 'fay', runId)).a3.error.name).toBe('Braid.BudgetExceeded');
  });

  it('fails the run even when the refused agent_call has onError: continue', async () => {
    // Prepare
    const wf = await createWorkflow(stack, 'fay', threeCalls(agent.url, { budget: { usd: 1 } }, { onError: 'continue' }));

    // Act
    const runId = await startRun(stack, 'fay', wf);
    const run = await waitForRun(stack, 'fay', runId, ['succeeded', 'failed']);

    // Assess
    expect(run.status).toBe('failed');
    expect(run.error.name).toBe('Braid.BudgetExceeded');
  });

  it('pauses in the budget gate, which editors approve with data.raiseUsd, then goes on with the raised budget', async () => {
    // Prepare
    const wf = await createWorkflow(stack, 'gus', threeCalls(agent.url, { budget: { usd: 1 }, onBudgetExceeded: 'gate' }));
    await stack.call('PUT', `/api/v1/workflows/${wf}/permissions/ed`, { as: 'gus', body: { role: 'editor' } });
    await stack.call('PUT', `/api/v1/workflows/${wf}/permissions/apu`, { as: 'gus', body: { role: 'approver' } });
    const runId = await startRun(stack, 'gus', wf);
    await waitForRun(stack, 'gus', runId, ['waiting']);
    const before = agent.received.length;

    // Act
    const inbox = await stack.call('GET', '/api/v1/gates?status=waiting', { as: 'ed' });
    const approver = await stack.call('POST', `/api/v1/workflows/runs/${runId}/gates/budget/approve`, { as: 'apu', body: { data: { raiseUsd: 1 } } });
    const noRaise = await stack.call('POST', `/api/v1/workflows/runs/${runId}/gates/budget/approve`, { as: 'ed', body: { data: {} } });
    const approved = await stack.call('POST', `/api/v1/workflows/runs/${runId}/gates/budget/approve`, { as: 'ed', body: { comment: 'worth it', data: { raiseUsd: 1 } } });
    const run = await waitForRun(stack, 'gus', runId, ['succeeded', 'failed']);

    // Assess
    expect(inbox.body.items.map((g: any) => [g.runId, g.nodeId])).toEqual([[runId, 'budget']]);
    expect(approver.status).toBe(403);
    expect(noRaise.status).toBe(400);
    expect(approved.body).toMatchObject({ status: 'approved', decidedBy: 'ed' });
    expect(run).toMatchObject({ status: 'succeeded', budget: { usd: 2 }, spent: { usd: 1.8 } });
    expect(agent.received.length - before).toBe(1);
    const nodes = await getNodes(stack, 'gus', runId);
    expect(nodes.budget).toMatchObject({ type: 'budget_gate', status: 'succeeded', gate: { status: 'approved', votes: [{ by: 'ed', as: 'role:editor' }] } });
    const types = (await getEvents(stack, 'gus', runId)).map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['run.budget_exceeded', 'node.waiting', 'gate.voted', 'gate.approved', 'run.succeeded']));
  });

  it('fails the paused run when the budget gate is rejected', async () => {
    // Prepare
    const wf = await createWorkflow(stack, 'gus', threeCalls(agent.url, { budget: { usd: 1 }, onBudgetExceeded: 'gate' }));
    const runId = await startRun(stack, 'gus', wf);
    await waitForRun(stack, 'gus', runId, ['waiting']);

    // Act
    await stack.call('POST', `/api/v1/workflows/runs/${runId}/gates/budget/reject`, { as: 'gus', body: { comment: 'enough' } });
    const run = await waitForRun(stack, 'gus', runId, ['succeeded', 'failed']);

    // Assess
    expect(run.status).toBe('failed');
    expect(run.error.name).toBe('Braid.BudgetExceeded');
    await waitFor(async () => ((await stack.call('GET', '/api/v1/gates', { as: 'gus' })).body.items.length === 0 ? true : undefined), 'the inbox to empty');
  });

  it('takes a budget at run start: at most the workflow\'s, unless the caller is the owner', async () => {
    // Prepare
    const wf = await createWorkflow(stack, 'hal', threeCalls(agent.url, { budget: { usd: 1 } }));
    await stack.call('PUT', `/api/v1/workflows/${wf}/permissions/rae`, { as: 'hal', body: { role: 'runner' } });

    // Act
    const above = await stack.call('POST', `/api/v1/workflows/${wf}/run`, { as: 'rae', body: { budget: { usd: 5 } } });
    const below = await stack.call('POST', `/api/v1/workflows/${wf}/run`, { as: 'rae', body: { budget: { usd: 0.5 } } });
    const owner = await stack.call('POST', `/api/v1/workflows/${wf}/run`, { as: 'hal', body: { budget: { usd: 5, tokens: 10_000 } } });
    const ownerRun = await waitForRun(stack, 'hal', owner.body.runId, ['succeeded', 'failed']);
    const belowRun = await waitForRun(stack, 'rae', below.body.runId, ['succeeded', 'failed']);

    // Assess
    expect(above.status).toBe(403);
    expect(above.body.error.code).toBe('budget_above_workflow');
    expect(belowRun).toMatchObject({ status: 'failed', budget: { usd: 0.5 }, spent: { usd: 0.6 } });
    expect(ownerRun).toMatchObject({ status: 'succeeded', budget: { usd: 5, tokens: 10_000 }, spent: { usd: 1.8, tokens: 360 } });
  });
});

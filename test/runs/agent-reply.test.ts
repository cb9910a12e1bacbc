/**
 * Agents that ask (A2A `input-required`) on the local stack against real A2A servers on loopback: the node waits
 * with its question on the node view and in `node.input_required`, a reply over HTTP goes to the same A2A task and
 * context, the agent goes on streaming and the node succeeds; two turns; who may reply; 409 and 400 answers;
 * cancel and the node's timeout while it waits.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack } from '../support/local-stack';
import { DEMO_QUESTION, startDemoAgent } from '../../examples/demo-agent';
import type { DemoServer } from '../../examples/demo-tool';
import { allowTestServer } from '../support/egress';
import { startA2AAgent, type A2AAgentHandle } from '../support/a2a-agent';
import { createWorkflow, getEvents, getNodes, startRun, startRunStack, waitFor, waitForNode, waitForRun, type TestStack } from './helpers';

const HOTELS = [{ name: 'Ritz', price: 900 }, { name: 'Ibis', price: 90 }, { name: 'Novotel', price: 150 }];

function agentWorkflow(url: string, node: Record<string, unknown> = {}) {
  return {
    name: 'asks',
    nodes: [
      { id: 'pick', type: 'agent_call', agent: { url }, inputs: { message: '$context.note', hotels: '$context.hotels' }, ...node },
      { id: 'after', type: 'tool_call', tool: { kind: 'builtin', name: 'echo' }, inputs: { picked: '$pick.text' } },
    ],
    edges: [{ from: 'pick', to: 'after' }],
  };
}

describe('an agent that asks (demo agent, streaming)', () => {
  let stack: TestStack;
  let agent: DemoServer;

  beforeAll(async () => {
    [stack, agent] = await Promise.all([startRunStack(), startDemoAgent({ port: 0, wordDelayMs: 2 })]);
    allowTestServer(agent.url);
  });
  afterAll(async () => {
    await Promise.all([stack?.close(), agent?.close()]);
  });

  const reply = (as: string, runId: string, body: unknown, nodeId = 'pick') =>
    stack.call('POST', `/api/v1/workflows/runs/${runId}/nodes/${nodeId}/reply`, { as, body });

  /** Starts a run whose agent asks a question; waits until the node waits for the reply unless `untilWaiting` is false. */
  async function askingRun(owner = 'alice', node: Record<string, unknown> = {}, untilWaiting = true): Promise<{ wf: string; runId: string }> {
    const wf = await createWorkflow(stack, owner, agentWorkflow(agent.url, node));
    const runId = await startRun(stack, owner, wf, { input: { note: 'please ask me first', hotels: HOTELS } });
    if (untilWaiting) await waitForNode(stack, owner, runId, 'pick', 'waiting');
    return { wf, runId };
  }

  it('waits with the question, takes a reply over HTTP, streams on and succeeds with the final answer', async () => {
    // Prepare
    const { runId } = await askingRun();
    const waiting = await getNodes(stack, 'alice', runId);
    const run = (await stack.call('GET', `/api/v1/workflows/runs/${runId}`, { as: 'alice' })).body;

    // Act
    const res = await reply('alice', runId, { text: 'about 200' });
    const done = await waitForRun(stack, 'alice', runId, ['succeeded', 'failed']);

    // Assess
    expect(run.status).toBe('waiting');
    expect(waiting.pick.question).toMatchObject({ text: DEMO_QUESTION, data: null, turn: 0 });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ runId, nodeId: 'pick', turn: 0, status: 'replied', by: 'alice' });
    const nodes = await getNodes(stack, 'alice', runId);
    expect(done.status, JSON.stringify(nodes.pick)).toBe('succeeded');
    expect(nodes.pick.output).toStrictEqual({ text: 'Novotel at $150/night is the best of 3 within $200.', data: { name: 'Novotel', price: 150 }, taskState: 'completed' });
    expect(nodes.pick.question).toBeUndefined();
    expect(nodes.pick.attempts.map((a: { asked?: boolean; turn?: number; status: string }) => [a.status, a.asked ?? false, a.turn ?? 0])).toStrictEqual([['succeeded', true, 0], ['succeeded', false, 1]]);
    expect(done.output).toStrictEqual({ after: { picked: 'Novotel at $150/night is the best of 3 within $200.' } });
    const events = await getEvents(stack, 'alice', runId);
    const types = events.map((e) => e.type);
    const asked = events.find((e) => e.type === 'node.input_required');
    expect(asked).toMatchObject({ nodeId: 'pick', data: { attempt: 0, turn: 0, question: { text: DEMO_QUESTION, data: null } } });
    expect(events.find((e) => e.type === 'node.replied')).toMatchObject({ nodeId: 'pick', data: { turn: 0, by: 'alice', text: 'about 200' } });
    // Streaming goes on after the reply: the second turn's text deltas come after node.replied, before node.succeeded.
    const after = events.slice(types.indexOf('node.replied'));
    const streamed = after.filter((e) => e.type === 'node.progress').map((e) => e.data.text ?? '').join('');
    expect(streamed).toBe(nodes.pick.output.text);
    expect(types.lastIndexOf('node.progress')).toBeLessThan(types.indexOf('node.succeeded'));
    expect(JSON.stringify(events)).not.toMatch(/taskToken|local-token/);
  });

  it('answers 409 not_waiting to a reply to a node that is not waiting, and after the run ended', async () => {
    // Prepare
    const { runId } = await askingRun();
    const first = await reply('alice', runId, { text: '100' });
    await waitForRun(stack, 'alice', runId, ['succeeded', 'failed']);

    // Act
    const again = await reply('alice', runId, { text: '100' });
    const other = await reply('alice', runId, { text: 'hi' }, 'after');

    // Assess
    expect(first.status, first.text).toBe(200);
    expect(again.status).toBe(409);
    expect(again.body.error.reason).toBe('run_finished');
    expect(other.status).toBe(409);
  });

  it('answers 400 with a pointer for bad bodies, and 409 not_waiting for a node that does not wait', async () => {
    // Prepare
    const { runId } = await askingRun();

    // Act
    const empty = await reply('alice', runId, {});
    const wrong = await reply('alice', runId, { text: 7 });
    const extra = await reply('alice', runId, { text: 'x', token: 'y' });
    const big = await reply('alice', runId, { data: { blob: 'x'.repeat(20_000) } });
    const badItem = await stack.call('POST', `/api/v1/workflows/runs/${runId}/nodes/after/reply?item=x`, { as: 'alice', body: { text: 'x' } });
    const noItem = await stack.call('POST', `/api/v1/workflows/runs/${runId}/nodes/pick/reply?item=0`, { as: 'alice', body: { text: 'x' } });
    const notWaiting = await reply('alice', runId, { text: 'x' }, 'after');

    // Assess
    expect([empty.status, wrong.status, extra.status, big.status, badItem.status]).toStrictEqual([400, 400, 400, 400, 400]);
    expect(empty.body.errors, empty.text).toContainEqual(expect.objectContaining({ code: 'reply_empty', path: '/text' }));
    expect(wrong.body.errors).toContainEqual(expect.objectContaining({ path: '/text' }));
    expect(extra.body.errors[0].path).toMatch(/token|^\/$/);
    expect(big.body.errors).toContainEqual(expect.objectContaining({ code: 'reply_too_large', path: '/data' }));
    expect(badItem.body.errors).toContainEqual(expect.objectContaining({ path: '/query/item' }));
    expect(notWaiting.status).toBe(409);
    expect(notWaiting.body.error.reason).toBe('not_waiting');
    // A top-level node has no items.
    expect(noItem.status).toBe(404);
    await stack.call('POST', `/api/v1/workflows/runs/${runId}/cancel`, { as: 'alice' });
  });

  it('lets those who may decide a gate reply: 404 to a stranger, 403 to a viewer or runner, 200 to an approver', async () => {
    // Prepare
    const { wf, runId } = await askingRun('alice');
    await stack.call('PUT', `/api/v1/workflows/${wf}/permissions/vera`, { as: 'alice', body: { role: 'viewer' } });
    await stack.call('PUT', `/api/v1/workflows/${wf}/permissions/rita`, { as: 'alice', body: { role: 'runner' } });
    await stack.call('PUT', `/api/v1/workflows/${wf}/permissions/april`, { as: 'alice', body: { role: 'approver' } });

    // Act
    const stranger = await reply('mallory', runId, { text: '100' });
    const viewer = await reply('vera', runId, { text: '100' });
    const runner = await reply('rita', runId, { text: '100' });
    const approver = await reply('april', runId, { text: '100' });

    // Assess
    expect([stranger.status, viewer.status, runner.status, approver.status]).toStrictEqual([404, 403, 403, 200]);
    expect((await waitForRun(stack, 'alice', runId, ['succeeded', 'failed'])).status).toBe('succeeded');
  });

  it('takes exactly one of two replies sent at once', async () => {
    // Prepare
    const { runId } = await askingRun();

    // Act
    const answers = await Promise.all([reply('alice', runId, { text: '100' }), reply('alice', runId, { text: '1000' })]);
    const run = await waitForRun(stack, 'alice', runId, ['succeeded', 'failed']);

    // Assess
    expect(answers.map((a) => a.status).sort()).toStrictEqual([200, 409]);
    expect(answers.find((a) => a.status === 409)!.body.error.reason).toBe('not_waiting');
    expect(run.status).toBe('succeeded');
    expect((await getEvents(stack, 'alice', runId)).filter((e) => e.type === 'node.replied')).toHaveLength(1);
  });

  it('ends the wait when the run is cancelled', async () => {
    // Prepare
    const { runId } = await askingRun();

    // Act
    const cancelled = await stack.call('POST', `/api/v1/workflows/runs/${runId}/cancel`, { as: 'alice' });
    const late = await reply('alice', runId, { text: '100' });

    // Assess
    expect(cancelled.status, cancelled.text).toBe(200);
    expect((await waitForRun(stack, 'alice', runId, ['cancelled'])).status).toBe('cancelled');
    expect((await getNodes(stack, 'alice', runId)).pick.status).toBe('cancelled');
    expect(late.status).toBe(409);
  });

  it('fails the node with States.Timeout when no reply comes within its timeoutSeconds', async () => {
    // Prepare: 3 s leave a loaded machine time to ask before the wait times out; the run is not polled for "waiting"
    // (a poll could miss so short a window): the event log shows the question afterwards
    const { runId } = await askingRun('alice', { timeoutSeconds: 3 }, false);

    // Act
    const run = await waitForRun(stack, 'alice', runId, ['failed', 'timed_out', 'succeeded']);

    // Assess
    expect((await getEvents(stack, 'alice', runId)).filter((e) => e.type === 'node.input_required')).toHaveLength(1);
    expect(run.status).not.toBe('succeeded');
    expect(run.error?.name).toBe('States.Timeout');
    const nodes = await getNodes(stack, 'alice', runId);
    expect(nodes.pick.status).toBe('failed');
    expect(nodes.pick.error?.name).toBe('States.Timeout');
    expect((await reply('alice', runId, { text: '100' })).status).toBe(409);
  });

  it('waits again for the same question after a redrive of a run whose wait timed out', async () => {
    // Prepare: the wait times out, the run fails
    const { runId } = await askingRun('alice', { timeoutSeconds: 3 }, false);
    await waitForRun(stack, 'alice', runId, ['failed', 'timed_out']);
    const asked = (await getEvents(stack, 'alice', runId)).filter((e) => e.type === 'node.input_required').length;

    // Act
    const redriven = await stack.call('POST', `/api/v1/workflows/runs/${runId}/redrive`, { as: 'alice' });
    const waiting = await waitForNode(stack, 'alice', runId, 'pick', 'waiting');
    const res = await reply('alice', runId, { text: '1000' });
    const run = await waitForRun(stack, 'alice', runId, ['succeeded', 'failed', 'timed_out'], 30_000);

    // Assess: the agent was not asked afresh (no second question); the reply reached the asking task
    expect(redriven.status, redriven.text).toBe(202);
    expect(waiting.pick.question).toMatchObject({ text: DEMO_QUESTION, turn: 0 });
    expect(res.status, res.text).toBe(200);
    expect(run.status).toBe('succeeded');
    expect((await getEvents(stack, 'alice', runId)).filter((e) => e.type === 'node.input_required')).toHaveLength(asked);
    expect((await getNodes(stack, 'alice', runId)).pick.output.text).toBe('Ritz at $900/night is the best of 3 within $1000.');
  });
});

describe('an agent that asks twice (scripted agent)', () => {
  let stack: TestStack;
  let agent: A2AAgentHandle;
  // The executor as Step Functions calls it: redeliveries are sent straight to it.
  let executor: ((event: unknown) => Promise<unknown>) | undefined;
  let runId: string;

  beforeAll(async () => {
    [stack, agent] = await Promise.all([
      startRunStack({ wrapExecutor: (inner) => { executor = inner; return inner; } }),
      startA2AAgent({
        reply: (_m, call) => call < 2
          ? { text: call === 0 ? 'Which city?' : 'Which dates?', data: call === 1 ? { format: 'YYYY-MM-DD' } : undefined, taskState: 'input-required', usage: { inputTokens: 10, outputTokens: 2, costUsd: 0.001 } }
          : { text: 'booked', taskState: 'completed', usage: { inputTokens: 30, outputTokens: 4, costUsd: 0.003 } },
      }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([stack?.close(), agent?.close()]);
  });

  it('asks, is answered, asks again in the same task and context, and records the usage of every turn', async () => {
    // Prepare
    const wf = await createWorkflow(stack, 'alice', { name: 'twice', nodes: [{ id: 'book', type: 'agent_call', agent: { url: agent.url }, inputs: { message: 'book a trip' } }, { id: 'hold', type: 'human_gate', prompt: 'keep the run open', timeoutSeconds: 600 }], edges: [{ from: 'book', to: 'hold' }] });
    runId = await startRun(stack, 'alice', wf);
    await waitForNode(stack, 'alice', runId, 'book', 'waiting');

    // Act
    const first = await stack.call('POST', `/api/v1/workflows/runs/${runId}/nodes/book/reply`, { as: 'alice', body: { text: 'Paris' } });
    const second = await waitFor(async () => {
      const nodes = await getNodes(stack, 'alice', runId);
      return nodes.book.status === 'waiting' && nodes.book.question?.turn === 1 ? nodes : undefined;
    }, 'the second question');
    const reply2 = await stack.call('POST', `/api/v1/workflows/runs/${runId}/nodes/book/reply`, { as: 'alice', body: { text: 'May', data: { from: '2027-05-01' } } });
    await waitForNode(stack, 'alice', runId, 'hold', 'waiting');
    const run = (await stack.call('GET', `/api/v1/workflows/runs/${runId}`, { as: 'alice' })).body;

    // Assess
    expect([first.status, reply2.status]).toStrictEqual([200, 200]);
    expect(second.book.question).toMatchObject({ text: 'Which dates?', data: { format: 'YYYY-MM-DD' }, turn: 1 });
    expect(run.status).toBe('waiting');
    const nodes = await getNodes(stack, 'alice', runId);
    expect(nodes.book.status).toBe('succeeded');
    expect(nodes.book.output).toMatchObject({ text: 'booked', taskState: 'completed' });
    expect(agent.received.map((m) => m.text)).toStrictEqual([['book a trip'], ['Paris'], ['May']]);
    expect(agent.received[2]!.data).toStrictEqual([{ from: '2027-05-01' }]);
    const taskIds = agent.received.map((m) => m.taskId);
    expect(taskIds[0]).not.toBe('');
    expect(new Set(taskIds).size).toBe(1);
    expect(new Set(agent.received.map((m) => m.contextId)).size).toBe(1);
    expect(nodes.book.attempts.map((a: { turn?: number; asked?: boolean; cost?: unknown }) => [a.turn ?? 0, a.asked ?? false, a.cost])).toStrictEqual([
      [0, true, { usd: 0.001, inputTokens: 10, outputTokens: 2 }],
      [1, true, { usd: 0.001, inputTokens: 10, outputTokens: 2 }],
      [2, false, { usd: 0.003, inputTokens: 30, outputTokens: 4 }],
    ]);
    expect(nodes.book.cost).toStrictEqual({ usd: 0.005, inputTokens: 50, outputTokens: 8 });
    const events = await getEvents(stack, 'alice', runId);
    expect(events.filter((e) => e.type === 'node.input_required').map((e) => e.data.turn)).toStrictEqual([0, 1]);
    expect(events.filter((e) => e.type === 'node.replied').map((e) => e.data.turn)).toStrictEqual([0, 1]);
  });

  it('answers late and repeated deliveries of every turn from the records, calling the agent no more', async () => {
    // Prepare: the run of the test above, its agent done after three turns
    const before = agent.received.length;
    const deliver = (attempt: number, turn?: number) => executor!({ action: 'execute', runId, nodeId: 'book', attempt, drive: 0, ...(turn !== undefined ? { turn } : {}) })
      .then((value) => ({ value }), (error: Error) => ({ error: error.name }));

    // Act
    const outcomes = [await deliver(0), await deliver(0, 1), await deliver(0, 2), await deliver(1, 1)];

    // Assess: turns 0 and 1 asked (their Task ends in Braid.InputRequired again), turn 2 answered; a retry of turn 1
    // that never ran is stale (a later attempt holds the node).
    expect(outcomes).toStrictEqual([{ error: 'Braid.InputRequired' }, { error: 'Braid.InputRequired' }, { value: { route: 'ok' } }, { error: 'Braid.Superseded' }]);
    expect(agent.received.length).toBe(before);
  });

  it('keeps what the agent spent on the run when the run is cancelled', async () => {
    // Prepare: the run of the tests above, waiting at its gate after the agent's three turns

    // Act
    const cancelled = await stack.call('POST', `/api/v1/workflows/runs/${runId}/cancel`, { as: 'alice' });

    // Assess
    expect(cancelled.status, cancelled.text).toBe(200);
    expect(cancelled.body.cost).toStrictEqual({ usd: 0.005, inputTokens: 50, outputTokens: 8 });
    const events = await getEvents(stack, 'alice', runId);
    expect(events.find((e) => e.type === 'run.cancelled')?.data.cost).toStrictEqual({ usd: 0.005, inputTokens: 50, outputTokens: 8 });
  });
});

describe('an agent waiting for a reply across a restart of the local stack', () => {
  let dataDir: string;
  let agent: A2AAgentHandle;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'braid-reply-restart-'));
    agent = await startA2AAgent({ reply: (_m, call) => (call === 0 ? { text: 'Which city?', taskState: 'input-required' } : { text: 'done', taskState: 'completed' }) });
  });
  afterAll(async () => {
    await agent?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('waits again after the restart; the reply then reaches the same A2A task and the run succeeds', async () => {
    // Prepare: a run whose agent asked, then the stack stops
    const first = await startTestStack({ dataDir, inMemory: false });
    const wf = await createWorkflow(first, 'alice', { name: 'survive', nodes: [{ id: 'ask', type: 'agent_call', agent: { url: agent.url }, inputs: { message: 'go' }, timeoutSeconds: 600 }], edges: [] });
    const runId = await startRun(first, 'alice', wf);
    await waitForNode(first, 'alice', runId, 'ask', 'waiting');
    await first.close();

    // Act: start again on the same data folder, reply
    const second = await startTestStack({ dataDir, inMemory: false });
    try {
      const waiting = await getNodes(second, 'alice', runId);
      const replied = await second.call('POST', `/api/v1/workflows/runs/${runId}/nodes/ask/reply`, { as: 'alice', body: { text: 'Lyon' } });
      const run = await waitForRun(second, 'alice', runId, ['succeeded', 'failed']);

      // Assess
      expect(waiting.ask.question).toMatchObject({ text: 'Which city?', turn: 0 });
      expect(replied.status, replied.text).toBe(200);
      expect(run).toMatchObject({ status: 'succeeded', redriveCount: 1 });
      expect(agent.received.map((m) => m.text)).toStrictEqual([['go'], ['Lyon']]);
      expect(agent.received[1]!.taskId).toBe(agent.received[0]!.taskId);
      expect((await getNodes(second, 'alice', runId)).ask.output).toMatchObject({ text: 'done' });
    } finally {
      await second.close();
    }
  });
});

describe('an A2A 0.3 agent that asks', () => {
  let stack: TestStack;
  let agent: A2AAgentHandle;

  beforeAll(async () => {
    [stack, agent] = await Promise.all([
      startRunStack(),
      startA2AAgent({ protocolVersion: '0.3', reply: (_m, call) => (call === 0 ? { text: 'Which city?', taskState: 'input-required' } : { text: 'Lyon it is', taskState: 'completed' }) }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([stack?.close(), agent?.close()]);
  });

  it('waits on the 0.3 input-required state and sends the reply to the same task', async () => {
    // Prepare
    const wf = await createWorkflow(stack, 'alice', { name: 'legacy', nodes: [{ id: 'ask', type: 'agent_call', agent: { url: agent.url }, inputs: { message: 'go' } }], edges: [] });
    const runId = await startRun(stack, 'alice', wf);
    const waiting = await waitForNode(stack, 'alice', runId, 'ask', 'waiting');

    // Act
    const replied = await stack.call('POST', `/api/v1/workflows/runs/${runId}/nodes/ask/reply`, { as: 'alice', body: { text: 'Lyon' } });
    const run = await waitForRun(stack, 'alice', runId, ['succeeded', 'failed']);

    // Assess
    expect(waiting.ask.question).toMatchObject({ text: 'Which city?', turn: 0 });
    expect(replied.status, replied.text).toBe(200);
    const nodes = await getNodes(stack, 'alice', runId);
    expect(run.status, JSON.stringify(nodes.ask)).toBe('succeeded');
    expect(nodes.ask.output).toMatchObject({ text: 'Lyon it is', taskState: 'completed' });
    expect(agent.received.map((m) => m.text)).toStrictEqual([['go'], ['Lyon']]);
    expect(agent.received[1]!.taskId).toBe(agent.received[0]!.taskId);
  });
});

describe('an agent that asks inside a map item', () => {
  let stack: TestStack;
  let agent: A2AAgentHandle;

  beforeAll(async () => {
    [stack, agent] = await Promise.all([
      startRunStack(),
      // Each item's first message asks; a reply completes that item's task.
      startA2AAgent({ reply: (m) => (/^\d+$/.test(m.text[0] ?? '') ? { text: `Which size for item ${m.text[0]}?`, taskState: 'input-required' } : { text: `${m.text[0]} noted`, taskState: 'completed' }) }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([stack?.close(), agent?.close()]);
  });

  it('waits per item, takes each reply with ?item=, and leaves the run running meanwhile', async () => {
    // Prepare
    const wf = await createWorkflow(stack, 'alice', {
      name: 'map-asks',
      nodes: [{ id: 'each', type: 'map', items: '$context.list', body: { nodes: [{ id: 'ask', type: 'agent_call', agent: { url: agent.url }, inputs: { message: '$string($item)' } }], edges: [] } }],
      edges: [],
    });
    const runId = await startRun(stack, 'alice', wf, { input: { list: [1, 2] } });
    const asked = await waitFor(async () => {
      const events = (await getEvents(stack, 'alice', runId)).filter((e) => e.type === 'node.input_required');
      return events.length === 2 ? events : undefined;
    }, 'both items to ask');
    const running = (await stack.call('GET', `/api/v1/workflows/runs/${runId}`, { as: 'alice' })).body.status;
    const listed = (await stack.call('GET', `/api/v1/workflows/runs/${runId}/nodes/each/items`, { as: 'alice' })).body.items;

    // Act
    const replies = await Promise.all([0, 1].map((item) =>
      stack.call('POST', `/api/v1/workflows/runs/${runId}/nodes/ask/reply?item=${item}`, { as: 'alice', body: { text: `size ${item}` } })));
    const run = await waitForRun(stack, 'alice', runId, ['succeeded', 'failed']);

    // Assess
    expect(running).toBe('running');
    expect(asked.map((e) => e.item).sort()).toStrictEqual([0, 1]);
    expect(listed.map((it: { nodes: Array<{ question?: { text: string } }> }) => it.nodes[0]!.question?.text)).toStrictEqual(['Which size for item 1?', 'Which size for item 2?']);
    expect(replies.map((r) => r.status)).toStrictEqual([200, 200]);
    expect(run.status).toBe('succeeded');
    expect(agent.received.map((m) => m.text[0]).sort()).toStrictEqual(['1', '2', 'size 0', 'size 1']);
  });
});

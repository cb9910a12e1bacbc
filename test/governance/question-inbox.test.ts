/**
 * Agents' questions in the inbox, next to gates: in the inbox of those who may reply (owner, approvers, editors) and
 * nobody else's, with `kind: "question"`, filtered by `?kind=`; announced by `question.asked` (run, node, item, the
 * text cut short, never a token); gone once answered; inside a map item with `item`/`itemPath`, answered from the
 * inbox data. Cancelling a run closes the gates and questions still open in its map items.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startA2AAgent, type A2AAgentHandle } from '../support/a2a-agent';
import { createWorkflow, getEvents, startRun, waitFor, waitForRun } from '../runs/helpers';
import { QUESTION_NOTICE_CHARS } from '../../shared/services/question-inbox';
import { callWithGroups, startGovernanceStack, type TestStack } from './helpers';

const LONG_QUESTION = `What is your budget? ${'Tell me everything. '.repeat(30)}`;

describe('agents\' questions in the inbox', () => {
  let stack: TestStack;
  let agent: A2AAgentHandle;
  // A webhook receiver: the workflow's notifications arrive signed, as any gate's do.
  let receiver: Server;
  let hookUrl: string;
  const hooks: Array<{ event: string; body: any }> = [];

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        hooks.push({ event: String(req.headers['braid-event']), body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
    [stack, agent] = await Promise.all([
      startGovernanceStack(),
      // A message that is a bare item index (or "ask") asks; any other message (a reply) completes the task.
      startA2AAgent({
        reply: (m) => (m.text[0] === 'ask' ? { text: LONG_QUESTION, data: { currency: 'EUR' }, taskState: 'input-required' }
          : /^\d+$/.test(m.text[0] ?? '') ? { text: `Which size for item ${m.text[0]}?`, taskState: 'input-required' }
            : { text: `${m.text[0]} noted`, taskState: 'completed' }),
      }),
    ]);
    stack.egress.allowlist.add(new URL(hookUrl).host);
  });
  afterAll(async () => {
    await Promise.all([stack?.close(), agent?.close()]);
    await new Promise((resolve) => receiver?.close(resolve));
  });

  const inbox = async (user: string, query = '') => {
    const res = await callWithGroups(stack, user, [], 'GET', `/api/v1/gates?status=waiting${query}`);
    expect(res.status, res.text).toBe(200);
    return res.body.items as any[];
  };
  const ofRun = (items: any[], runId: string) => items.filter((w) => w.runId === runId);
  const grant = (wf: string, user: string, role: string) => stack.call('PUT', `/api/v1/workflows/${wf}/permissions/${user}`, { as: 'olga', body: { role } });

  it('lists a question for those who may reply and nobody else, announces it, and drops it once answered', async () => {
    // Prepare: an agent that asks, beside a gate that keeps the run open; an approver, an editor, a viewer, a runner.
    const wf = await createWorkflow(stack, 'olga', {
      name: 'asks and gates',
      nodes: [
        { id: 'pick', type: 'agent_call', agent: { url: agent.url }, inputs: { message: 'ask' }, timeoutSeconds: 600 },
        { id: 'hold', type: 'human_gate', prompt: 'Keep going?', timeoutSeconds: 600 },
      ],
      edges: [],
    });
    await Promise.all([grant(wf, 'abe', 'approver'), grant(wf, 'eda', 'editor'), grant(wf, 'vic', 'viewer'), grant(wf, 'rex', 'runner')]);
    const runId = await startRun(stack, 'olga', wf, { input: {} });

    // Act
    const mine = await waitFor(async () => {
      const items = ofRun(await inbox('olga'), runId);
      return items.length === 2 ? items : undefined;
    }, 'the question and the gate in the owner\'s inbox', 10_000);
    const others = await Promise.all(['abe', 'eda', 'vic', 'rex', 'sam'].map(async (u) => ofRun(await inbox(u), runId).map((w) => w.kind).sort()));
    const questionsOnly = ofRun(await inbox('abe', '&kind=question'), runId);
    const gatesOnly = ofRun(await inbox('abe', '&kind=gate'), runId);
    const badKind = await callWithGroups(stack, 'abe', [], 'GET', '/api/v1/gates?status=waiting&kind=vote');
    // Pages of one walk the same two entries, with and without the kind filter (a page may be empty with a cursor).
    const walk = async (query: string) => {
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let pages = 0; pages < 10; pages += 1) {
        const res = await callWithGroups(stack, 'abe', [], 'GET', `/api/v1/gates?status=waiting&limit=1${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        seen.push(...ofRun(res.body.items, runId).map((w: any) => `${w.kind}:${w.nodeId}`));
        cursor = res.body.nextCursor;
        if (!cursor) return seen;
      }
      throw new Error('the walk did not end');
    };
    const [walkAll, walkGates, walkQuestions] = [await walk(''), await walk('&kind=gate'), await walk('&kind=question')];
    const question = mine.find((w) => w.kind === 'question');
    const replied = await callWithGroups(stack, 'abe', [], 'POST', `/api/v1/workflows/runs/${question.runId}/nodes/${question.nodeId}/reply`, { text: 'about 300' });
    const afterReply = await Promise.all(['olga', 'abe'].map(async (u) => ofRun(await inbox(u), runId).map((w) => w.kind)));

    // Assess
    expect(question).toStrictEqual({
      kind: 'question', runId, nodeId: 'pick', workflowId: wf, workflowName: 'asks and gates', status: 'waiting',
      question: { text: LONG_QUESTION, data: { currency: 'EUR' }, turn: 0 }, askedAt: expect.any(String),
    });
    expect(mine.find((w) => w.kind === 'gate')).toMatchObject({ kind: 'gate', nodeId: 'hold', prompt: 'Keep going?', status: 'waiting' });
    expect(others).toStrictEqual([['gate', 'question'], ['gate', 'question'], [], [], []]);
    expect(questionsOnly.map((w) => [w.kind, w.nodeId])).toStrictEqual([['question', 'pick']]);
    expect(gatesOnly.map((w) => [w.kind, w.nodeId])).toStrictEqual([['gate', 'hold']]);
    expect(walkAll.sort()).toStrictEqual(['gate:hold', 'question:pick']);
    expect(walkGates).toStrictEqual(['gate:hold']);
    expect(walkQuestions).toStrictEqual(['question:pick']);
    expect(badKind.status).toBe(400);
    expect(badKind.body.errors[0].path).toBe('/query/kind');
    expect(replied.status, replied.text).toBe(200);
    expect(afterReply).toStrictEqual([['gate'], ['gate']]);
    // Published right after the inbox entries were written: wait for it rather than race it.
    const asked = await waitFor(async () => {
      const found = stack.notifier.published.filter((n) => n.runId === runId && n.type === 'question.asked');
      return found.length > 0 ? found : undefined;
    }, 'question.asked', 10_000);
    expect(asked).toHaveLength(1);
    expect(asked[0]).toMatchObject({ type: 'question.asked', workflowId: wf, runId, nodeId: 'pick', data: { turn: 0, hasData: true } });
    expect(asked[0]!.item).toBeUndefined();
    const text = asked[0]!.data.text as string;
    expect([...text]).toHaveLength(QUESTION_NOTICE_CHARS);
    expect(text.endsWith('…') && LONG_QUESTION.startsWith(text.slice(0, -1))).toBe(true);
    expect(JSON.stringify(asked)).not.toMatch(/taskToken|local-token|currency/);

    // Cleanup: the gate lets the run end.
    await callWithGroups(stack, 'olga', [], 'POST', `/api/v1/workflows/runs/${runId}/gates/hold/approve`, {});
    expect((await waitForRun(stack, 'olga', runId, ['succeeded', 'failed'])).status).toBe('succeeded');
  });

  it('takes a question out when its run fails and puts it back when the run is redriven', async () => {
    // Prepare: the agent asks; beside it, a gate followed by a tool that fails on its first drive only.
    const wf = await createWorkflow(stack, 'olga', {
      name: 'fails beside a question',
      nodes: [
        { id: 'pick', type: 'agent_call', agent: { url: agent.url }, inputs: { message: 'ask' }, timeoutSeconds: 600 },
        { id: 'hold', type: 'human_gate', prompt: 'Go on?', timeoutSeconds: 600 },
        { id: 'boom', type: 'tool_call', tool: { kind: 'builtin', name: 'fail' }, inputs: { times: 1 } },
      ],
      edges: [{ from: 'hold', to: 'boom' }],
    });
    const runId = await startRun(stack, 'olga', wf, { input: {} });
    const questionsOf = async () => ofRun(await inbox('olga', '&kind=question'), runId);
    await waitFor(async () => ((await questionsOf()).length === 1 ? true : undefined), 'the question in the inbox', 10_000);

    // Act: the gate is approved, the tool fails the run; then the run is redriven.
    await callWithGroups(stack, 'olga', [], 'POST', `/api/v1/workflows/runs/${runId}/gates/hold/approve`, {});
    await waitForRun(stack, 'olga', runId, ['failed']);
    const afterFailure = await questionsOf();
    const redriven = await stack.call('POST', `/api/v1/workflows/runs/${runId}/redrive`, { as: 'olga' });
    const back = await waitFor(async () => {
      const items = await questionsOf();
      return items.length === 1 ? items : undefined;
    }, 'the question back in the inbox', 10_000);
    const replied = await stack.call('POST', `/api/v1/workflows/runs/${runId}/nodes/pick/reply`, { as: 'olga', body: { text: 'about 300' } });
    const run = await waitForRun(stack, 'olga', runId, ['succeeded', 'failed']);

    // Assess
    expect(afterFailure).toStrictEqual([]);
    expect(redriven.status, redriven.text).toBe(202);
    expect(back[0]).toMatchObject({ kind: 'question', nodeId: 'pick', question: { turn: 0 } });
    expect(replied.status, replied.text).toBe(200);
    expect(run.status).toBe('succeeded');
    expect(await questionsOf()).toStrictEqual([]);
    // Announced once: waiting again for the same question is not a new one.
    expect(stack.notifier.published.filter((n) => n.runId === runId && n.type === 'question.asked')).toHaveLength(1);
  });

  it('lists a question inside a map item with its item, answers it from the inbox data, and a cancel closes the item gates and questions left', async () => {
    // Prepare: three items; each item's agent asks, then waits at its gate.
    const wf = await createWorkflow(stack, 'olga', {
      name: 'per item',
      notify: { webhookUrl: hookUrl },
      nodes: [{
        id: 'each', type: 'map', items: '$context.list', maxConcurrency: 3,
        body: {
          nodes: [
            { id: 'ask', type: 'agent_call', agent: { url: agent.url }, inputs: { message: '$string($item)' }, timeoutSeconds: 600 },
            { id: 'ok', type: 'human_gate', prompt: 'ok?', approvers: ['mia'], timeoutSeconds: 600 },
          ],
          edges: [{ from: 'ask', to: 'ok' }],
        },
      }],
      edges: [],
    });
    const runId = await startRun(stack, 'olga', wf, { input: { list: [10, 11, 12] } });
    const questions = await waitFor(async () => {
      const items = ofRun(await inbox('olga', '&kind=question'), runId);
      return items.length === 3 ? items : undefined;
    }, 'three item questions in the inbox', 10_000);

    // Act: item 0 is answered from the inbox data, then its gate opens; the run is cancelled with items 1 and 2 asking.
    const first = questions.find((q) => q.item === 0);
    const replied = await stack.call('POST', `/api/v1/workflows/runs/${runId}/nodes/${first.nodeId}/reply?item=${first.itemPath}`, { as: 'olga', body: { text: 'large' } });
    await waitFor(async () => (ofRun(await inbox('mia'), runId).length === 1 ? true : undefined), 'item 0\'s gate in mia\'s inbox', 10_000);
    const asked = await waitFor(async () => {
      const items = stack.notifier.published.filter((n) => n.runId === runId && n.type === 'question.asked').map((n) => n.item).sort();
      return items.length === 3 ? items : undefined;
    }, 'question.asked per item', 10_000);
    const cancelled = await stack.call('POST', `/api/v1/workflows/runs/${runId}/cancel`, { as: 'olga' });
    await waitForRun(stack, 'olga', runId, ['cancelled']);

    // Assess
    expect(questions.map((q) => [q.kind, q.nodeId, q.item, q.itemPath, q.question.text]).sort()).toStrictEqual([
      ['question', 'ask', 0, '0', 'Which size for item 10?'],
      ['question', 'ask', 1, '1', 'Which size for item 11?'],
      ['question', 'ask', 2, '2', 'Which size for item 12?'],
    ]);
    expect(replied.status, replied.text).toBe(200);
    expect(asked).toStrictEqual(['0', '1', '2']);
    expect(cancelled.status, cancelled.text).toBe(200);
    const hooked = await waitFor(async () => {
      const found = hooks.filter((h) => h.event === 'question.asked' && h.body.runId === runId);
      return found.length === 3 ? found : undefined;
    }, 'question.asked webhooks', 10_000);
    expect(hooked.map((h) => [h.body.item, h.body.nodeId, h.body.data.text]).sort()).toStrictEqual([
      ['0', 'ask', 'Which size for item 10?'], ['1', 'ask', 'Which size for item 11?'], ['2', 'ask', 'Which size for item 12?'],
    ]);
    const gate = await stack.call('GET', `/api/v1/workflows/runs/${runId}/gates/ok?item=0`, { as: 'olga' });
    expect(gate.body).toMatchObject({ runId, nodeId: 'ok', item: 0, status: 'cancelled' });
    const items = (await stack.call('GET', `/api/v1/workflows/runs/${runId}/nodes/each/items`, { as: 'olga' })).body.items;
    const statuses = items.map((it: { nodes: Array<{ nodeId: string; status: string }> }) => Object.fromEntries(it.nodes.map((n) => [n.nodeId, n.status])));
    expect(statuses.map((s: Record<string, string>) => [s.ask, s.ok])).toStrictEqual([['succeeded', 'cancelled'], ['cancelled', 'pending'], ['cancelled', 'pending']]);
    const events = (await getEvents(stack, 'olga', runId)).filter((e) => e.type === 'node.cancelled' && e.item !== undefined);
    expect(events.map((e) => [e.nodeId, e.item]).sort()).toStrictEqual([['ask', 1], ['ask', 2], ['ok', 0]]);
    expect(ofRun(await inbox('olga'), runId)).toStrictEqual([]);
    expect(ofRun(await inbox('mia'), runId)).toStrictEqual([]);
    // Nothing of the run is indexed as open any more.
    expect((await stack.store.table.client.send(new (await import('@aws-sdk/lib-dynamodb')).QueryCommand({
      TableName: stack.store.table.tableName, KeyConditionExpression: 'PK = :pk AND begins_with(SK, :w)', ExpressionAttributeValues: { ':pk': `RUN#${runId}`, ':w': 'WAIT#' },
    }))).Items).toStrictEqual([]);
  });

  it('closes an item gate that a task in flight opens after the run was cancelled', async () => {
    // Prepare: item 1's gate write is held until the run has been cancelled (a task that loaded the run just before).
    const wf = await createWorkflow(stack, 'olga', {
      name: 'late gate',
      nodes: [{ id: 'each', type: 'map', items: '$context.list', body: { nodes: [{ id: 'ok', type: 'human_gate', prompt: 'ok?', timeoutSeconds: 600 }], edges: [] } }],
      edges: [],
    });
    let release!: () => void;
    const released = new Promise<void>((resolve) => { release = resolve; });
    let held = false;
    let runId = '';
    stack.store.table.client.middlewareStack.add((next: any) => async (args: any) => {
      const item = args.input?.Item;
      if (runId && item?.PK === `RUN#${runId}#I#1` && item?.SK === 'GATE#ok') {
        held = true;
        await released;
      }
      return next(args);
    }, { step: 'initialize', name: 'holdLateGate' });
    try {
      runId = await startRun(stack, 'olga', wf, { input: { list: ['a', 'b'] } });
      await waitFor(() => (held ? true : undefined), 'item 1\'s gate write held', 10_000);

      // Act: cancel while the write is held, then let it through.
      const cancelled = await stack.call('POST', `/api/v1/workflows/runs/${runId}/cancel`, { as: 'olga' });
      release();

      // Assess: the late gate is closed as its run's gates were.
      expect(cancelled.status, cancelled.text).toBe(200);
      const late = await waitFor(async () => {
        const gate = await stack.call('GET', `/api/v1/workflows/runs/${runId}/gates/ok?item=1`, { as: 'olga' });
        return gate.status === 200 && gate.body.status !== 'waiting' ? gate.body : undefined;
      }, 'the late gate closed', 10_000);
      expect(late).toMatchObject({ item: 1, status: 'cancelled' });
      expect((await stack.call('GET', `/api/v1/workflows/runs/${runId}/gates/ok?item=0`, { as: 'olga' })).body.status).toBe('cancelled');
    } finally {
      release();
      stack.store.table.client.middlewareStack.remove('holdLateGate');
    }
  });
});

/**
 * Gates inside map items, like any gate: in their approvers' inbox with their item, reminded and escalated by their
 * timers, announced by notifications that name the item; decided from the inbox with `?item=`; gone from the
 * inbox when decided or when their run ends.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkflow, getEvents, startRun, waitFor } from '../runs/helpers';
import { callWithGroups, startGovernanceStack, type TestStack } from './helpers';

describe('gates inside map items', () => {
  let stack: TestStack;
  beforeAll(async () => { stack = await startGovernanceStack(); });
  afterAll(async () => { await stack?.close(); });

  const inbox = async (user: string) => {
    const res = await callWithGroups(stack, user, [], 'GET', '/api/v1/gates?status=waiting');
    expect(res.status, res.text).toBe(200);
    return res.body.items as any[];
  };
  const ofRun = (items: any[], runId: string) => items.filter((g) => g.runId === runId);

  it('enter the inbox with their item, are reminded, escalated and decided with ?item=, and leave with their run', async () => {
    // Prepare: two items, each waiting at a gate for mia (escalating to ned).
    const wf = await createWorkflow(stack, 'ola', {
      name: 'per item',
      nodes: [{
        id: 'each', type: 'map', items: '$context.list', maxConcurrency: 2,
        body: { nodes: [{
          id: 'ask', type: 'human_gate', prompt: 'ok?', approvers: ['mia'], timeoutSeconds: 3_600,
          reminders: { everySeconds: 60 }, escalation: { afterSeconds: 120, approvers: ['ned'] },
        }], edges: [] },
      }],
      edges: [],
    });
    const runId = await startRun(stack, 'ola', wf, { input: { list: ['x', 'y'] } });

    // Act + Assess: both gates reach mia's inbox, each with its item.
    const waiting = await waitFor(async () => {
      const items = ofRun(await inbox('mia'), runId);
      return items.length === 2 ? items : undefined;
    }, 'two item gates in the inbox', 10_000);
    expect(waiting.map((g) => ({ runId: g.runId, nodeId: g.nodeId, item: g.item, itemPath: g.itemPath, workflowName: g.workflowName })).sort((a, b) => a.item - b.item)).toEqual([
      { runId, nodeId: 'ask', item: 0, itemPath: '0', workflowName: 'per item' },
      { runId, nodeId: 'ask', item: 1, itemPath: '1', workflowName: 'per item' },
    ]);
    const published = () => stack.notifier.published.filter((n) => n.runId === runId);
    const reminded = () => new Set(published().filter((n) => n.type === 'gate.reminded').map((n) => n.item));
    await waitFor(async () => (reminded().size === 2 ? true : undefined), 'a reminder per item', 30_000);
    expect([...reminded()].sort()).toEqual(['0', '1']);
    expect(published().filter((n) => n.type === 'gate.opened').map((n) => n.item).sort()).toEqual(['0', '1']);

    // Act: the escalation timers fire.
    await stack.gateTimers.releaseHeld();
    await waitFor(async () => (ofRun(await inbox('ned'), runId).length === 2 ? true : undefined), 'escalated to ned', 30_000);
    const escalated = (await getEvents(stack, 'ola', runId)).filter((e) => e.type === 'gate.escalated');
    expect(escalated.map((e) => e.item).sort()).toEqual([0, 1]);

    // Act: mia approves item 0 from her inbox.
    const approved = await callWithGroups(stack, 'mia', [], 'POST', `/api/v1/workflows/runs/${runId}/gates/ask/approve?item=0`, {});
    expect(approved.status, approved.text).toBe(200);
    expect(approved.body).toMatchObject({ runId, item: 0, itemPath: '0', status: 'approved' });
    expect(ofRun(await inbox('mia'), runId).map((g) => g.item)).toEqual([1]);
    await waitFor(async () => (published().some((n) => n.type === 'gate.decided' && n.item === '0') ? true : undefined), 'gate.decided for item 0', 30_000);
    const one = await callWithGroups(stack, 'mia', [], 'GET', `/api/v1/workflows/runs/${runId}/gates/ask?item=1`);
    expect(one.body).toMatchObject({ runId, nodeId: 'ask', item: 1, status: 'waiting' });

    // Act: the run is cancelled while item 1 still waits.
    expect((await stack.call('POST', `/api/v1/workflows/runs/${runId}/cancel`, { as: 'ola' })).status).toBe(200);

    // Assess
    expect(ofRun(await inbox('mia'), runId)).toEqual([]);
    expect(ofRun(await inbox('ned'), runId)).toEqual([]);
  });
});

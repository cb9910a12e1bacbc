/**
 * The approvals inbox on the local stack: each user sees exactly the open gates they may vote on (listed user,
 * group from the token, grantee with at least approver on a gate without a list, owner), oldest first, pages
 * with a cursor, and gates leave it when decided or voted on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkflow, startRun, waitForNode } from '../runs/helpers';
import { callWithGroups, gatedWorkflow, startGovernanceStack, type TestStack } from './helpers';

describe('approvals inbox', () => {
  let stack: TestStack;
  const runs: Record<string, string> = {};
  beforeAll(async () => {
    stack = await startGovernanceStack();
    // Prepare: three gates of one owner, opened in order: default approvers, a group, a named user.
    const wfDefault = await createWorkflow(stack, 'olga', gatedWorkflow({ prompt: 'default set' }));
    const wfGroup = await createWorkflow(stack, 'olga', gatedWorkflow({ prompt: 'finance', approvers: ['group:finance'], quorum: 2 }));
    const wfNamed = await createWorkflow(stack, 'olga', gatedWorkflow({ prompt: 'zed only', approvers: ['zed'] }));
    await stack.call('PUT', `/api/v1/workflows/${wfDefault}/permissions/bob`, { as: 'olga', body: { role: 'approver' } });
    await stack.call('PUT', `/api/v1/workflows/${wfDefault}/permissions/vic`, { as: 'olga', body: { role: 'viewer' } });
    for (const [name, wf] of [['default', wfDefault], ['group', wfGroup], ['named', wfNamed]] as const) {
      runs[name] = await startRun(stack, 'olga', wf);
      await waitForNode(stack, 'olga', runs[name]!, 'ask', 'waiting');
    }
  });
  afterAll(async () => { await stack?.close(); });

  const inbox = async (user: string, groups: string[] = [], query = '') => {
    const res = await callWithGroups(stack, user, groups, 'GET', `/api/v1/gates?status=waiting${query}`);
    expect(res.status, res.text).toBe(200);
    return res.body as { items: any[]; nextCursor?: string };
  };
  const prompts = (page: { items: any[] }) => page.items.map((g) => g.prompt);

  it('lists, oldest first, only the gates each caller may vote on', async () => {
    // Act
    const [olga, bob, zed, vic, carol] = await Promise.all([inbox('olga'), inbox('bob', ['finance']), inbox('zed'), inbox('vic', ['sales']), inbox('carol')]);

    // Assess
    expect(prompts(olga)).toEqual(['default set']);
    expect(prompts(bob)).toEqual(['default set', 'finance']);
    expect(prompts(zed)).toEqual(['zed only']);
    expect(prompts(vic)).toEqual([]);
    expect(prompts(carol)).toEqual([]);
    expect(bob.items[1]).toMatchObject({ runId: runs.group, nodeId: 'ask', workflowName: 'gated', quorum: 2, votes: [], timeoutAt: expect.any(String) });
    expect(JSON.stringify(bob)).not.toMatch(/token/i);
  });

  it('pages with a cursor', async () => {
    // Act
    const first = await inbox('bob', ['finance'], '&limit=1');
    const second = await inbox('bob', ['finance'], `&limit=1&cursor=${first.nextCursor}`);
    const bad = await callWithGroups(stack, 'bob', [], 'GET', '/api/v1/gates?status=closed');

    // Assess
    expect(prompts(first)).toEqual(['default set']);
    expect(prompts(second)).toEqual(['finance']);
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].path).toBe('/query/status');
  });

  it('drops a gate once the caller voted, and for everyone once it is decided', async () => {
    // Act
    await callWithGroups(stack, 'bob', ['finance'], 'POST', `/api/v1/workflows/runs/${runs.group}/gates/ask/approve`, {});
    const bobAfterVote = await inbox('bob', ['finance']);
    const annAfterVote = await inbox('ann', ['finance']);
    await callWithGroups(stack, 'bob', [], 'POST', `/api/v1/workflows/runs/${runs.default}/gates/ask/approve`, {});
    const olgaAfter = await inbox('olga');

    // Assess
    expect(prompts(bobAfterVote)).toEqual(['default set']);
    expect(annAfterVote.items.map((g) => [g.prompt, g.approvals])).toEqual([['finance', 1]]);
    expect(prompts(olgaAfter)).toEqual([]);
  });
});

/**
 * The typed client's governance calls against the local stack: the inbox, votes (with the 409 reason), a run
 * budget, and the owner's webhook view.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BraidHttpClient, BraidHttpError } from '../../client/http-client';
import { waitFor } from '../runs/helpers';
import { gatedWorkflow, startGovernanceStack, type TestStack } from './helpers';

describe('http client: governance', () => {
  let stack: TestStack;
  beforeAll(async () => { stack = await startGovernanceStack(); });
  afterAll(async () => { await stack?.close(); });

  it('lists the inbox, votes, reports already_voted, and reads the webhook view', async () => {
    // Prepare
    const owner = new BraidHttpClient({ url: stack.httpUrl, token: await stack.token('cora') });
    const voter = new BraidHttpClient({ url: stack.httpUrl, token: await stack.token('vern', { groups: ['ops'] }) });
    const wf = await owner.createWorkflow(gatedWorkflow({ approvers: ['group:ops', 'cora'], quorum: 2 }, { budget: { usd: 3 } }));
    const { runId } = await owner.startRun(wf.id, {}, undefined, { usd: 2 });

    // Act
    const inbox = await waitFor(async () => {
      const page = await voter.listGateInbox({ limit: 10 });
      return page.items.length > 0 ? page : undefined;
    }, 'the gate in the inbox');
    const first = await voter.vote(runId, 'ask', 'approve', { comment: 'ok' });
    const again = await voter.vote(runId, 'ask', 'approve').catch((error: unknown) => error);
    const run = await owner.getRun(runId);
    const webhook = await owner.getWebhook(wf.id);

    // Assess
    expect(inbox.items[0]).toMatchObject({ runId, nodeId: 'ask', quorum: 2, workflowId: wf.id });
    expect(first).toMatchObject({ status: 'waiting', approvals: 1, votes: [{ by: 'vern', as: 'group:ops' }] });
    expect(again).toBeInstanceOf(BraidHttpError);
    expect((again as BraidHttpError).reason).toBe('already_voted');
    expect(run.budget).toEqual({ usd: 2 });
    expect(webhook).toMatchObject({ workflowId: wf.id, webhookUrl: null, deliveries: [] });
    expect(webhook.secret).toMatch(/^whsec_/);
  });
});

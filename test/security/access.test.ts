/**
 * Access loose ends on the local stack: tokens must carry `exp`; a live subscription ends within the re-check
 * interval once its viewer loses access; pagination cursors are signed and bound to route, filters and caller;
 * an approver named on a gate, with no role, sees the gate and nothing else of the run.
 */
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_ALG, LOCAL_ISSUER, BRAID_AUDIENCE } from '../../shared/auth/tokens';
import { ACCESS_RECHECK_MS, createStoreRunAccess } from '../../shared/live/run-access';
import { createLiveService } from '../../shared/live/live-service';
import { createFanOutMarkRepository } from '../../shared/store/fan-out-marks';
import type { ConnectionPoster } from '../../shared/live/poster';
import { createRunStores } from '../../shared/services/execution-context';
import { createConnectionRepository } from '../../shared/store/connections';
import { createEventLogRepository } from '../../shared/store/events';
import { createSubscriptionRepository } from '../../shared/store/subscriptions';
import { prepareRun } from '../runs/authz-fixtures';
import { startTestStack, type TestStack } from '../support/local-stack';

const single = (name: string, extra: object = {}) => ({ name, nodes: [{ id: 'a', type: 'tool_call', tool: { kind: 'builtin', name: 'echo' } }], edges: [], ...extra });

let stack: TestStack;
beforeAll(async () => { stack = await startTestStack(); });
afterAll(async () => { await stack?.close(); });

async function createWf(owner: string, name: string, extra: object = {}): Promise<string> {
  const res = await stack.call('POST', '/api/v1/workflows', { as: owner, body: single(name, extra) });
  expect(res.status, res.text).toBe(201);
  return res.body.id as string;
}

describe('tokens', () => {
  it('refuses a validly signed token without exp (401)', async () => {
    // Prepare
    const token = await new SignJWT({}).setProtectedHeader({ alg: LOCAL_ALG, kid: stack.signingKey.kid, typ: 'JWT' })
      .setSubject('no-exp').setIssuer(LOCAL_ISSUER).setAudience(BRAID_AUDIENCE).setIssuedAt().sign(stack.signingKey.privateKey);

    // Act
    const refused = await stack.call('GET', '/api/v1/workflows', { as: null, headers: { authorization: `Bearer ${token}` } });
    const accepted = await stack.call('GET', '/api/v1/workflows', { as: 'no-exp' });

    // Assess
    expect(refused.status).toBe(401);
    expect(accepted.status).toBe(200);
  });
});

describe('live subscriptions after access is lost', () => {
  /** A poster that records what each connection received. */
  function recorder(): ConnectionPoster & { got: Map<string, unknown[]> } {
    const got = new Map<string, unknown[]>();
    return { got, async post(connectionId, data) { got.set(connectionId, [...(got.get(connectionId) ?? []), JSON.parse(data)]); return 'ok'; } };
  }

  let liveRuns = 0;
  const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString();
  it.each([
    ['the grant is revoked', 'private', async (wf: string) => { await stack.call('DELETE', `/api/v1/workflows/${wf}/permissions/vera`, { as: 'owen' }); }],
    ['the grant expires', 'private', async (wf: string) => {
      await stack.store.grants.put({ workflowId: wf, userId: 'vera', role: 'viewer', grantedBy: 'owen', grantedAt: new Date(Date.now() - 7_200_000).toISOString(), expiresAt: new Date(Date.now() - 1_000).toISOString() });
    }],
    ['the public workflow she watches her own run of is made private', 'public', async (wf: string) => {
      await stack.call('PUT', `/api/v1/workflows/${wf}`, { as: 'owen', body: single('live-private', { visibility: 'private' }) });
    }],
  ])('stops delivering within the re-check interval when %s', async (_case, visibility, loseAccess) => {
    // Prepare: vera views owen's workflow through a grant (or publicity, on her own run); her subscription is live.
    const wf = await createWf('owen', 'live-access', { visibility });
    if (visibility === 'private') await stack.call('PUT', `/api/v1/workflows/${wf}/permissions/vera`, { as: 'owen', body: { role: 'viewer', expiresAt: inAnHour() } });
    const workflow = (await stack.store.workflows.get(wf))!;
    const runId = `run-live-${visibility}-${(liveRuns += 1)}`;
    await stack.store.runs.create({ runId, workflowId: wf, version: workflow.latestVersion, ownerId: 'owen', startedBy: 'vera', status: 'running', input: {}, startedAt: new Date().toISOString(), cost: { usd: 0 } });
    let clock = Date.now();
    const poster = recorder();
    const live = createLiveService({
      connections: createConnectionRepository(stack.table), subscriptions: createSubscriptionRepository(stack.table),
      events: createEventLogRepository(stack.table), marks: createFanOutMarkRepository(stack.table), poster,
      access: createStoreRunAccess(stack.store), now: () => new Date(clock),
    });
    const events = createRunStores(stack.store).events;
    await live.connect('conn-vera', 'vera');
    await live.handleMessage('conn-vera', JSON.stringify({ action: 'subscribe', runId, after: 0 }));
    await events.append(runId, 'e1', { type: 'node.started', nodeId: 'a', at: new Date().toISOString(), data: {} });
    await live.fanOut(runId);

    // Act: access goes; events keep coming for a while.
    await loseAccess(wf);
    await events.append(runId, 'e2', { type: 'node.succeeded', nodeId: 'a', at: new Date().toISOString(), data: {} });
    await live.fanOut(runId);
    clock += ACCESS_RECHECK_MS + 1;
    await events.append(runId, 'e3', { type: 'run.succeeded', at: new Date().toISOString(), data: {} });
    const counts = await live.fanOut(runId);

    // Assess: within the interval the cached answer may still deliver e2; after it, nothing more and the subscription ends.
    const got = poster.got.get('conn-vera') ?? [];
    const seqs = got.filter((m: any) => typeof m.seq === 'number').map((m: any) => m.seq);
    expect(seqs.slice(0, 1)).toStrictEqual([1]);
    expect(seqs).not.toContain(3);
    expect(got.at(-1)).toMatchObject({ type: 'error', code: 'not_found', runId });
    expect(counts).toMatchObject({ revoked: 1 });
    expect(await createSubscriptionRepository(stack.table).listForRun(runId)).toStrictEqual([]);
    expect(ACCESS_RECHECK_MS).toBeLessThanOrEqual(60_000);
  });
});

describe('pagination cursors', () => {
  it('accepts a cursor only on the listing, filters and caller that issued it', async () => {
    // Prepare: carol owns three workflows, shares one with dave.
    const ids = [await createWf('carol', 'c1'), await createWf('carol', 'c2'), await createWf('carol', 'c3')];
    await stack.call('PUT', `/api/v1/workflows/${ids[0]}/permissions/dave`, { as: 'carol', body: { role: 'viewer' } });
    const first = await stack.call('GET', '/api/v1/workflows?scope=mine&limit=1', { as: 'carol' });
    const cursor = first.body.nextCursor as string;
    const [body, signature] = cursor.split('.') as [string, string];
    const tampered = `${Buffer.from(Buffer.from(body, 'base64url').toString('utf8').replace('"p":0', '"p":1')).toString('base64url')}.${signature}`;
    const unsigned = Buffer.from(JSON.stringify({ l: 'workflows:mine', p: 0 })).toString('base64url');

    // Act
    const next = await stack.call('GET', `/api/v1/workflows?scope=mine&limit=1&cursor=${cursor}`, { as: 'carol' });
    const attempts = await Promise.all([
      stack.call('GET', `/api/v1/workflows?scope=mine&limit=1&cursor=${cursor}`, { as: 'dave' }),
      stack.call('GET', `/api/v1/workflows?scope=shared&limit=1&cursor=${cursor}`, { as: 'carol' }),
      stack.call('GET', `/api/v1/templates?limit=1&cursor=${cursor}`, { as: 'carol' }),
      stack.call('GET', `/api/v1/workflows/${ids[0]}/runs?cursor=${cursor}`, { as: 'carol' }),
      stack.call('GET', `/api/v1/workflows?scope=mine&cursor=${tampered}`, { as: 'carol' }),
      stack.call('GET', `/api/v1/workflows?scope=mine&cursor=${unsigned}`, { as: 'carol' }),
    ]);

    // Assess
    expect(next.status).toBe(200);
    expect(next.body.items).toHaveLength(1);
    for (const res of attempts) {
      expect(res.status, res.text).toBe(400);
      expect(res.body.errors[0]).toMatchObject({ code: 'invalid_cursor', path: '/query/cursor' });
    }
  });
});

describe('gate approvers without a role', () => {
  it('see the gate they are named on and nothing else of the run', async () => {
    // Prepare: a gate naming "gus", who holds no role on the private workflow.
    const wf = await createWf('hal', 'gated');
    const { runId } = await prepareRun(stack, wf);
    const stores = createRunStores(stack.store);
    const openedAt = new Date().toISOString();
    await stores.gates.open({ runId, nodeId: 'approve', status: 'waiting', prompt: 'Ship it?', approvers: ['gus'], openedAt, timeoutAt: new Date(Date.now() + 3_600_000).toISOString(), taskToken: 'tok-approver-test', inputs: { summary: 'for gus' } }, 0);
    await stores.gates.open({ runId, nodeId: 'other', status: 'waiting', prompt: 'Not yours', approvers: ['ida'], openedAt, timeoutAt: new Date(Date.now() + 3_600_000).toISOString(), taskToken: 'tok-other' }, 0);

    // Act
    const gate = await stack.call('GET', `/api/v1/workflows/runs/${runId}/gates/approve`, { as: 'gus' });
    const hidden = await Promise.all([
      stack.call('GET', `/api/v1/workflows/runs/${runId}`, { as: 'gus' }),
      stack.call('GET', `/api/v1/workflows/runs/${runId}/nodes`, { as: 'gus' }),
      stack.call('GET', `/api/v1/workflows/runs/${runId}/events`, { as: 'gus' }),
      stack.call('GET', `/api/v1/workflows/runs/${runId}/gates/other`, { as: 'gus' }),
      stack.call('GET', `/api/v1/workflows/${wf}`, { as: 'gus' }),
      stack.call('GET', `/api/v1/workflows/${wf}/runs`, { as: 'gus' }),
    ]);
    const owner = await stack.call('GET', `/api/v1/workflows/runs/${runId}/gates/other`, { as: 'hal' });

    // Assess
    expect(gate.status, gate.text).toBe(200);
    expect(gate.body).toMatchObject({ runId, nodeId: 'approve', status: 'waiting', prompt: 'Ship it?', approvers: ['gus'], inputs: { summary: 'for gus' } });
    expect(gate.text).not.toContain('tok-approver-test');
    expect(hidden.map((res) => res.status)).toStrictEqual([404, 404, 404, 404, 404, 404]);
    expect(owner.status).toBe(200);
  });
});

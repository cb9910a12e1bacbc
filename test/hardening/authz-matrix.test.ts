/**
 * The authorization matrix, completed: the route table and the WebSocket routes must all have rows (a new route
 * without one fails the build); the run and gate routes × every actor on the real local stack; every WebSocket
 * action × every actor; no response or pushed message ever carries a task token or an internal ARN; read-only
 * fields sent in a body are never stored. The workflow routes' cells run in `test/api/authz-matrix.test.ts`.
 */
import { createRunStores } from '../../shared/services/execution-context';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ROUTES, WS_ROUTES } from '../../functions/http/routes';
import { ROUTE_CASES } from '../api/authz-cases';
import { startTestStack, type ApiResponse, type TestStack } from '../support/local-stack';
import { createWorkflow, startRun, waitFor, waitForNode } from '../runs/helpers';
import { ACTORS, RUN_ROUTE_CASES, SECRET_PATTERNS, WS_CASES, type Actor } from './authz-run-cases';

const OWNER = 'mx-owner';
const gated = (name: string, approvers?: string[]) => ({
  name,
  nodes: [
    { id: 'ask', type: 'human_gate', prompt: 'Go?', timeoutSeconds: 300, ...(approvers ? { approvers } : {}) },
    { id: 'after', type: 'tool_call', tool: { kind: 'builtin', name: 'echo' } },
  ],
  edges: [{ from: 'ask', to: 'after' }],
});

let stack: TestStack;
const wf: Record<'private' | 'public' | 'listed', { id: string; runId: string }> = {} as never;
const runIds: string[] = [];

/** The workflow and the user an actor acts on / as. */
function who(actor: Actor): { scope: keyof typeof wf; user: string | null } {
  switch (actor) {
    case 'owner': return { scope: 'private', user: OWNER };
    case 'anonymous': return { scope: 'private', user: null };
    case 'stranger': return { scope: 'private', user: 'mx-stranger' };
    case 'publicStranger': return { scope: 'public', user: 'mx-stranger' };
    case 'nonApprover': return { scope: 'listed', user: 'mx-editor' };
    default: return { scope: 'private', user: `mx-${actor}` };
  }
}

async function waitingRun(workflowId: string): Promise<string> {
  const runId = await startRun(stack, OWNER, workflowId, { input: { q: 'matrix' } });
  runIds.push(runId);
  await waitForNode(stack, OWNER, runId, 'ask', 'waiting');
  return runId;
}

/** Fails when the text carries an internal ARN, a task-token field, or any task token minted so far. */
async function assertNoSecrets(text: string): Promise<void> {
  for (const pattern of SECRET_PATTERNS) expect(text, `leaks ${pattern}`).not.toMatch(pattern);
  for (const runId of runIds) {
    const token = await stack.store.table.client.send(new QueryCommand({
      TableName: stack.store.table.tableName, KeyConditionExpression: 'PK = :pk AND begins_with(SK, :g)',
      ExpressionAttributeValues: { ':pk': `RUN#${runId}`, ':g': 'GATE#' }, ProjectionExpression: 'taskToken',
    }));
    for (const item of token.Items ?? []) if (typeof item.taskToken === 'string') expect(text.includes(item.taskToken), 'leaks a task token').toBe(false);
  }
}

beforeAll(async () => {
  stack = await startTestStack({ live: true });
  const grantedAt = new Date(Date.now() - 7_200_000).toISOString();
  for (const [scope, def] of [['private', gated('mx-private')], ['public', { ...gated('mx-public'), visibility: 'public' }], ['listed', gated('mx-listed', ['mx-listed'])]] as const) {
    const id = await createWorkflow(stack, OWNER, def);
    if (scope === 'private') {
      for (const role of ['viewer', 'runner', 'approver', 'editor'] as const) await stack.store.grants.put({ workflowId: id, userId: `mx-${role}`, role, grantedBy: OWNER, grantedAt });
      await stack.store.grants.put({ workflowId: id, userId: 'mx-expired', role: 'editor', grantedBy: OWNER, grantedAt, expiresAt: new Date(Date.now() - 3_600_000).toISOString() });
    }
    if (scope === 'listed') await stack.store.grants.put({ workflowId: id, userId: 'mx-editor', role: 'editor', grantedBy: OWNER, grantedAt });
    wf[scope] = { id, runId: await waitingRun(id) };
  }
}, 60_000);
afterAll(async () => {
  await stack?.close();
});

describe('matrix coverage', () => {
  it('has a row for every route of the route table', () => {
    // Act
    const missing = ROUTES.map((r) => r.name).filter((name) => !(name in ROUTE_CASES) && !(name in RUN_ROUTE_CASES));
    // Assess
    expect(missing, 'routes without an authorization-matrix row').toStrictEqual([]);
  });

  it('has a row for every WebSocket route', () => {
    // Act
    const missing = WS_ROUTES.filter((r) => !(r in WS_CASES));
    // Assess
    expect(missing).toStrictEqual([]);
  });
});

describe('run and gate routes × actor', () => {
  for (const route of ROUTES) {
    const rc = RUN_ROUTE_CASES[route.name];
    if (!rc) continue;
    describe(`${route.method} ${route.path}`, () => {
      for (const actor of ACTORS) {
        it(`${actor} → ${rc.expect[actor]}`, async () => {
          // Prepare
          const { scope, user } = who(actor);
          const runId = rc.ownRun ? await waitingRun(wf[scope].id) : wf[scope].runId;
          if (rc.seedNodeOutput) await createRunStores(stack.store).nodeRuns.transition(runId, rc.nodeId ?? 'ask', 'succeeded', { output: { seeded: true } }, ['pending', 'succeeded']);
          const params: Record<string, string> = { id: wf[scope].id, runId, nodeId: rc.nodeId ?? 'ask', decision: 'approve' };
          const path = route.path.replace(/\{(\w+)\}/g, (_m, name: string) => encodeURIComponent(params[name] ?? name));
          // Act
          const res = await stack.call(route.method, path, { as: user, ...(rc.body !== undefined ? { body: rc.body } : {}) });
          // Assess
          expect(res.status, res.text).toBe(rc.expect[actor]);
          if (res.status === 202) runIds.push(res.body.runId as string);
          if (route.name === 'listRuns' && res.status === 200 && actor === 'publicStranger') {
            expect((res.body.items as { runId: string }[]).map((r) => r.runId), 'another user\'s run listed').not.toContain(runId);
          }
          await assertNoSecrets(res.text);
        });
      }
    });
  }
});

/** Opens a socket as `user` (no token when null); resolves with the handshake status and the messages. */
async function openSocket(user: string | null, tokenOptions?: { expiresIn?: string }): Promise<{ status: number; socket: WebSocket; messages: Record<string, unknown>[]; raw: string[] }> {
  const token = user === null ? undefined : await stack.token(user, tokenOptions);
  const socket = new WebSocket(`${stack.wsUrl}/${token ? `?token=${encodeURIComponent(token)}` : ''}`);
  const messages: Record<string, unknown>[] = [];
  const raw: string[] = [];
  socket.on('message', (data) => {
    raw.push(String(data));
    messages.push(JSON.parse(String(data)) as Record<string, unknown>);
  });
  const status = await new Promise<number>((resolve) => {
    socket.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    socket.on('open', () => resolve(101));
    socket.on('error', () => resolve(0));
  });
  return { status, socket, messages, raw };
}

async function subscriptionsOf(runId: string): Promise<number> {
  const out = await stack.store.table.client.send(new QueryCommand({
    TableName: stack.store.table.tableName, KeyConditionExpression: 'PK = :pk AND begins_with(SK, :s)',
    ExpressionAttributeValues: { ':pk': `RUN#${runId}`, ':s': 'SUB#' }, Select: 'COUNT', ConsistentRead: true,
  }));
  return out.Count ?? 0;
}

describe('WebSocket routes × actor', () => {
  for (const route of WS_ROUTES) {
    for (const actor of ACTORS) {
      const expected = WS_CASES[route][actor];
      it(`${route}: ${actor} → ${expected}`, async () => {
        // Prepare
        const { scope, user } = who(actor);
        const runId = wf[scope].runId;
        const baseline = await subscriptionsOf(runId);
        // Act
        const { status, socket, messages, raw } = await openSocket(user);
        try {
          if (status !== 101) {
            // Assess
            expect(expected).toBe('refused');
            expect(status).toBe(401);
            return;
          }
          const first = async () => waitFor(async () => messages[0], `${route} reply`, 30_000);
          if (route === 'subscribe' || route === '$disconnect') socket.send(JSON.stringify({ action: 'subscribe', runId }));
          if (route === 'unsubscribe') socket.send(JSON.stringify({ action: 'unsubscribe', runId }));
          if (route === '$default') socket.send(JSON.stringify({ action: 'dance', runId }));
          if (route === '$disconnect') {
            await first();
            socket.close();
            await waitFor(async () => ((await subscriptionsOf(runId)) === baseline ? true : undefined), 'subscriptions removed', 30_000);
          }
          // Assess
          if (expected === 'accepted') expect(status).toBe(101);
          if (expected === 'subscribed') {
            await waitFor(async () => messages.find((m) => m.type === 'node.waiting'), 'catch-up events', 30_000);
            expect(messages[0]).toMatchObject({ type: 'subscribed', runId });
          }
          if (expected === 'not_found') expect(await first()).toMatchObject({ type: 'error', code: 'not_found', runId });
          if (expected === 'unsubscribed') expect(await first()).toMatchObject({ type: 'unsubscribed', runId });
          if (expected === 'unknown_action') expect(await first()).toMatchObject({ type: 'error', code: 'unknown_action' });
          if (expected === 'cleaned_up') expect(await subscriptionsOf(runId)).toBe(baseline);
          for (const text of raw) await assertNoSecrets(text);
        } finally {
          socket.close();
        }
      });
    }
  }

  it('refuses an expired token', async () => {
    // Act
    const { status, socket } = await openSocket(OWNER, { expiresIn: '1 hour ago' });
    socket.close();
    // Assess
    expect(status).toBe(401);
  });
});

describe('read-only fields are never stored', () => {
  const send = (method: string, path: string, body: unknown): Promise<ApiResponse> => stack.call(method, path, { as: OWNER, body });

  it('updating a workflow with server fields is refused and changes nothing', async () => {
    // Prepare
    const before = await stack.store.workflows.get(wf.private.id);
    // Act
    const res = await send('PUT', `/api/v1/workflows/${wf.private.id}`, { ...gated('mx-private'), ownerId: 'mx-stranger', latestVersion: 99, id: 'other' });
    // Assess
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual(expect.arrayContaining(['/ownerId', '/latestVersion', '/id']));
    expect(await stack.store.workflows.get(wf.private.id)).toStrictEqual(before);
  });

  it('starting a run with server fields is refused and creates no run', async () => {
    // Act
    const res = await send('POST', `/api/v1/workflows/${wf.private.id}/run`, { input: {}, runId: 'mx-chosen', status: 'succeeded', ownerId: 'mx-stranger' });
    // Assess
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual(expect.arrayContaining(['/runId', '/status', '/ownerId']));
    expect(await stack.store.runs.get('mx-chosen')).toBeUndefined();
  });

  it('a grant cannot forge who granted it or for which workflow', async () => {
    // Act
    const res = await send('PUT', `/api/v1/workflows/${wf.private.id}/permissions/mx-newcomer`, { role: 'viewer', grantedBy: 'mx-stranger', workflowId: wf.public.id });
    const stored = await stack.store.grants.get(wf.private.id, 'mx-newcomer');
    // Assess
    expect([200, 400]).toContain(res.status);
    if (res.status === 200) expect(stored).toMatchObject({ grantedBy: OWNER, workflowId: wf.private.id });
    else expect(stored).toBeUndefined();
    expect(await stack.store.grants.get(wf.public.id, 'mx-newcomer')).toBeUndefined();
  });

  it('a gate decision cannot forge its decider or status', async () => {
    // Prepare
    const runId = await waitingRun(wf.private.id);
    // Act
    const res = await send('POST', `/api/v1/workflows/runs/${runId}/gates/ask/approve`, { comment: 'x', decidedBy: 'mx-stranger', status: 'rejected' });
    const gate = await stack.store.table.client.send(new QueryCommand({
      TableName: stack.store.table.tableName, KeyConditionExpression: 'PK = :pk AND SK = :sk', ExpressionAttributeValues: { ':pk': `RUN#${runId}`, ':sk': 'GATE#ask' },
    }));
    // Assess
    expect(res.status).toBe(400);
    expect(gate.Items?.[0]).toMatchObject({ status: 'waiting' });
    expect(gate.Items?.[0]?.decidedBy).toBeUndefined();
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { MAX_MESSAGE_BYTES } from '../../shared/live/messages';
import { createSubscriptionRepository, MAX_SUBSCRIPTIONS_PER_CONNECTION } from '../../shared/store/subscriptions';
import { waitFor } from './helpers';
import { startLiveStack, type LiveStack } from './live-stack';

let stack: LiveStack;
beforeAll(async () => { stack = await startLiveStack(); });
afterAll(async () => { await stack.close(); });

const at = '2025-01-01T00:00:00.000Z';

/** Opens a raw socket and records every message it receives. */
async function open(token: string): Promise<{ socket: WebSocket; messages: Record<string, unknown>[] }> {
  const messages: Record<string, unknown>[] = [];
  const socket = new WebSocket(`${stack.ws.url}/?token=${encodeURIComponent(token)}`);
  socket.on('message', (data) => messages.push(JSON.parse(String(data)) as Record<string, unknown>));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  return { socket, messages };
}

describe('WebSocket protocol', () => {
  it('refuses a connection without a valid token with 401', async () => {
    // Prepare
    const socket = new WebSocket(`${stack.ws.url}/?token=not-a-jwt`);
    // Act
    const status = await new Promise<number>((resolve) => {
      socket.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      socket.on('open', () => resolve(101));
      socket.on('error', () => undefined);
    });
    // Assess
    expect(status).toBe(401);
  });

  it('answers an unknown action with an error message', async () => {
    // Prepare
    const { socket, messages } = await open(await stack.token('alice'));
    // Act
    socket.send(JSON.stringify({ action: 'dance' }));
    // Assess
    await waitFor(() => messages[0], 'a reply');
    expect(messages[0]).toStrictEqual({ type: 'error', code: 'unknown_action', message: 'action must be "subscribe" or "unsubscribe"' });
    socket.close();
  });

  it('answers a malformed subscribe with invalid_message naming the field', async () => {
    // Prepare
    const { socket, messages } = await open(await stack.token('alice'));
    // Act
    socket.send(JSON.stringify({ action: 'subscribe', runId: 'r', after: -1 }));
    // Assess
    await waitFor(() => messages[0], 'a reply');
    expect(messages[0]).toMatchObject({ type: 'error', code: 'invalid_message' });
    expect(String(messages[0]?.message)).toMatch(/^\/after/);
    socket.close();
  });

  it('acknowledges a subscribe and stops delivering after unsubscribe', async () => {
    // Prepare
    const runId = await stack.seedRun('alice');
    const { socket, messages } = await open(await stack.token('alice'));
    socket.send(JSON.stringify({ action: 'subscribe', runId, after: 0 }));
    await waitFor(() => messages.find((m) => m.type === 'subscribed'), 'subscribed');
    // Act
    socket.send(JSON.stringify({ action: 'unsubscribe', runId }));
    await waitFor(() => messages.find((m) => m.type === 'unsubscribed'), 'unsubscribed');
    await stack.events.append(runId, 'run.started', { type: 'run.started', at, data: {} });
    await stack.stream.idle();
    // Assess
    expect(messages).toStrictEqual([{ type: 'subscribed', runId, after: 0 }, { type: 'unsubscribed', runId }]);
    socket.close();
  });

  it(`refuses more than ${MAX_SUBSCRIPTIONS_PER_CONNECTION} subscriptions on one connection`, async () => {
    // Prepare
    const runIds = await Promise.all(Array.from({ length: MAX_SUBSCRIPTIONS_PER_CONNECTION + 1 }, () => stack.seedRun('alice')));
    const { socket, messages } = await open(await stack.token('alice'));
    // Act
    for (const runId of runIds) socket.send(JSON.stringify({ action: 'subscribe', runId, after: 0 }));
    // Assess
    await waitFor(() => (messages.length === runIds.length ? true : undefined), 'a reply per subscribe', 30_000);
    expect(messages.filter((m) => m.type === 'subscribed')).toHaveLength(MAX_SUBSCRIPTIONS_PER_CONNECTION);
    expect(messages.filter((m) => m.type === 'error').map((m) => m.code)).toStrictEqual(['too_many_subscriptions']);
    socket.close();
  });

  it('replaces a data field too large for one frame with a reference', async () => {
    // Prepare
    const runId = await stack.seedRun('alice');
    const big = 'x'.repeat(MAX_MESSAGE_BYTES);
    await stack.events.append(runId, 'node.succeeded:a', { type: 'node.succeeded', nodeId: 'a', at, data: { output: big } });
    const { socket, messages } = await open(await stack.token('alice'));
    // Act
    socket.send(JSON.stringify({ action: 'subscribe', runId, after: 0 }));
    // Assess
    const event = await waitFor(() => messages.find((m) => m.type === 'node.succeeded'), 'the event');
    expect(event.data).toStrictEqual({
      truncated: true,
      bytes: expect.any(Number),
      href: `/api/v1/workflows/runs/${runId}/events?after=0&limit=1`,
    });
    expect(Buffer.byteLength(JSON.stringify(event))).toBeLessThan(MAX_MESSAGE_BYTES);
    socket.close();
  });

  it('removes the connection and its subscriptions on disconnect', async () => {
    // Prepare
    const runId = await stack.seedRun('alice');
    const { socket, messages } = await open(await stack.token('alice'));
    socket.send(JSON.stringify({ action: 'subscribe', runId, after: 0 }));
    await waitFor(() => messages.find((m) => m.type === 'subscribed'), 'subscribed');
    const subs = createSubscriptionRepository(stack.table);
    // Act
    socket.close();
    // Assess
    await waitFor(async () => ((await subs.listForRun(runId)).length === 0 ? true : undefined), 'subscription removed');
  });
});

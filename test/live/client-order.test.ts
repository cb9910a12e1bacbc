import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { LiveClient } from '../../client/ws-client';
import type { RunEvent } from '../../shared/model/types';
import { waitFor } from './helpers';

/** A bare WebSocket server standing in for the API: it records subscribes and lets the test push frames. */
async function fakeServer(): Promise<{ url: string; subscribes: number[]; push(seqs: number[]): void; fail(): void; close(): Promise<void> }> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const subscribes: number[] = [];
  let socket: WebSocket | undefined;
  const queue: string[] = [];
  wss.on('connection', (ws) => {
    socket = ws;
    ws.on('message', (data) => subscribes.push((JSON.parse(String(data)) as { after: number }).after));
    for (const frame of queue.splice(0)) ws.send(frame);
  });
  const frame = (seq: number): string => JSON.stringify({ runId: 'r', seq, type: 'node.started', nodeId: `n${seq}`, at: '2025-01-01T00:00:00.000Z', data: {} });
  return {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`,
    subscribes,
    push(seqs) {
      for (const seq of seqs) {
        if (socket) socket.send(frame(seq));
        else queue.push(frame(seq));
      }
    },
    fail() {
      socket?.send(JSON.stringify({ message: 'Internal server error', connectionId: 'c', requestId: 'r' }));
    },
    close: () => new Promise<void>((resolve) => { for (const c of wss.clients) c.terminate(); wss.close(() => resolve()); }),
  };
}

let cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

describe('live client ordering', () => {
  it('delivers interleaved catch-up and live pushes with duplicates once each, in seq order, without resubscribing', async () => {
    // Prepare
    const server = await fakeServer();
    const client = new LiveClient({ url: server.url, token: 't', gapTimeoutMs: 60_000 });
    cleanup.push(() => server.close(), () => client.close());
    const received: RunEvent[] = [];
    client.subscribe('r', { onEvent: (e) => received.push(e) });
    await waitFor(() => (server.subscribes.length === 1 ? true : undefined), 'the subscribe');
    // Act: live 4 and 5 overtake the catch-up of 1-3, and 3 comes twice
    server.push([1, 4, 5, 2, 3, 3, 6]);
    // Assess
    await waitFor(() => (received.length === 6 ? true : undefined), 'six events');
    expect(received.map((e) => e.seq)).toStrictEqual([1, 2, 3, 4, 5, 6]);
    expect(server.subscribes).toStrictEqual([0]);
  });

  it('resubscribes from the last seq it holds when a gap outlasts the timeout', async () => {
    // Prepare
    const server = await fakeServer();
    const client = new LiveClient({ url: server.url, token: 't', gapTimeoutMs: 50 });
    cleanup.push(() => server.close(), () => client.close());
    const received: RunEvent[] = [];
    client.subscribe('r', { onEvent: (e) => received.push(e) });
    await waitFor(() => (server.subscribes.length === 1 ? true : undefined), 'the subscribe');
    // Act: 3 is lost
    server.push([1, 2, 4]);
    await waitFor(() => (server.subscribes.length === 2 ? true : undefined), 'the resubscribe');
    server.push([3, 4]);
    // Assess
    await waitFor(() => (received.length === 4 ? true : undefined), 'four events');
    expect(received.map((e) => e.seq)).toStrictEqual([1, 2, 3, 4]);
    expect(server.subscribes).toStrictEqual([0, 2]);
  });

  it('asks again from the last seq it holds after an internal server error', async () => {
    // Prepare
    const server = await fakeServer();
    const client = new LiveClient({ url: server.url, token: 't', minReconnectMs: 10 });
    cleanup.push(() => server.close(), () => client.close());
    const received: RunEvent[] = [];
    client.subscribe('r', { onEvent: (e) => received.push(e) });
    await waitFor(() => (server.subscribes.length === 1 ? true : undefined), 'the subscribe');
    server.push([1, 2]);
    await waitFor(() => (received.length === 2 ? true : undefined), 'two events');
    // Act: the catch-up failed after two events
    server.fail();
    // Assess
    await waitFor(() => (server.subscribes.length === 2 ? true : undefined), 'the resubscribe');
    expect(server.subscribes).toStrictEqual([0, 2]);
    expect(client.internalErrors).toBe(1);
  });
});

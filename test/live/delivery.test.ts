import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LiveClient } from '../../client/ws-client';
import type { RunEvent } from '../../shared/model/types';
import { createConnectionRepository } from '../../shared/store/connections';
import type { EventLogRepository } from '../../shared/store/events';
import { createSubscriptionRepository } from '../../shared/store/subscriptions';
import { waitFor } from './helpers';
import { startLiveStack, type LiveStack } from './live-stack';

let stack: LiveStack;
beforeAll(async () => { stack = await startLiveStack(); });
afterAll(async () => { await stack.close(); });

const at = '2025-01-01T00:00:00.000Z';

/** Appends `count` node transitions; the last one is `run.succeeded` when `finish`. */
async function appendSteps(events: EventLogRepository, runId: string, from: number, count: number, finish = false): Promise<void> {
  for (let i = from; i < from + count; i += 1) {
    if (i === 0) await events.append(runId, 'run.started', { type: 'run.started', at, data: {} });
    else await events.append(runId, `node.started:n${i}:0`, { type: 'node.started', nodeId: `n${i}`, at, data: { attempt: 0 } });
  }
  if (finish) await events.append(runId, 'run.succeeded', { type: 'run.succeeded', at, data: {} });
}

/** Subscribes a fresh client and collects what it delivers. */
function watch(token: string, runId: string, after = 0): { client: LiveClient; received: RunEvent[]; errors: string[] } {
  const received: RunEvent[] = [];
  const errors: string[] = [];
  const client = new LiveClient({ url: stack.ws.url, token, minReconnectMs: 20, maxReconnectMs: 100 });
  client.subscribe(runId, { after, onEvent: (e) => received.push(e), onError: (e) => errors.push(e.code) });
  return { client, received, errors };
}

async function storedLog(runId: string): Promise<RunEvent[]> {
  return (await stack.events.list(runId, { limit: 1000 })).events;
}

async function receivedAll(received: RunEvent[], runId: string): Promise<void> {
  const last = await stack.events.lastSeq(runId);
  await waitFor(() => (received.at(-1)?.seq === last ? true : undefined), `event ${last} of ${runId}`);
}

describe('live delivery', () => {
  it('delivers the whole log to a client that subscribed before the run', async () => {
    // Prepare
    const runId = await stack.seedRun('alice');
    const { client, received } = watch(await stack.token('alice'), runId);
    await waitFor(() => (stack.ws.connections.size > 0 ? true : undefined), 'a connection');
    const subs = createSubscriptionRepository(stack.table);
    await waitFor(async () => ((await subs.listForRun(runId)).length > 0 ? true : undefined), 'the subscription');
    // Act
    await appendSteps(stack.events, runId, 0, 12, true);
    // Assess
    await receivedAll(received, runId);
    expect(received).toStrictEqual(await storedLog(runId));
    client.close();
  });

  it('delivers catch-up then live events to a client that subscribed during the run', async () => {
    // Prepare
    const runId = await stack.seedRun('alice');
    await appendSteps(stack.events, runId, 0, 6);
    // Act: subscribe while events keep being appended
    const { client, received } = watch(await stack.token('alice'), runId);
    await appendSteps(stack.events, runId, 6, 10, true);
    // Assess
    await receivedAll(received, runId);
    expect(received).toStrictEqual(await storedLog(runId));
    client.close();
  });

  it('delivers the stored log to a client that subscribed after the run', async () => {
    // Prepare
    const runId = await stack.seedRun('alice');
    await appendSteps(stack.events, runId, 0, 8, true);
    // Act
    const { client, received } = watch(await stack.token('alice'), runId);
    // Assess
    await receivedAll(received, runId);
    expect(received).toStrictEqual(await storedLog(runId));
    client.close();
  });

  it('starts after the given seq', async () => {
    // Prepare
    const runId = await stack.seedRun('alice');
    await appendSteps(stack.events, runId, 0, 8, true);
    // Act
    const { client, received } = watch(await stack.token('alice'), runId, 5);
    // Assess
    await receivedAll(received, runId);
    expect(received).toStrictEqual((await storedLog(runId)).slice(5));
    client.close();
  });

  it('loses and doubles nothing when the connection drops mid-run', async () => {
    // Prepare
    const runId = await stack.seedRun('alice');
    const { client, received } = watch(await stack.token('alice'), runId);
    await appendSteps(stack.events, runId, 0, 5);
    await waitFor(() => (received.length === 5 ? true : undefined), 'first five events');
    // Act: drop, keep appending while disconnected, then again after the reconnect
    client.dropConnection();
    await appendSteps(stack.events, runId, 5, 5);
    await waitFor(() => (client.reconnects > 0 && received.length >= 10 ? true : undefined), 'reconnect and catch-up');
    await appendSteps(stack.events, runId, 10, 5, true);
    // Assess
    await receivedAll(received, runId);
    expect(received).toStrictEqual(await storedLog(runId));
    expect(client.reconnects).toBeGreaterThan(0);
    client.close();
  });

  it('delivers every event once, in order, to clients subscribing at different moments while appends race', async () => {
    // Prepare
    const runId = await stack.seedRun('alice');
    const token = await stack.token('alice');
    const early = watch(token, runId);
    await appendSteps(stack.events, runId, 0, 4);
    // Act: parallel appends (their items land out of seq order), with clients joining in between
    const joined: Array<ReturnType<typeof watch>> = [early];
    for (let wave = 0; wave < 4; wave += 1) {
      joined.push(watch(token, runId, wave));
      await Promise.all(Array.from({ length: 6 }, (_, i) => stack.events.append(runId, `node.started:w${wave}-${i}:0`, { type: 'node.started', nodeId: `w${wave}-${i}`, at, data: { attempt: 0 } })));
    }
    await stack.events.append(runId, 'run.succeeded', { type: 'run.succeeded', at, data: {} });
    // Assess
    const log = await storedLog(runId);
    for (const [i, { client, received }] of joined.entries()) {
      await receivedAll(received, runId);
      expect(received).toStrictEqual(log.slice(i === 0 ? 0 : i - 1));
      client.close();
    }
  });

  it('refuses another user\'s run with not_found and sends nothing about it', async () => {
    // Prepare
    const runId = await stack.seedRun('alice');
    await appendSteps(stack.events, runId, 0, 3);
    // Act
    const { client, received, errors } = watch(await stack.token('mallory'), runId);
    // Assess
    await waitFor(() => (errors.length > 0 ? true : undefined), 'an error');
    expect(errors).toStrictEqual(['not_found']);
    await appendSteps(stack.events, runId, 3, 2);
    await stack.stream.idle();
    expect(received).toStrictEqual([]);
    client.close();
  });

  it('keeps fanning out to others when one subscriber is gone', async () => {
    // Prepare: a subscription whose connection vanished without $disconnect (the Management API answers 410)
    const runId = await stack.seedRun('alice');
    const { client, received } = watch(await stack.token('alice'), runId);
    await waitFor(() => (stack.ws.connections.size > 0 ? true : undefined), 'a connection');
    const ghost = 'ghost-connection';
    await createConnectionRepository(stack.table).put({ connectionId: ghost, userId: 'alice', now: new Date() });
    const subs = createSubscriptionRepository(stack.table);
    await subs.subscribe({ connectionId: ghost, runId, userId: 'alice', now: new Date() });
    // Act
    await appendSteps(stack.events, runId, 0, 6, true);
    // Assess
    await receivedAll(received, runId);
    expect(received).toStrictEqual(await storedLog(runId));
    await stack.stream.idle();
    expect((await subs.listForRun(runId)).map((s) => s.connectionId)).not.toContain(ghost);
    expect(await subs.listForConnection(ghost)).toStrictEqual([]);
    client.close();
  });
});

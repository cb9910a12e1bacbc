import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWsFanoutHandler } from '../../functions/ws-fanout/handler';
import { cachedDeliveryAccess } from '../../shared/live/delivery-access';
import type { ConnectionPoster } from '../../shared/live/poster';
import { createLiveServiceOnTable } from '../../shared/live/runtime';
import type { RunEvent } from '../../shared/model/types';
import { createConnectionRepository } from '../../shared/store/connections';
import { createEventLogRepository } from '../../shared/store/events';
import { createFanOutMarkRepository } from '../../shared/store/fan-out-marks';
import { createSubscriptionRepository } from '../../shared/store/subscriptions';
import { keys } from '../../shared/store/table';
import { recordingPoster, startTable, type LocalTable } from './helpers';

let table: LocalTable;
beforeAll(async () => { table = await startTable(); });
afterAll(async () => { await table.close(); });

const at = '2025-01-01T00:00:00.000Z';


/** Counts the writes (put, update, delete) the table's client sends while `act` runs. */
let countWritesCalls = 0;
async function countWrites(act: () => Promise<unknown>): Promise<number> {
  let writes = 0;
  const name = `countWrites-${(countWritesCalls += 1)}`;
  const stack = table.client.middlewareStack as unknown as { add(middleware: unknown, options: object): void; remove(name: string): boolean };
  stack.add(
    (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: unknown) => {
      if (/^(Put|Update|Delete|BatchWrite)/.test(context.commandName ?? '')) writes += 1;
      return next(args);
    },
    { step: 'initialize', name },
  );
  try {
    await act();
  } finally {
    stack.remove(name);
  }
  return writes;
}

async function seed(runId: string, connections: string[], count: number): Promise<RunEvent[]> {
  const conns = createConnectionRepository(table);
  const subs = createSubscriptionRepository(table);
  for (const connectionId of connections) {
    await conns.put({ connectionId, userId: 'u', now: new Date() });
    await subs.subscribe({ connectionId, runId, userId: 'u', now: new Date() });
  }
  const events = createEventLogRepository(table);
  const out: RunEvent[] = [];
  for (let i = 1; i <= count; i += 1) out.push((await events.append(runId, `k${i}`, { type: 'node.started', nodeId: `n${i}`, at, data: {} })).event);
  return out;
}

function service(poster: ConnectionPoster, allowed: (userId: string, runId: string) => boolean = () => true) {
  return createLiveServiceOnTable(table, poster, { access: { canView: async (userId, runId) => allowed(userId, runId) } });
}

const seqs = (n: number, from = 1) => Array.from({ length: n }, (_, i) => from + i);

describe('fan-out', () => {
  it('pushes each event once, in order, to every subscriber, with store writes that do not grow with subscribers', async () => {
    // Prepare
    const few = await seed('few', ['a1'], 6);
    const many = await seed('many', seqs(20).map((i) => `b${i}`), 6);
    const poster = recordingPoster(undefined, { yieldEachPost: true });
    const live = service(poster);
    // Act: one batch per event, as the stream delivers them one by one
    const fewWrites = await countWrites(async () => { for (const e of few) await live.fanOut('few', [e]); });
    const manyWrites = await countWrites(async () => { for (const e of many) await live.fanOut('many', [e]); });
    // Assess
    expect(poster.got.get('a1')).toStrictEqual(seqs(6));
    for (const i of seqs(20)) expect(poster.got.get(`b${i}`)).toStrictEqual(seqs(6));
    // One advance per batch, and the first batch's quiet attempt, which found the run watched (the fan-out then remembers it).
    expect(fewWrites).toBe(7);
    expect(manyWrites).toBe(fewWrites);
    expect(await createFanOutMarkRepository(table).get('many')).toBe(6);
  });

  it('pushes nothing again for a batch at or below the mark', async () => {
    // Prepare
    const events = await seed('again', ['c1'], 3);
    const poster = recordingPoster(undefined, { yieldEachPost: true });
    const live = service(poster);
    await live.fanOut('again', events);
    // Act
    const repeat = await live.fanOut('again', events.slice(1));
    // Assess
    expect(repeat.events).toBe(0);
    expect(poster.got.get('c1')).toStrictEqual([1, 2, 3]);
  });

  it('fills a hole in the batch from the log, materializing an event its writer left pending', async () => {
    // Prepare: event 2 is claimed on the log head but its item is not written yet (a slow or crashed writer)
    const events = await seed('hole', ['h1'], 1);
    const poster = recordingPoster(undefined, { yieldEachPost: true });
    const live = service(poster);
    await live.fanOut('hole', events);
    await table.client.send(new (await import('@aws-sdk/lib-dynamodb')).UpdateCommand({
      TableName: table.tableName,
      Key: keys.eventLog('hole'),
      // The head's in-flight layout (shared/store/events.ts): the claimed seq in `pseq`, the event in `pending`.
      UpdateExpression: 'SET lastSeq = :two, #pseq.#tk = :two, #pending.#tk = :event',
      ExpressionAttributeNames: { '#pseq': 'pseq', '#pending': 'pending', '#tk': 'slow' },
      ExpressionAttributeValues: { ':two': 2, ':event': { type: 'node.started', nodeId: 'slow', at, data: {} } },
    }));
    const third = (await createEventLogRepository(table).append('hole', 'k3', { type: 'node.started', nodeId: 'n3', at, data: {} })).event;
    // Act: the stream carries event 3 only
    await live.fanOut('hole', [third]);
    // Assess
    expect(poster.got.get('h1')).toStrictEqual([1, 2, 3]);
  });

  it('removes a gone connection and still serves the others', async () => {
    // Prepare
    const events = await seed('gone', ['ok1', 'dead', 'ok2'], 4);
    const poster = recordingPoster((id) => (id === 'dead' ? 'gone' : 'ok'), { yieldEachPost: true });
    const subs = createSubscriptionRepository(table);
    // Act
    const result = await service(poster).fanOut('gone', events);
    // Assess
    expect(result).toStrictEqual({ events: 4, subscribers: 2, gone: 1, revoked: 0 });
    expect(poster.got.get('ok1')).toStrictEqual([1, 2, 3, 4]);
    expect(poster.got.get('ok2')).toStrictEqual([1, 2, 3, 4]);
    expect((await subs.listForRun('gone')).map((s) => s.connectionId).sort()).toStrictEqual(['ok1', 'ok2']);
    expect(await createConnectionRepository(table).get('dead')).toBeUndefined();
  });

  it('reports a run whose delivery failed as a batch item failure without moving the mark; the retry pushes the events again', async () => {
    // Prepare
    const events = await seed('flaky', ['f1', 'f2'], 3);
    let failing = true;
    const poster = recordingPoster((id) => (failing && id === 'f1' ? 'fail' : 'ok'), { yieldEachPost: true });
    const fanout = createWsFanoutHandler(service(poster));
    const record = (event: RunEvent) => ({
      eventName: 'INSERT' as const,
      dynamodb: {
        SequenceNumber: String(event.seq),
        NewImage: {
          PK: { S: 'RUN#flaky' }, SK: { S: keys.event('flaky', event.seq).SK }, runId: { S: 'flaky' }, seq: { N: String(event.seq) },
          type: { S: event.type }, at: { S: event.at }, nodeId: { S: event.nodeId as string }, data: { M: {} },
        },
      },
    });
    // Act
    const first = await fanout({ Records: events.map(record) });
    const markAfterFailure = await createFanOutMarkRepository(table).get('flaky');
    failing = false;
    const retry = await fanout({ Records: events.map(record) });
    // Assess: f2 got the events twice (at least once; the client drops the repeat by seq), f1 once, in order
    expect(first).toStrictEqual({ batchItemFailures: [{ itemIdentifier: '1' }] });
    expect(markAfterFailure).toBe(0);
    expect(retry).toStrictEqual({ batchItemFailures: [] });
    expect(poster.got.get('f1')).toStrictEqual([1, 2, 3]);
    expect(poster.got.get('f2')).toStrictEqual([1, 2, 3, 1, 2, 3]);
  });

  it('ends the subscription of a user who may no longer view the run, with the not_found reply', async () => {
    // Prepare
    const events = await seed('revoked', ['keep', 'lose'], 2);
    await createSubscriptionRepository(table).subscribe({ connectionId: 'lose', runId: 'revoked', userId: 'mallory', now: new Date() });
    const poster = recordingPoster(undefined, { yieldEachPost: true });
    // Act
    const result = await service(poster, (userId) => userId !== 'mallory').fanOut('revoked', events);
    // Assess
    expect(result.revoked).toBe(1);
    expect(poster.got.get('keep')).toStrictEqual([1, 2]);
    expect(poster.got.get('lose')).toStrictEqual(['error:not_found']);
    expect((await createSubscriptionRepository(table).listForRun('revoked')).map((s) => s.connectionId)).toStrictEqual(['keep']);
  });
});

describe('delivery access cache', () => {
  it('asks once per user and run within the TTL, again after it, and caps the TTL at 60 s', async () => {
    // Prepare
    let now = 0;
    const asked: string[] = [];
    const access = cachedDeliveryAccess({ canView: async (userId, runId) => { asked.push(`${userId}/${runId}`); return true; } }, { ttlMs: 120_000, nowMs: () => now });
    const sub = { runId: 'r', connectionId: 'c', userId: 'u' };
    // Act
    await access.allows(sub);
    await access.allows({ ...sub, connectionId: 'other' });
    now = 59_999;
    await access.allows(sub);
    now = 60_000;
    await access.allows(sub);
    // Assess
    expect(asked).toStrictEqual(['u/r', 'u/r']);
  });

  it('does not cache a failed check', async () => {
    // Prepare
    let calls = 0;
    const access = cachedDeliveryAccess({ canView: async () => { calls += 1; if (calls === 1) throw new Error('throttled'); return true; } });
    const sub = { runId: 'r', connectionId: 'c', userId: 'u' };
    // Act
    const first = access.allows(sub);
    await expect(first).rejects.toThrow('throttled');
    // Assess
    await expect(access.allows(sub)).resolves.toBe(true);
    expect(calls).toBe(2);
  });
});


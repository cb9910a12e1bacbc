/**
 * The quiet path of the live fan-out (ARCHITECTURE.md, "Live delivery without reordering"): a stream batch of a
 * run nobody watches is one conditional update of the run's fan-out item, and the run's subscriber set on that
 * item keeps every live guarantee: whoever subscribes, whenever, gets every event (catch-up + live), the set
 * loses a connection only after its subscription is gone, and subscriptions written before the set existed are
 * still served. `BRAID_FUZZ_RUNS` raises the number of race cases.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionPoster } from '../../shared/live/poster';
import { createLiveServiceOnTable } from '../../shared/live/runtime';
import type { RunEvent } from '../../shared/model/types';
import { createConnectionRepository } from '../../shared/store/connections';
import { createEventLogRepository } from '../../shared/store/events';
import { createFanOutMarkRepository } from '../../shared/store/fan-out-marks';
import { createSubscriptionRepository, MAX_SUBSCRIBERS_PER_RUN } from '../../shared/store/subscriptions';
import { keys } from '../../shared/store/table';
import { fuzzRuns, fuzzTimeout } from '../hardening/fuzz-arbitraries';
import { recordingPoster, startTable, type LocalTable } from './helpers';

let table: LocalTable;
/** Called before each command the table's client sends, when set (the race test's scheduler). */
let hook: (() => Promise<void>) | undefined;
/** The commands sent, by name, while recording. */
let sent: string[] | undefined;
beforeAll(async () => {
  table = await startTable();
  const stack = table.client.middlewareStack as unknown as { add(middleware: unknown, options: object): void };
  stack.add(
    (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: unknown) => {
      sent?.push(context.commandName ?? '?');
      if (hook) await hook();
      return next(args);
    },
    { step: 'initialize', name: 'quietFanOutProbe' },
  );
});
afterAll(async () => { await table.close(); });

const at = '2025-01-01T00:00:00.000Z';
let runs = 0;
const newRun = () => `quiet-${(runs += 1)}`;


function service(poster: ConnectionPoster, allowed: (userId: string) => boolean = () => true) {
  return createLiveServiceOnTable(table, poster, { access: { canView: async (userId) => allowed(userId) } });
}

async function append(runId: string, i: number): Promise<RunEvent> {
  return (await createEventLogRepository(table).append(runId, `k${i}`, { type: 'node.started', nodeId: `n${i}`, at, data: {} })).event;
}

async function connect(connectionId: string, userId = 'u'): Promise<void> {
  await createConnectionRepository(table).put({ connectionId, userId, now: new Date() });
}

/** The commands `act` sends. */
async function commands(act: () => Promise<unknown>): Promise<string[]> {
  sent = [];
  try {
    await act();
    return sent;
  } finally {
    sent = undefined;
  }
}

const subscriberSet = async (runId: string) => [...(await createFanOutMarkRepository(table).read(runId)).subscribers].sort();
const seqsOf = (got: Array<number | string> | undefined) => (got ?? []).filter((x): x is number => typeof x === 'number');
const range = (from: number, to: number) => Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);

describe('quiet fan-out', () => {
  it('moves the mark of a run nobody watches with one store call per batch (the first batch of a run lists once)', async () => {
    // Prepare
    const runId = newRun();
    const live = service(recordingPoster());
    const events = [await append(runId, 1), await append(runId, 2), await append(runId, 3)];
    // Act
    const first = await commands(() => live.fanOut(runId, [events[0]!]));
    const later = [await commands(() => live.fanOut(runId, [events[1]!])), await commands(() => live.fanOut(runId, [events[2]!]))];
    const again = await commands(() => live.fanOut(runId, [events[1]!]));
    // Assess: the first batch finds the run untracked (its item does not exist yet), lists it empty and tracks it
    expect(first).toStrictEqual(['UpdateItemCommand', 'GetItemCommand', 'QueryCommand', 'UpdateItemCommand']);
    expect(later).toStrictEqual([['UpdateItemCommand'], ['UpdateItemCommand']]);
    // A repeated batch loses the condition on the mark and reads the item to learn it is done.
    expect(again).toStrictEqual(['UpdateItemCommand', 'GetItemCommand']);
    expect(await createFanOutMarkRepository(table).read(runId)).toStrictEqual({ sentSeq: 3, subscribers: new Set(), version: undefined, tracked: true });
  });

  it('serves a subscriber who subscribes between two quiet batches every event once, in order', async () => {
    // Prepare
    const runId = newRun();
    const poster = recordingPoster();
    const live = service(poster);
    await connect('late');
    await live.fanOut(runId, [await append(runId, 1)]);
    await live.fanOut(runId, [await append(runId, 2)]);
    // Act
    await live.handleMessage('late', JSON.stringify({ action: 'subscribe', runId, after: 0 }));
    const third = await append(runId, 3);
    const calls = await commands(() => live.fanOut(runId, [third]));
    // Assess
    expect(poster.got.get('late')).toStrictEqual(['subscribed', 1, 2, 3]);
    expect(calls[0]).toBe('UpdateItemCommand');
    expect(calls).toContain('QueryCommand');
    expect(await subscriberSet(runId)).toStrictEqual(['late']);
  });

  it('takes each id out of the set on unsubscribe, disconnect, a gone connection and a revoked viewer; then the run is quiet again', async () => {
    // Prepare
    const runId = newRun();
    const poster = recordingPoster((id) => (id === 'gone' ? 'gone' : 'ok'));
    const live = service(poster, (userId) => userId !== 'mallory');
    await live.fanOut(runId, [await append(runId, 1)]);
    for (const [id, user] of [['leaves', 'u'], ['drops', 'u'], ['gone', 'u'], ['revoked', 'mallory']] as const) {
      await connect(id, user);
      await createSubscriptionRepository(table).subscribe({ connectionId: id, runId, userId: user, now: new Date() });
    }
    const before = await subscriberSet(runId);
    // Act
    await live.handleMessage('leaves', JSON.stringify({ action: 'unsubscribe', runId }));
    await live.disconnect('drops');
    const result = await live.fanOut(runId, [await append(runId, 2)]);
    const third = await append(runId, 3);
    const quiet = await commands(() => live.fanOut(runId, [third]));
    // Assess
    expect(before).toStrictEqual(['drops', 'gone', 'leaves', 'revoked']);
    expect(result).toStrictEqual({ events: 1, subscribers: 0, gone: 1, revoked: 1 });
    expect(await subscriberSet(runId)).toStrictEqual([]);
    expect(quiet).toStrictEqual(['UpdateItemCommand']);
  });

  it('serves a subscription written before the set existed, and tracks the run only once none is left', async () => {
    // Prepare: the old layout, the subscription items without an id in any set, and a mark the old fan-out moved
    const runId = newRun();
    const poster = recordingPoster();
    const live = service(poster);
    await connect('old');
    await table.client.send(new UpdateCommand({ TableName: table.tableName, Key: keys.connectionSubscription('old', runId), UpdateExpression: 'SET runId = :r, connectionId = :c', ExpressionAttributeValues: { ':r': runId, ':c': 'old' } }));
    await table.client.send(new UpdateCommand({ TableName: table.tableName, Key: keys.subscription(runId, 'old'), UpdateExpression: 'SET runId = :r, connectionId = :c, userId = :u', ExpressionAttributeValues: { ':r': runId, ':c': 'old', ':u': 'u' } }));
    await table.client.send(new UpdateCommand({ TableName: table.tableName, Key: keys.fanOutMark(runId), UpdateExpression: 'SET sentSeq = :s, runId = :r', ExpressionAttributeValues: { ':s': 0, ':r': runId } }));
    // Act: a new-style subscriber comes and goes, then the old one disconnects
    await connect('new');
    await live.handleMessage('new', JSON.stringify({ action: 'subscribe', runId, after: 0 }));
    await live.fanOut(runId, [await append(runId, 1)]);
    await live.handleMessage('new', JSON.stringify({ action: 'unsubscribe', runId }));
    await live.fanOut(runId, [await append(runId, 2)]);
    await live.fanOut(runId, [await append(runId, 3)]);
    const trackedWhileOld = (await createFanOutMarkRepository(table).read(runId)).tracked;
    await live.disconnect('old');
    await live.fanOut(runId, [await append(runId, 4)]);
    const trackedAfter = (await createFanOutMarkRepository(table).read(runId)).tracked;
    const fifth = await append(runId, 5);
    const quiet = await commands(() => live.fanOut(runId, [fifth]));
    // Assess
    expect(poster.got.get('old')).toStrictEqual([1, 2, 3]);
    expect(poster.got.get('new')).toStrictEqual(['subscribed', 1, 'unsubscribed']);
    expect(trackedWhileOld).toBe(false);
    expect(trackedAfter).toBe(true);
    expect(quiet).toStrictEqual(['UpdateItemCommand']);
  });

  it('serves an old subscription to a run whose fan-out item does not exist yet', async () => {
    // Prepare
    const runId = newRun();
    const poster = recordingPoster();
    await table.client.send(new UpdateCommand({ TableName: table.tableName, Key: keys.subscription(runId, 'older'), UpdateExpression: 'SET runId = :r, connectionId = :c, userId = :u', ExpressionAttributeValues: { ':r': runId, ':c': 'older', ':u': 'u' } }));
    // Act
    await service(poster).fanOut(runId, [await append(runId, 1)]);
    // Assess
    expect(poster.got.get('older')).toStrictEqual([1]);
    expect((await createFanOutMarkRepository(table).read(runId)).tracked).toBe(false);
  });

  it('prunes ids left without a subscription, unless a subscribe added to the set after it was read', async () => {
    // Prepare: two ids whose subscriptions expired; the fan-out reads the set, then `again` subscribes anew (its
    // run-side item too late for the listing) and adds its id once more before the prune
    const runId = newRun();
    const marks = createFanOutMarkRepository(table);
    const live = service(recordingPoster());
    await live.fanOut(runId, [await append(runId, 1)]);
    await marks.addSubscriber(runId, 'expired', MAX_SUBSCRIBERS_PER_RUN);
    await marks.addSubscriber(runId, 'again', MAX_SUBSCRIBERS_PER_RUN);
    const read = await marks.read(runId);
    await marks.addSubscriber(runId, 'again', MAX_SUBSCRIBERS_PER_RUN);
    // Act
    const raced = await marks.prune(runId, ['expired', 'again'], read.version);
    const afterRace = await subscriberSet(runId);
    await marks.removeSubscriber(runId, 'again');
    await live.fanOut(runId, [await append(runId, 2)]);
    const third = await append(runId, 3);
    const quiet = await commands(() => live.fanOut(runId, [third]));
    // Assess: the raced prune did nothing; the next batch's prune (on the normal path) took `expired` out
    expect(raced).toBe(false);
    expect(afterRace).toStrictEqual(['again', 'expired']);
    expect(await subscriberSet(runId)).toStrictEqual([]);
    expect(quiet).toStrictEqual(['UpdateItemCommand']);
  });

  it(`refuses a subscriber past ${MAX_SUBSCRIBERS_PER_RUN} on one run with too_many_subscribers, leaving nothing behind`, async () => {
    // Prepare: the set already full
    const runId = newRun();
    const ids = new Set(range(1, MAX_SUBSCRIBERS_PER_RUN).map((i) => `c${i}`));
    await table.client.send(new UpdateCommand({ TableName: table.tableName, Key: keys.fanOutMark(runId), UpdateExpression: 'ADD subs :ids', ExpressionAttributeValues: { ':ids': ids } }));
    const poster = recordingPoster();
    const live = service(poster);
    await connect('one-too-many');
    // Act
    await live.handleMessage('one-too-many', JSON.stringify({ action: 'subscribe', runId, after: 0 }));
    // Assess
    expect(poster.got.get('one-too-many')).toStrictEqual(['error:too_many_subscribers']);
    expect(await createSubscriptionRepository(table).listForRun(runId)).toStrictEqual([]);
    expect(await createSubscriptionRepository(table).listForConnection('one-too-many')).toStrictEqual([]);
    expect((await createFanOutMarkRepository(table).read(runId)).subscribers.has('one-too-many')).toBe(false);
  });
});

describe('quiet fan-out races', () => {
  it('a subscribe interleaved with quiet batches, another subscriber coming and going, and pruning, at every store call, gets every event after its seq', { timeout: fuzzTimeout(120_000) }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.record({ head: fc.integer({ min: 0, max: 2 }), more: fc.integer({ min: 1, max: 3 }), after: fc.integer({ min: 0, max: 2 }), stale: fc.constantFrom('none' as const, 'other' as const, 'own' as const), churn: fc.boolean() }),
        async (s, { head, more, after, stale, churn }) => {
          // Prepare: a tracked run, `head` events already fanned out quietly; with `stale`, an id left in its set by
          // a subscription that expired, another connection's or the subscriber's own (the normal path then prunes
          // it, racing the subscribe, which adds that same id again)
          const runId = newRun();
          const connectionId = `${runId}-c`;
          const other = `${runId}-o`;
          const poster = recordingPoster();
          const live = service(poster);
          await connect(connectionId);
          await connect(other);
          await live.fanOut(runId, [await append(runId, 1)]);
          for (let i = 2; i <= 1 + head; i += 1) await live.fanOut(runId, [await append(runId, i)]);
          if (stale !== 'none') await createFanOutMarkRepository(table).addSubscriber(runId, stale === 'own' ? connectionId : `${runId}-expired`, MAX_SUBSCRIBERS_PER_RUN);
          const from = Math.min(after, 1 + head);
          // Act: the writer appends and the stream fans out each event (one batch at a time), while the client
          // subscribes (and, with `churn`, another connection subscribes and unsubscribes)
          const writer = async () => {
            for (let i = 2 + head; i <= 1 + head + more; i += 1) {
              const event = await append(runId, i);
              await live.fanOut(runId, [event]);
            }
          };
          const reader = () => live.handleMessage(connectionId, JSON.stringify({ action: 'subscribe', runId, after: from }));
          const churner = async () => {
            if (!churn) return;
            await live.handleMessage(other, JSON.stringify({ action: 'subscribe', runId, after: 0 }));
            await live.handleMessage(other, JSON.stringify({ action: 'unsubscribe', runId }));
          };
          hook = () => s.schedule(Promise.resolve(), 'store call').then(() => undefined);
          try {
            await s.waitFor(Promise.all([writer, reader, churner].map((act, i) => s.schedule(Promise.resolve(), `actor ${i}`).then(act))));
          } finally {
            hook = undefined;
          }
          // Assess: every event after `from` arrived (catch-up or live), nothing at or before it; the client keeps the
          // first of each seq, in seq order (client/ws-client.ts), which is then exactly the range. The set still
          // holds the subscriber, and not the one that left.
          const got = seqsOf(poster.got.get(connectionId));
          const story = JSON.stringify({ head, more, from, stale, churn, got, schedule: s.report().map((r) => r.label) });
          const last = 1 + head + more;
          for (const seq of range(from + 1, last)) expect(got, story).toContain(seq);
          expect(got.every((seq) => seq > from && seq <= last), story).toBe(true);
          expect([...new Set(got)].sort((a, b) => a - b), story).toStrictEqual(range(from + 1, last));
          const set = await subscriberSet(runId);
          expect(set, story).toContain(connectionId);
          expect(set, story).not.toContain(other);
        },
      ),
      { numRuns: fuzzRuns(40) },
    );
  });
});

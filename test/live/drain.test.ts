import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWsFanoutHandler } from '../../functions/ws-fanout/handler';
import { createDrain } from '../../shared/live/drain';
import { createLiveService } from '../../shared/live/live-service';
import { DeliveryError, type ConnectionPoster } from '../../shared/live/poster';
import type { RunEvent } from '../../shared/model/types';
import { createConnectionRepository } from '../../shared/store/connections';
import { createEventLogRepository } from '../../shared/store/events';
import { createSubscriptionRepository } from '../../shared/store/subscriptions';
import { startTable, type LocalTable } from './helpers';

let table: LocalTable;
beforeAll(async () => { table = await startTable(); });
afterAll(async () => { await table.close(); });

const at = '2025-01-01T00:00:00.000Z';

/** A poster that records what each connection received. */
function recordingPoster(behaviour: (connectionId: string) => 'ok' | 'gone' | 'fail' = () => 'ok'): ConnectionPoster & { got: Map<string, number[]> } {
  const got = new Map<string, number[]>();
  return {
    got,
    async post(connectionId, data) {
      const outcome = behaviour(connectionId);
      if (outcome === 'fail') throw new DeliveryError(connectionId);
      if (outcome === 'gone') return 'gone';
      await new Promise((resolve) => setImmediate(resolve));
      got.set(connectionId, [...(got.get(connectionId) ?? []), (JSON.parse(data) as RunEvent).seq]);
      return 'ok';
    },
  };
}

async function seed(runId: string, connections: string[], count: number): Promise<void> {
  const conns = createConnectionRepository(table);
  const subs = createSubscriptionRepository(table);
  for (const connectionId of connections) {
    await conns.put({ connectionId, userId: 'u', now: new Date() });
    await subs.subscribe({ connectionId, runId, userId: 'u', after: 0, now: new Date() });
  }
  const events = createEventLogRepository(table);
  for (let i = 1; i <= count; i += 1) await events.append(runId, `k${i}`, { type: 'node.started', nodeId: `n${i}`, at, data: {} });
}

describe('drain', () => {
  it('delivers each event once and in order however many drains race', async () => {
    // Prepare
    await seed('race', ['c1'], 30);
    const poster = recordingPoster();
    const drain = createDrain({ events: createEventLogRepository(table), subscriptions: createSubscriptionRepository(table), poster, pageSize: 7 });
    // Act
    const outcomes = await Promise.all(Array.from({ length: 10 }, () => drain('race', 'c1')));
    // Assess
    expect(poster.got.get('c1')).toStrictEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(outcomes.filter((o) => o === 'done').length).toBeGreaterThanOrEqual(1);
  });

  it('removes a gone connection and still serves the others', async () => {
    // Prepare
    await seed('gone', ['ok1', 'dead', 'ok2'], 4);
    const poster = recordingPoster((id) => (id === 'dead' ? 'gone' : 'ok'));
    const subs = createSubscriptionRepository(table);
    const service = createLiveService({
      connections: createConnectionRepository(table), subscriptions: subs, events: createEventLogRepository(table),
      poster, access: { canView: async () => true },
    });
    // Act
    const counts = await service.fanOut('gone');
    // Assess
    expect(counts).toStrictEqual({ done: 2, busy: 0, gone: 1 });
    expect(poster.got.get('ok1')).toStrictEqual([1, 2, 3, 4]);
    expect(poster.got.get('ok2')).toStrictEqual([1, 2, 3, 4]);
    expect((await subs.listForRun('gone')).map((s) => s.connectionId).sort()).toStrictEqual(['ok1', 'ok2']);
    expect(await createConnectionRepository(table).get('dead')).toBeUndefined();
  });

  it('reports a run whose delivery failed as a batch item failure, and the retry resumes from the cursor', async () => {
    // Prepare
    await seed('flaky', ['f1'], 3);
    let failing = true;
    const poster = recordingPoster(() => (failing ? 'fail' : 'ok'));
    const service = createLiveService({
      connections: createConnectionRepository(table), subscriptions: createSubscriptionRepository(table), events: createEventLogRepository(table),
      poster, access: { canView: async () => true },
    });
    const fanout = createWsFanoutHandler(service);
    const record = (seq: number) => ({
      eventName: 'INSERT' as const,
      dynamodb: { SequenceNumber: String(seq), NewImage: { PK: { S: 'RUN#flaky' }, SK: { S: `EV#${String(seq).padStart(10, '0')}` } } },
    });
    // Act
    const first = await fanout({ Records: [record(1), record(2)] });
    failing = false;
    const retry = await fanout({ Records: [record(1), record(2)] });
    // Assess
    expect(first).toStrictEqual({ batchItemFailures: [{ itemIdentifier: '1' }] });
    expect(retry).toStrictEqual({ batchItemFailures: [] });
    expect(poster.got.get('f1')).toStrictEqual([1, 2, 3]);
  });
});

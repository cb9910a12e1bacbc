/**
 * The event log's round-trip savings (`AppendOptions`, ARCHITECTURE.md "Fewer round trips per node"): each keeps
 * the log exactly-once and gap-free, including when the writer stops between two of its writes. Round trips are
 * counted on an instrumented client (a deterministic guard, no timing).
 */
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventLogRepository, EVENT_LOG_LIMITS, type NewRunEvent } from '../../shared/store/events';
import { keys, type TableRef } from '../../shared/store/table';
import { NODE_BINDINGS_SK_PREFIX } from '../../shared/store/event-log-bindings';
import { startTable, type LocalTable } from './helpers';

let table: LocalTable;
beforeAll(async () => { table = await startTable(); });
afterAll(async () => { await table.close(); });

const at = '2025-01-01T00:00:00.000Z';
const started = (nodeId: string, attempt = 0): NewRunEvent => ({ type: 'node.started', nodeId, at, data: { attempt } });
const succeeded = (nodeId: string): NewRunEvent => ({ type: 'node.succeeded', nodeId, at, data: {} });

/** The table with a client that counts the commands it sends, by name. */
function counting(ref: TableRef): { table: TableRef; calls: string[] } {
  const calls: string[] = [];
  const client = new Proxy(ref.client, {
    get(target, prop, receiver) {
      if (prop !== 'send') return Reflect.get(target, prop, receiver);
      return (command: { constructor: { name: string } }) => {
        calls.push(command.constructor.name.replace(/Command$/, ''));
        return target.send(command as never);
      };
    },
  }) as DynamoDBDocumentClient;
  return { table: { client, tableName: ref.tableName }, calls };
}

async function head(runId: string): Promise<Record<string, any> | undefined> {
  return (await table.client.send(new GetCommand({ TableName: table.tableName, Key: keys.eventLog(runId), ConsistentRead: true }))).Item;
}
async function nodeBindings(runId: string, nodeKey: string): Promise<Record<string, unknown> | undefined> {
  return (await table.client.send(new GetCommand({ TableName: table.tableName, Key: { PK: keys.eventLog(runId).PK, SK: `${NODE_BINDINGS_SK_PREFIX}${nodeKey}` }, ConsistentRead: true }))).Item;
}

describe('event log: appends with fewer round trips', () => {
  it('records a node attempt\'s start and success together in 3 round trips, and leaves both entries for the next append to clear', async () => {
    // Prepare
    const probe = counting(table);
    const log = createEventLogRepository(probe.table);
    await log.append('o1', 'run.started', { type: 'run.started', at, data: {} });
    probe.calls.length = 0;
    // Act: what the executor does for a quick first attempt that succeeds
    const results = await log.appendAll('o1', [{ transitionKey: 'node.started:a:0', event: started('a') }, { transitionKey: 'node.succeeded:a', event: succeeded('a') }], { fresh: true });
    // Assess: one claim (clearing run.started's entry), one binding update for both keys, one batch of event items
    expect(probe.calls).toStrictEqual(['Update', 'Update', 'BatchWrite']);
    expect(results.map((r) => [r.event.seq, r.created])).toStrictEqual([[2, true], [3, true]]);
    expect(Object.keys((await head('o1'))?.pending ?? {}).sort()).toStrictEqual(['node.started:a:0', 'node.succeeded:a']);
    expect(await nodeBindings('o1', 'a')).toMatchObject({ 'node.started:a:0': 2, 'node.succeeded:a': 3 });
    expect((await log.list('o1')).events.map((e) => [e.seq, e.type])).toStrictEqual([[1, 'run.started'], [2, 'node.started'], [3, 'node.succeeded']]);
    // The next append clears them in its claim
    await log.append('o1', 'node.started:b:0', started('b'), { fresh: true });
    expect(Object.keys((await head('o1'))?.pending ?? {})).toStrictEqual(['node.started:b:0']);
  });

  it('keeps both transitions once when the writer stops after appending them and each is appended again', async () => {
    // Prepare: the writer appended both (entries kept on the head) and stopped
    const log = createEventLogRepository(table);
    const [first, second] = await log.appendAll('o2', [{ transitionKey: 'node.started:a:0', event: started('a') }, { transitionKey: 'node.succeeded:a', event: succeeded('a') }], { fresh: true });
    // Act: a retry appends them again, without `fresh` (one by one and together); then a reader lists
    const again = await createEventLogRepository(table).append('o2', 'node.started:a:0', started('a'));
    const both = await createEventLogRepository(table).appendAll('o2', [{ transitionKey: 'node.started:a:0', event: started('a') }, { transitionKey: 'node.succeeded:a', event: succeeded('a') }]);
    const page = await createEventLogRepository(table).list('o2');
    // Assess
    expect(again).toStrictEqual({ event: first!.event, created: false });
    expect(both).toStrictEqual([{ event: first!.event, created: false }, { event: second!.event, created: false }]);
    expect(page.events.map((e) => e.type)).toStrictEqual(['node.started', 'node.succeeded']);
    expect((await head('o2'))?.pending).toStrictEqual({});
  });

  it('answers a key recorded before from its binding and appends the rest: a start in the log, a success not yet', async () => {
    // Prepare: the start was appended on its own (a slow call), and a reader settled it
    const log = createEventLogRepository(table);
    const first = await log.append('o3', 'node.started:a:0', started('a'), { fresh: true, keepPending: true });
    await createEventLogRepository(table).list('o3');
    // Act
    const results = await createEventLogRepository(table).appendAll('o3', [{ transitionKey: 'node.started:a:0', event: started('a') }, { transitionKey: 'node.succeeded:a', event: succeeded('a') }]);
    // Assess
    expect(results.map((r) => [r.event.seq, r.created])).toStrictEqual([[first.event.seq, false], [2, true]]);
    expect((await log.list('o3')).events.map((e) => e.type)).toStrictEqual(['node.started', 'node.succeeded']);
  });

  it('turns a fresh joint append of an already recorded key into a filler, never a second copy', async () => {
    // Prepare: the success is recorded and its head entry cleared (only the binding remembers it)
    const log = createEventLogRepository(table);
    const first = await log.append('o6', 'node.succeeded:a', succeeded('a'));
    await log.list('o6');
    // Act: a writer that wrongly believed both transitions fresh
    const results = await createEventLogRepository(table).appendAll('o6', [{ transitionKey: 'node.started:a:1', event: started('a', 1) }, { transitionKey: 'node.succeeded:a', event: succeeded('a') }], { fresh: true });
    // Assess
    expect(results[0]!.created).toBe(true);
    expect(results[1]).toStrictEqual({ event: first.event, created: false });
    expect((await log.list('o6')).events.map((e) => e.type)).toStrictEqual(['node.succeeded', 'node.started', 'log.filler']);
  });

  it('records each key once when two writers append the same transitions together at once', async () => {
    // Act
    const entries = [{ transitionKey: 'node.started:a:0', event: started('a') }, { transitionKey: 'node.succeeded:a', event: succeeded('a') }];
    const [one, two] = await Promise.all([createEventLogRepository(table).appendAll('o7', entries, { fresh: true }), createEventLogRepository(table).appendAll('o7', entries, { fresh: true })]);
    // Assess
    const page = await createEventLogRepository(table).list('o7');
    expect(page.events.map((e) => e.seq)).toStrictEqual(page.events.map((_, i) => i + 1));
    expect(page.events.filter((e) => e.type !== 'log.filler').map((e) => e.type)).toStrictEqual(['node.started', 'node.succeeded']);
    expect([...one!, ...two!].filter((r) => r.created)).toHaveLength(2);
  });

  it('reads a binding a previous version wrote per key', async () => {
    // Prepare: the per-key binding item and event of the previous layout
    await table.client.send(new PutCommand({ TableName: table.tableName, Item: { ...keys.transition('o8', 'node.started:a:0'), seq: 1 } }));
    await table.client.send(new PutCommand({ TableName: table.tableName, Item: { ...keys.eventLog('o8'), runId: 'o8', lastSeq: 1, pending: {}, pseq: {} } }));
    await table.client.send(new PutCommand({ TableName: table.tableName, Item: { ...keys.event('o8', 1), runId: 'o8', seq: 1, type: 'node.started', nodeId: 'a', at, data: { attempt: 0 } } }));
    // Act
    const log = createEventLogRepository(table);
    const again = await log.append('o8', 'node.started:a:0', started('a'));
    // Assess
    expect(again.created).toBe(false);
    expect(await log.isRecorded('o8', 'node.started:a:0')).toBe(true);
    expect((await log.list('o8')).events).toHaveLength(1);
  });

  it('turns a fresh append of an already recorded key into a filler, never a second copy', async () => {
    // Prepare
    const log = createEventLogRepository(table);
    const first = await log.append('o4', 'node.succeeded:a', succeeded('a'));
    await log.list('o4'); // a reader clears the head's entry: only the binding item remembers the key
    // Act: a writer that wrongly believed the transition fresh
    const again = await createEventLogRepository(table).append('o4', 'node.succeeded:a', succeeded('a'), { fresh: true });
    // Assess
    expect(again).toStrictEqual({ event: first.event, created: false });
    expect((await log.list('o4')).events.map((e) => e.type)).toStrictEqual(['node.succeeded', 'log.filler']);
  });

  it('bounds the head when many processes each leave their last entry', async () => {
    // Prepare: more processes than the head may hold entries, each appending once
    const logs = Array.from({ length: EVENT_LOG_LIMITS.maxPendingEntries + 8 }, () => createEventLogRepository(table));
    // Act
    for (const [i, log] of logs.entries()) await log.append('o5', `node.started:n${i}:0`, started(`n${i}`));
    // Assess
    expect(Object.keys((await head('o5'))?.pending ?? {}).length).toBeLessThanOrEqual(EVENT_LOG_LIMITS.maxPendingEntries);
    const page = await logs[0]!.list('o5');
    expect(page.events.map((e) => e.seq)).toStrictEqual(logs.map((_, i) => i + 1));
  });
});

/**
 * The event log's round-trip savings (`AppendOptions`, ARCHITECTURE.md "Fewer round trips per node"): each keeps
 * the log exactly-once and gap-free, including when the writer stops between two of its writes. Round trips are
 * counted on an instrumented client (a deterministic guard, no timing).
 */
import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventLogRepository, EVENT_LOG_LIMITS, type NewRunEvent } from '../../shared/store/events';
import { keys, type TableRef } from '../../shared/store/table';
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
async function binding(runId: string, transitionKey: string): Promise<unknown> {
  return (await table.client.send(new GetCommand({ TableName: table.tableName, Key: keys.transition(runId, transitionKey), ConsistentRead: true }))).Item?.seq;
}

describe('event log: appends with fewer round trips', () => {
  it('records a node attempt\'s two events in 5 round trips, and leaves the head with only the last entry', async () => {
    // Prepare
    const probe = counting(table);
    const log = createEventLogRepository(probe.table);
    await log.append('o1', 'run.started', { type: 'run.started', at, data: {} });
    probe.calls.length = 0;
    // Act: what the executor does for a first attempt that succeeds
    const first = await log.append('o1', 'node.started:a:0', started('a'), { fresh: true, keepPending: true, sole: true });
    const second = await log.append('o1', 'node.succeeded:a', succeeded('a'), { fresh: true, clears: [{ transitionKey: 'node.started:a:0', seq: first.event.seq }] });
    // Assess: started = claim + event; succeeded = claim (clearing started and run.started) + binding + event
    expect(probe.calls).toStrictEqual(['Update', 'Put', 'Update', 'Put', 'Put']);
    expect(Object.keys((await head('o1'))?.pending ?? {})).toStrictEqual(['node.succeeded:a']);
    expect(await binding('o1', 'node.started:a:0')).toBeUndefined();
    expect((await log.list('o1')).events.map((e) => [e.seq, e.type])).toStrictEqual([[1, 'run.started'], [2, 'node.started'], [3, 'node.succeeded']]);
    expect(second.created).toBe(true);
  });

  it('keeps a sole writer\'s transition once when it stops before clearing it and the attempt is delivered again', async () => {
    // Prepare: the writer appended node.started (kept, no binding item) and stopped
    const log = createEventLogRepository(table);
    const first = await log.append('o2', 'node.started:a:0', started('a'), { fresh: true, keepPending: true, sole: true });
    // Act: the redelivery finds the node running, so it appends without `fresh`; then a reader lists
    const again = await createEventLogRepository(table).append('o2', 'node.started:a:0', started('a'));
    const page = await createEventLogRepository(table).list('o2');
    // Assess
    expect(again).toStrictEqual({ event: first.event, created: false });
    expect(page.events.map((e) => e.type)).toStrictEqual(['node.started']);
    expect((await head('o2'))?.pending).toStrictEqual({});
    expect(await binding('o2', 'node.started:a:0')).toBe(first.event.seq);
  });

  it('settles a kept entry when a reader comes first: the binding is written, and a later append of the key is a repeat', async () => {
    // Prepare
    const log = createEventLogRepository(table);
    const first = await log.append('o3', 'node.started:a:0', started('a'), { fresh: true, keepPending: true, sole: true });
    // Act
    await createEventLogRepository(table).list('o3');
    const later = await log.append('o3', 'node.succeeded:a', succeeded('a'), { fresh: true, clears: [{ transitionKey: 'node.started:a:0', seq: first.event.seq }] });
    const again = await createEventLogRepository(table).append('o3', 'node.started:a:0', started('a'));
    // Assess
    expect(later.event.seq).toBe(2);
    expect(again).toStrictEqual({ event: first.event, created: false });
    expect((await log.list('o3')).events.map((e) => e.type)).toStrictEqual(['node.started', 'node.succeeded']);
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

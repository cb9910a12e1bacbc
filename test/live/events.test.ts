import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventLogRepository, type NewRunEvent } from '../../shared/store/events';
import { keys } from '../../shared/store/table';
import { startTable, type LocalTable } from './helpers';

let table: LocalTable;
beforeAll(async () => { table = await startTable(); });
afterAll(async () => { await table.close(); });

const at = '2025-01-01T00:00:00.000Z';
const started = (nodeId: string, attempt = 0): NewRunEvent => ({ type: 'node.started', nodeId, at, data: { attempt } });

describe('event log', () => {
  it('assigns seq 1, 2, 3 to successive transitions', async () => {
    // Prepare
    const log = createEventLogRepository(table);
    // Act
    const a = await log.append('r1', 'run.started', { type: 'run.started', at, data: {} });
    const b = await log.append('r1', 'node.started:a:0', started('a'));
    const c = await log.append('r1', 'node.succeeded:a', { type: 'node.succeeded', nodeId: 'a', at, data: {} });
    // Assess
    expect([a.event.seq, b.event.seq, c.event.seq]).toStrictEqual([1, 2, 3]);
    expect((await log.list('r1')).events).toStrictEqual([a.event, b.event, c.event]);
  });

  it('records a repeated transition key once and returns the first event', async () => {
    // Prepare
    const log = createEventLogRepository(table);
    const first = await log.append('r2', 'node.started:a:0', started('a'));
    // Act
    const again = await log.append('r2', 'node.started:a:0', { ...started('a'), data: { attempt: 99 } });
    // Assess
    expect(again).toStrictEqual({ event: first.event, created: false });
    expect((await log.list('r2')).events).toHaveLength(1);
  });

  it('lists after a seq with a limit', async () => {
    // Prepare
    const log = createEventLogRepository(table);
    for (let i = 0; i < 7; i += 1) await log.append('r3', `node.started:n${i}:0`, started(`n${i}`));
    // Act
    const page = await log.list('r3', { after: 2, limit: 3 });
    // Assess
    expect(page.events.map((e) => e.seq)).toStrictEqual([3, 4, 5]);
    expect(page.lastSeq).toBe(7);
  });

  it('lists an unknown run as empty', async () => {
    // Prepare
    const log = createEventLogRepository(table);
    // Act
    const page = await log.list('nope');
    // Assess
    expect(page).toStrictEqual({ events: [], lastSeq: 0 });
  });

  it('gives concurrent appends distinct seqs with no gap and no duplicate', async () => {
    // Prepare
    const log = createEventLogRepository(table);
    const writers = 10;
    // Act: each transition is appended twice at once, as a doubly delivered task would.
    const results = await Promise.all(
      Array.from({ length: writers * 2 }, (_, i) => log.append('r4', `node.started:n${i % writers}:0`, started(`n${i % writers}`))),
    );
    // Assess
    const listed = (await log.list('r4', { limit: 1000 })).events;
    expect(listed.map((e) => e.seq)).toStrictEqual(Array.from({ length: writers }, (_, i) => i + 1));
    expect(new Set(listed.map((e) => e.nodeId)).size).toBe(writers);
    expect(results.filter((r) => r.created)).toHaveLength(writers);
    for (const r of results) expect(listed[r.event.seq - 1]).toStrictEqual(r.event);
  });

  it('settles an event whose writer crashed after claiming its seq, before binding its key', async () => {
    // Prepare: the head claimed seq 2 for node.started:a:0 and parked the event; nothing else was written
    const log = createEventLogRepository(table);
    await log.append('r7', 'run.started', { type: 'run.started', at, data: {} });
    const orphan = started('a');
    await table.client.send(new UpdateCommand({
      TableName: table.tableName,
      Key: keys.eventLog('r7'),
      UpdateExpression: 'SET lastSeq = :two, #pseq.#tk = :two, #pending.#tk = :event',
      ExpressionAttributeNames: { '#pseq': 'pseq', '#tk': 'node.started:a:0', '#pending': 'pending' },
      ExpressionAttributeValues: { ':two': 2, ':event': orphan },
    }));
    // Act: a reader lists, then the crashed writer's retry appends the same transition
    const page = await log.list('r7');
    const retried = await log.append('r7', 'node.started:a:0', orphan);
    // Assess
    expect(page.events).toStrictEqual([{ runId: 'r7', seq: 1, type: 'run.started', at, data: {} }, { runId: 'r7', seq: 2, ...orphan }]);
    expect(retried).toStrictEqual({ event: { runId: 'r7', seq: 2, ...orphan }, created: false });
    const head = await table.client.send(new GetCommand({ TableName: table.tableName, Key: keys.eventLog('r7') }));
    expect(head.Item).toMatchObject({ lastSeq: 2, pending: {}, pseq: {} });
  });

  it('fills the seq of a writer that lost the race for its key, and records the transition once', async () => {
    // Prepare: the key is bound to seq 1 already; a late writer (it found no binding before) claimed seq 2
    const log = createEventLogRepository(table);
    const first = await log.append('r8', 'node.started:a:0', started('a'));
    await table.client.send(new UpdateCommand({
      TableName: table.tableName,
      Key: keys.eventLog('r8'),
      UpdateExpression: 'SET lastSeq = :two, #pseq.#tk = :two, #pending.#tk = :event',
      ExpressionAttributeNames: { '#pseq': 'pseq', '#tk': 'node.started:a:0', '#pending': 'pending' },
      ExpressionAttributeValues: { ':two': 2, ':event': started('a') },
    }));
    // Act
    const again = await log.append('r8', 'node.started:a:0', started('a'));
    const page = await log.list('r8');
    // Assess: seq stays gap-free, the transition appears once, the lost seq holds a filler
    expect(again).toStrictEqual({ event: first.event, created: false });
    expect(page.events.map((e) => [e.seq, e.type])).toStrictEqual([[1, 'node.started'], [2, 'log.filler']]);
  });

  it('keeps the head the same size however long the log grows', async () => {
    // Prepare
    const log = createEventLogRepository(table);
    const headBytes = async () => JSON.stringify((await table.client.send(new GetCommand({ TableName: table.tableName, Key: keys.eventLog('r9') }))).Item).length;
    await log.append('r9', 'node.started:n0:0', started('n0'));
    const small = await headBytes();
    // Act
    for (let i = 1; i < 60; i++) await log.append('r9', `node.started:n${i}:0`, started(`n${i}`));
    // Assess: the head keeps this process's last settled entry (cleared by its next append), so it differs only by
    // the longer key, node id and seq digits of the last entry
    expect(await headBytes()).toBeLessThanOrEqual(small + 8);
    expect((await log.list('r9')).lastSeq).toBe(60);
  });

  it('materializes the pending event of a head written by the previous version (keys in the head)', async () => {
    // Prepare: a head that claimed seq 2 with the event still pending, as a crashed writer leaves it.
    const log = createEventLogRepository(table);
    await log.append('r5', 'run.started', { type: 'run.started', at, data: {} });
    const orphan = started('a');
    await table.client.send(new UpdateCommand({
      TableName: table.tableName,
      Key: keys.eventLog('r5'),
      // The previous version's layout: every key in `keys`, no `pseq`.
      UpdateExpression: 'SET lastSeq = :two, #keys = :keys, #pending.#tk = :event REMOVE #pseq',
      ExpressionAttributeNames: { '#keys': 'keys', '#tk': 'node.started:a:0', '#pending': 'pending', '#pseq': 'pseq' },
      ExpressionAttributeValues: { ':two': 2, ':event': orphan, ':keys': { 'run.started': 1, 'node.started:a:0': 2 } },
    }));
    // Act
    const page = await log.list('r5');
    // Assess
    expect(page.events).toStrictEqual([
      { runId: 'r5', seq: 1, type: 'run.started', at, data: {} },
      { runId: 'r5', seq: 2, ...orphan },
    ]);
    const head = await table.client.send(new GetCommand({ TableName: table.tableName, Key: keys.eventLog('r5') }));
    expect(head.Item?.pending).toStrictEqual({});
    // …and the next append on that head works, its old keys still recorded once
    expect((await log.append('r5', 'node.started:a:0', orphan)).created).toBe(false);
    expect((await log.append('r5', 'node.started:b:0', started('b'))).event.seq).toBe(3);
  });

  it('lets a retried transition finish the event of a previous-version head', async () => {
    // Prepare: the head claimed seq 1 for the key, the event item was never written.
    const log = createEventLogRepository(table);
    await table.client.send(new UpdateCommand({
      TableName: table.tableName,
      Key: keys.eventLog('r6'),
      UpdateExpression: 'SET lastSeq = :one, #keys = :keys, #pending = :pending',
      ExpressionAttributeNames: { '#keys': 'keys', '#pending': 'pending' },
      ExpressionAttributeValues: { ':one': 1, ':keys': { 'run.started': 1 }, ':pending': { 'run.started': { type: 'run.started', at, data: {} } } },
    }));
    // Act
    const retried = await log.append('r6', 'run.started', { type: 'run.started', at, data: {} });
    // Assess
    expect(retried).toStrictEqual({ event: { runId: 'r6', seq: 1, type: 'run.started', at, data: {} }, created: false });
    expect((await log.list('r6')).events).toStrictEqual([retried.event]);
  });
});

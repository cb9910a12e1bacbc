/**
 * The run event log: an ordered, gap-free, exactly-once log of a run's transitions, whose appends cost the same
 * however long the log is.
 *
 * Algorithm (ARCHITECTURE.md, "Event log"): a binding binds each transition key to its seq, once (a `TK#<key>` item;
 * a node's start and success keys on one `TN#<node>` item, `event-log-bindings.ts`); the `LOG` head holds `lastSeq` and only the appends in flight (`pending`: key -> event, `pseq`: key ->
 * seq). An append reads the binding (recorded already?), claims the next seq with ONE conditional update of the
 * head that increments `lastSeq` server-side (DynamoDB serializes concurrent appends on the item, so writers never
 * retry on contention), then settles it: binds the key (conditional put, the first binding wins), puts `EV#<seq>`,
 * clears the pending entry. Readers settle pending entries first, so a crash between the writes leaves no gap; a
 * writer whose binding lost (another writer of the same key finished first) leaves a `log.filler` at its seq.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { BraidError } from '../errors';
import { boundErrorInfo } from '../model/error-bounds';
import type { ErrorInfo, RunEvent } from '../model/types';
import { translateStoreError } from './errors';
import { createBindings } from './event-log-bindings';
import { createSettledEntries } from './event-log-settled';
import { keys, type TableRef } from './table';
import { ERROR_NAMES } from '../contract/error-names';

/** An event to append: everything but `runId` and `seq`, which the log assigns. */
export type NewRunEvent = Omit<RunEvent, 'runId' | 'seq'>;

/**
 * An event within the stored bounds: its `error` bounded like every stored error, so the log head (which holds
 * pending events) and each event item stay far below DynamoDB's item limit. (Other data is bounded where it is
 * accepted: a gate comment by its schema, outputs are never in events.)
 */
export function boundEvent(event: NewRunEvent): NewRunEvent {
  let data: Record<string, unknown> | undefined;
  const value = event.data.error;
  if (value && typeof value === 'object' && 'name' in value && 'message' in value) data = { ...event.data, error: boundErrorInfo(value as ErrorInfo) };
  return data ? { ...event, data } : event;
}

/** What `append` returns: the recorded event and whether this call added it. */
export interface AppendResult {
  event: RunEvent;
  /** `false` when the transition key was already recorded (a repeated delivery). */
  created: boolean;
}

/**
 * How an append may save round trips (ARCHITECTURE.md, "Event log", "Fewer round trips per node"). Every
 * option keeps the log exactly-once and gap-free: the binding put still decides, and whatever is left pending is
 * settled by the next reader.
 */
export interface AppendOptions {
  /**
   * The caller has just won the conditional write that makes this transition (a node's status moved), so the
   * key is almost surely unbound: skip the read of its binding. Should it be bound after all (a redelivery after
   * a crash), the binding put loses and this seq holds a `log.filler`, as when two appends race.
   * @default false
   */
  fresh?: boolean;
  /**
   * Leave this append's pending entry on the head once its binding and item are written: the caller clears it in
   * the claim update of its next append (`clears`), or a reader does. Saves the clearing update.
   * @default false
   */
  keepPending?: boolean;
  /** Entries this caller settled with `keepPending`, cleared in this append's claim update (no extra round trip). */
  clears?: ReadonlyArray<{ transitionKey: string; seq: number }>;
}

/** One page of events. */
export interface EventPage {
  /** Events with `seq > after`, in `seq` order. */
  events: RunEvent[];
  /** The head's `lastSeq` when the page was read (0 for an empty log). */
  lastSeq: number;
}

/** Limits of the event log. */
export const EVENT_LOG_LIMITS = {
  /** Default page size of `list`. */
  defaultPageSize: 100,
  /** Largest page size of `list`. */
  maxPageSize: 1_000,
  /** Attempts at an append whose head item is being created concurrently before `EventLogContentionError`. */
  maxAppendAttempts: 5,
  /**
   * Most entries the head holds before an append settles them all first. Settled entries stay until the same
   * process's next append to the run clears them (one per process and run) and in-flight ones are few, so this
   * only bounds the head (each entry ≤ a bounded event, a few KB) far below DynamoDB's 400 KB.
   */
  maxPendingEntries: 32,
  /** Runs whose settled entries a process remembers for clearing (least recently appended first out). */
  maxRememberedRuns: 10_000,
} as const;

/**
 * Too many writers raced for the same run's log; retrying later may succeed. Its `name` is the ASL error
 * name `Braid.Transient`, so an executor may let it propagate to the state machine's service retry.
 */
export class EventLogContentionError extends BraidError {
  readonly runId: string;
  constructor(runId: string, options?: { cause?: unknown }) {
    super('event_log_contention', `event log of run ${runId} is too contended`, options);
    this.name = ERROR_NAMES.transient;
    this.runId = runId;
  }
}

/** Reads and appends a run's event log. */
export interface EventLogRepository {
  /**
   * Records a transition once. A transition key seen before returns the event it recorded, with `created: false`.
   * @example await log.append(runId, `node.started:${nodeId}:${attempt}`, { type: 'node.started', nodeId, at, data: { attempt } })
   */
  append(runId: string, transitionKey: string, event: NewRunEvent, options?: AppendOptions): Promise<AppendResult>;
  /**
   * Records several transitions, in this order, on consecutive seqs when it can: one claim update of the head for
   * all of them, their bindings in one conditional update per node (`event-log-bindings.ts`), their event items in
   * one `BatchWriteItem` (issue 18: a node's start and success together cost three round trips). Whenever that does
   * not hold (a key bound or in flight already, a full or missing head) it appends them one by one, with the same
   * guarantees as `append`; each result is what `append` would return for its key.
   */
  appendAll(runId: string, entries: ReadonlyArray<{ transitionKey: string; event: NewRunEvent }>, options?: AppendOptions): Promise<AppendResult[]>;
  /** Lists events with `seq > after` (default 0), at most `limit`, materializing pending events first. */
  list(runId: string, options?: { after?: number; limit?: number }): Promise<EventPage>;
  /** The last seq assigned (0 when the run has no events), after materializing pending events. */
  lastSeq(runId: string): Promise<number>;
  /**
   * True when the transition is recorded: its key is bound to a seq (one consistent read, no settling). `false`
   * also while an append of it is in flight (or for a key an older version recorded): appending it then finds that
   * append's seq, so "append unless recorded" is always safe. For a retried writer that may have lost its event.
   */
  isRecorded(runId: string, transitionKey: string): Promise<boolean>;
}

interface HeadItem {
  lastSeq: number;
  /** In-flight appends by transition key: the event, until it has its own item. */
  pending: Record<string, NewRunEvent>;
  /** The seq each in-flight append claimed, by transition key. */
  pseq: Record<string, number>;
  /** Transition keys recorded before transition items existed (logs written by an older version). */
  legacyKeys: Record<string, number>;
}

/** The type of the event that fills a seq whose transition turned out to be recorded already (see below). */
export const FILLER_EVENT_TYPE: RunEvent['type'] = 'log.filler';

/** Creates the event log repository over the Braid table. */
export function createEventLogRepository(table: TableRef): EventLogRepository {
  const { client, tableName } = table;
  // Entries this process settled but left on the head, cleared by its next append to the run (event-log-settled.ts).
  const settledHere = createSettledEntries(EVENT_LOG_LIMITS.maxRememberedRuns);
  const leaveSettled = settledHere.leave;
  const takeSettled = settledHere.take;
  const { boundSeq, boundSeqs, bind, bindAll } = createBindings(table, guard);

  async function readHead(runId: string): Promise<HeadItem | undefined> {
    const out = await guard(client.send(new GetCommand({ TableName: tableName, Key: keys.eventLog(runId), ConsistentRead: true })));
    if (!out.Item) return undefined;
    return {
      lastSeq: Number(out.Item.lastSeq ?? 0),
      pending: (out.Item.pending ?? {}) as Record<string, NewRunEvent>,
      pseq: (out.Item.pseq ?? {}) as Record<string, number>,
      legacyKeys: (out.Item.keys ?? {}) as Record<string, number>,
    };
  }

  /**
   * Binds `transitionKey` to `seq` (the one decision point: the first binding wins), writes `EV#<seq>` (the
   * event, or a filler when the key was bound to another seq) and clears the head's pending entry. Any writer
   * or reader may call it for any pending entry, any number of times: every step is conditional.
   */
  async function settle(runId: string, transitionKey: string, seq: number, event: NewRunEvent, keepPending: false | 'caller' | 'process' = false): Promise<{ event: RunEvent; bound: boolean }> {
    const bound = await bind(runId, transitionKey, seq);
    const full = recordedAt(runId, seq, event, bound);
    try {
      // Conditional so a repeated materialization makes no second stream record.
      await guard(client.send(new PutCommand({ TableName: tableName, Item: { ...keys.event(runId, seq), ...full }, ConditionExpression: 'attribute_not_exists(PK)' })));
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    // Bound to another seq: this entry must go now (it is a filler's). Kept: the caller's (or this process's) next
    // append to the run clears it.
    if (keepPending && bound) {
      if (keepPending === 'process') leaveSettled(runId, transitionKey, seq);
      return { event: full, bound };
    }
    await clearEntry(runId, transitionKey, seq);
    return { event: full, bound };
  }

  /** Removes a settled entry from the head (only this seq's: a racing writer may have parked a newer one). */
  async function clearEntry(runId: string, transitionKey: string, seq: number): Promise<void> {
    try {
      await guard(client.send(new UpdateCommand({
        TableName: tableName,
        Key: keys.eventLog(runId),
        UpdateExpression: 'REMOVE #pending.#tk, #pseq.#tk',
        // Only this seq's entry (a racing writer may have parked a newer one for the same key); an older
        // version's entry has no pseq.
        ConditionExpression: '#pseq.#tk = :seq OR (attribute_not_exists(#pseq.#tk) AND attribute_exists(#pending.#tk))',
        ExpressionAttributeNames: { '#pending': 'pending', '#pseq': 'pseq', '#tk': transitionKey },
        ExpressionAttributeValues: { ':seq': seq },
      })));
    } catch (error) {
      if (error instanceof Error && error.name === 'ValidationException') {
        // A head written by the previous version has no `pseq` map: its pending entry is cleared alone.
        await guard(client.send(new UpdateCommand({
          TableName: tableName, Key: keys.eventLog(runId), UpdateExpression: 'REMOVE #pending.#tk',
          ExpressionAttributeNames: { '#pending': 'pending', '#tk': transitionKey },
        })));
      } else if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  /** Settles every pending entry of the head, lowest seq first. */
  async function settleAll(runId: string, head: HeadItem): Promise<void> {
    const entries = Object.entries(head.pending)
      // A pending entry of an older version's head has its seq in `keys`.
      .map(([tk, event]) => ({ tk, event, seq: head.pseq[tk] ?? head.legacyKeys[tk] }))
      .filter((e): e is { tk: string; event: NewRunEvent; seq: number } => e.seq !== undefined)
      .sort((a, b) => a.seq - b.seq);
    for (const { tk, event, seq } of entries) await settle(runId, tk, seq, event);
  }

  async function getEvent(runId: string, seq: number): Promise<RunEvent> {
    const out = await guard(client.send(new GetCommand({ TableName: tableName, Key: keys.event(runId, seq), ConsistentRead: true })));
    if (!out.Item) throw new BraidError('event_missing', `event ${seq} of run ${runId} is missing`);
    return fromItem(out.Item);
  }

  /** The event recorded for a bound transition, settling the head first if its item is not written yet. */
  async function recorded(runId: string, seq: number): Promise<RunEvent> {
    const head = await readHead(runId);
    if (head) await settleAll(runId, head);
    return getEvent(runId, seq);
  }

  /** Creates an empty head; a concurrent creator winning is fine. */
  async function createHead(runId: string): Promise<void> {
    try {
      await guard(client.send(new PutCommand({
        TableName: tableName,
        Item: { ...keys.eventLog(runId), runId, lastSeq: 0, pending: {}, pseq: {} },
        ConditionExpression: 'attribute_not_exists(PK)',
      })));
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  /**
   * Claims the next seq for the transition in one update of the head (server-side increment), parking the event
   * until it has its own item; on a lost condition, the seq an in-flight append of the same key claimed.
   * `'no-head'`: the head does not exist yet; `'recorded'`: the key is bound already (or recorded by an older
   * version, whose seq is returned as `legacy`); `'retry'`: the key was settled meanwhile, look again.
   */
  async function claim(runId: string, transitionKey: string, event: NewRunEvent, clears: ReadonlyArray<{ transitionKey: string; seq: number }> = []): Promise<{ seq: number; mine: boolean } | { legacy: number } | 'no-head' | 'retry'> {
    const names: Record<string, string> = { '#pseq': 'pseq', '#tk': transitionKey, '#pending': 'pending', '#keys': 'keys' };
    const values: Record<string, unknown> = { ':one': 1, ':event': event };
    const { removes, kept } = clearing(clears, [transitionKey], names, values);
    try {
      const out = await guard(client.send(new UpdateCommand({
        TableName: tableName,
        Key: keys.eventLog(runId),
        // Both `lastSeq + :one` read the value before the update, so the pending entry gets the new seq.
        UpdateExpression: `SET lastSeq = lastSeq + :one, #pseq.#tk = lastSeq + :one, #pending.#tk = :event${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`,
        ConditionExpression: ['attribute_exists(PK) AND attribute_not_exists(#pseq.#tk) AND attribute_not_exists(#keys.#tk)', '(attribute_not_exists(#pending) OR size(#pending) < :maxPending)', ...kept].join(' AND '),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: { ...values, ':maxPending': EVENT_LOG_LIMITS.maxPendingEntries },
        ReturnValues: 'UPDATED_NEW',
      })));
      return { seq: Number(out.Attributes?.lastSeq), mine: true };
    } catch (error) {
      if (clears.length > 0 && error instanceof ConditionalCheckFailedException) {
        // The lost condition may be a cleared entry's: clear those on their own, then claim as usual.
        for (const c of clears) await clearEntry(runId, c.transitionKey, c.seq);
        return claim(runId, transitionKey, event);
      }
      if (error instanceof Error && error.name === 'ValidationException') {
        // A head written by the previous version has no `pseq` map: add it, then claim again.
        await guard(client.send(new UpdateCommand({
          TableName: tableName, Key: keys.eventLog(runId),
          UpdateExpression: 'SET #pseq = if_not_exists(#pseq, :empty), #pending = if_not_exists(#pending, :empty)',
          ExpressionAttributeNames: { '#pseq': 'pseq', '#pending': 'pending' }, ExpressionAttributeValues: { ':empty': {} },
        })));
        return 'retry';
      }
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const head = await readHead(runId);
      if (!head) return 'no-head';
      const legacy = head.legacyKeys[transitionKey];
      if (legacy !== undefined) return { legacy };
      const inFlight = head.pseq[transitionKey];
      // Claimed by another writer (or by this one, if an earlier try applied before the store failed).
      if (inFlight !== undefined) return { seq: inFlight, mine: false };
      // A full head: settle (and so clear) every entry, then claim again.
      if (Object.keys(head.pending).length >= EVENT_LOG_LIMITS.maxPendingEntries) await settleAll(runId, head);
      return 'retry';
    }
  }

  /**
   * Claims consecutive seqs for every entry in ONE update of the head, parking their events; `undefined` when the
   * update did not hold (no head, a full head, a key in flight or recorded by an older version): the caller then
   * appends one by one, which handles each of those. The cleared entries are gone or not the caller's any more.
   */
  async function claimAll(runId: string, entries: ReadonlyArray<{ transitionKey: string; event: NewRunEvent }>, clears: ReadonlyArray<{ transitionKey: string; seq: number }>): Promise<number[] | undefined> {
    const names: Record<string, string> = { '#pseq': 'pseq', '#pending': 'pending', '#keys': 'keys' };
    const values: Record<string, unknown> = { ':n': entries.length, ':room': EVENT_LOG_LIMITS.maxPendingEntries - entries.length + 1 };
    const sets = ['lastSeq = lastSeq + :n'];
    const conditions = ['attribute_exists(PK)', '(attribute_not_exists(#pending) OR size(#pending) < :room)'];
    entries.forEach((e, i) => {
      names[`#k${i}`] = e.transitionKey;
      values[`:e${i}`] = e.event;
      values[`:o${i}`] = i + 1;
      // Every `lastSeq` operand reads the value before the update: entry i gets the i+1-th new seq.
      sets.push(`#pseq.#k${i} = lastSeq + :o${i}`, `#pending.#k${i} = :e${i}`);
      conditions.push(`attribute_not_exists(#pseq.#k${i})`, `attribute_not_exists(#keys.#k${i})`);
    });
    const { removes, kept } = clearing(clears, entries.map((e) => e.transitionKey), names, values);
    conditions.push(...kept);
    try {
      const out = await guard(client.send(new UpdateCommand({
        TableName: tableName,
        Key: keys.eventLog(runId),
        UpdateExpression: `SET ${sets.join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`,
        ConditionExpression: conditions.join(' AND '),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValues: 'UPDATED_NEW',
      })));
      const last = Number(out.Attributes?.lastSeq);
      return entries.map((_, i) => last - entries.length + 1 + i);
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException) && !(error instanceof Error && error.name === 'ValidationException')) throw error;
      for (const c of clears) await clearEntry(runId, c.transitionKey, c.seq);
      return undefined;
    }
  }

  /**
   * Writes event items in one `BatchWriteItem` (25 per request; unprocessed ones again, with a short backoff).
   * Unconditional: a seq's content is decided by its binding, so a reader materializing the same entry writes the
   * same item (the fan-out skips a seq it has pushed, the client one it holds).
   */
  async function putEvents(runId: string, events: readonly RunEvent[]): Promise<void> {
    for (let i = 0; i < events.length; i += 25) {
      let requests = events.slice(i, i + 25).map((e) => ({ PutRequest: { Item: { ...keys.event(runId, e.seq), ...e } } }));
      for (let round = 0; requests.length > 0; round += 1) {
        if (round >= EVENT_LOG_LIMITS.maxAppendAttempts) throw new EventLogContentionError(runId);
        if (round > 0) await new Promise((resolve) => setTimeout(resolve, 10 * 2 ** round));
        const out = await guard(client.send(new BatchWriteCommand({ RequestItems: { [tableName]: requests } })));
        requests = (out.UnprocessedItems?.[tableName] ?? []) as typeof requests;
      }
    }
  }

  const repository: EventLogRepository = {
    async append(runId, transitionKey, unbounded, options = {}) {
      const event = boundEvent(unbounded);
      let clears = [...(options.clears ?? []), ...takeSettled(runId)];
      for (let attempt = 0; attempt < EVENT_LOG_LIMITS.maxAppendAttempts; attempt += 1) {
        // A fresh transition skips the read on its first try; any later try (the key was in flight or settled) reads.
        const bound = options.fresh && attempt === 0 ? undefined : await boundSeq(runId, transitionKey);
        if (bound !== undefined) {
          for (const c of clears) await clearEntry(runId, c.transitionKey, c.seq);
          return { event: await recorded(runId, bound), created: false };
        }
        const claimed = await claim(runId, transitionKey, event, clears);
        // Whatever the claim did with them, the cleared entries are gone or not the caller's any more.
        if (claimed !== 'no-head' && claimed !== 'retry') clears = [];
        if (claimed === 'no-head') {
          await createHead(runId);
          continue;
        }
        if (claimed === 'retry') continue;
        if ('legacy' in claimed) return { event: await recorded(runId, claimed.legacy), created: false };
        const parked = claimed.mine ? event : ((await readHead(runId))?.pending[transitionKey] ?? event);
        // This append's own entry stays on the head: cleared by the caller (`keepPending`) or by this process's next
        // append to the run. Another writer's entry settled here is cleared now (that writer may never come back).
        const keep = !claimed.mine ? false : options.keepPending === true ? 'caller' : 'process';
        const settled = await settle(runId, transitionKey, claimed.seq, parked, keep);
        // Not bound: another writer bound the key first (it read no binding, then finished before this claim);
        // this seq now holds a filler and the next round returns that writer's event.
        if (settled.bound) return { event: settled.event, created: claimed.mine };
      }
      throw new EventLogContentionError(runId);
    },

    async appendAll(runId, list, options = {}) {
      const entries = list.map((e) => ({ transitionKey: e.transitionKey, event: boundEvent(e.event) }));
      const clears = [...(options.clears ?? []), ...takeSettled(runId)];
      const oneByOne = async (): Promise<AppendResult[]> => {
        const results: AppendResult[] = [];
        for (const [i, e] of entries.entries()) results.push(await repository.append(runId, e.transitionKey, e.event, { ...options, clears: i === 0 ? clears : [] }));
        return results;
      };
      if (entries.length < 2 || new Set(entries.map((e) => e.transitionKey)).size < entries.length) return oneByOne();
      // Not fresh: a key recorded already is answered from its binding, one by one.
      if (!options.fresh && (await boundSeqs(runId, entries.map((e) => e.transitionKey))).some((seq) => seq !== undefined)) return oneByOne();
      const seqs = await claimAll(runId, entries, clears);
      if (!seqs) return oneByOne();
      const bound = await bindAll(runId, entries.map((e, i) => ({ transitionKey: e.transitionKey, seq: seqs[i]! })));
      const full = entries.map((e, i) => recordedAt(runId, seqs[i]!, e.event, bound.has(e.transitionKey)));
      await putEvents(runId, full);
      const results: AppendResult[] = [];
      for (const [i, e] of entries.entries()) {
        if (bound.has(e.transitionKey)) {
          // Kept on the head like `append`'s entries: cleared by the caller's or this process's next append.
          if (!options.keepPending) leaveSettled(runId, e.transitionKey, seqs[i]!);
          results.push({ event: full[i]!, created: true });
          continue;
        }
        // Another writer bound the key first: this seq holds a filler; answer with that writer's event.
        await clearEntry(runId, e.transitionKey, seqs[i]!);
        results.push(await repository.append(runId, e.transitionKey, e.event));
      }
      return results;
    },

    async list(runId, { after = 0, limit = EVENT_LOG_LIMITS.defaultPageSize } = {}) {
      const pageSize = Math.max(1, Math.min(Math.floor(limit), EVENT_LOG_LIMITS.maxPageSize));
      const head = await readHead(runId);
      if (!head) return { events: [], lastSeq: 0 };
      await settleAll(runId, head);
      if (head.lastSeq <= after) return { events: [], lastSeq: head.lastSeq };
      const events: RunEvent[] = [];
      let startKey: Record<string, unknown> | undefined;
      do {
        const out = await guard(client.send(new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'PK = :pk AND SK BETWEEN :from AND :to',
          ExpressionAttributeValues: { ':pk': keys.eventLog(runId).PK, ':from': keys.event(runId, after + 1).SK, ':to': keys.event(runId, head.lastSeq).SK },
          ConsistentRead: true,
          Limit: pageSize - events.length,
          ExclusiveStartKey: startKey,
        })));
        for (const item of out.Items ?? []) events.push(fromItem(item));
        startKey = out.LastEvaluatedKey;
      } while (startKey && events.length < pageSize);
      return { events, lastSeq: head.lastSeq };
    },

    async isRecorded(runId, transitionKey) {
      return (await boundSeq(runId, transitionKey)) !== undefined;
    },

    async lastSeq(runId) {
      const head = await readHead(runId);
      if (!head) return 0;
      await settleAll(runId, head);
      return head.lastSeq;
    },

  };
  return repository;
}

/**
 * The `REMOVE` paths and conditions that clear settled entries in a claim update (names `#c<i>`, values `:c<i>`),
 * leaving out the keys the update claims. Each clears only the entry the caller settled: never one a racing writer
 * parked under the same key with another seq.
 */
function clearing(clears: ReadonlyArray<{ transitionKey: string; seq: number }>, claimed: readonly string[], names: Record<string, string>, values: Record<string, unknown>): { removes: string[]; kept: string[] } {
  const removes: string[] = [];
  const kept: string[] = [];
  clears.filter((c) => !claimed.includes(c.transitionKey)).forEach((c, i) => {
    names[`#c${i}`] = c.transitionKey;
    values[`:c${i}`] = c.seq;
    removes.push(`#pending.#c${i}`, `#pseq.#c${i}`);
    kept.push(`(attribute_not_exists(#pseq.#c${i}) OR #pseq.#c${i} = :c${i})`);
  });
  return { removes, kept };
}

/** Throttling becomes `StoreUnavailableError`; a lost condition stays the SDK error, handled where expected. */
async function guard<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) throw error;
    throw translateStoreError(error);
  }
}

/** What `seq` holds: the event when its key was bound to `seq`, else a filler (the key was bound to another seq). */
function recordedAt(runId: string, seq: number, event: NewRunEvent, bound: boolean): RunEvent {
  return toRunEvent(runId, seq, bound ? event : { type: FILLER_EVENT_TYPE, at: event.at, data: {} });
}

function toRunEvent(runId: string, seq: number, event: NewRunEvent): RunEvent {
  const out: RunEvent = { runId, seq, type: event.type, at: event.at, data: event.data ?? {} };
  if (event.nodeId !== undefined) out.nodeId = event.nodeId;
  if (event.item !== undefined) out.item = event.item;
  if (event.itemPath !== undefined) out.itemPath = event.itemPath;
  return out;
}

/** Maps a stored event item (document form) to a `RunEvent`. */
export function fromItem(item: Record<string, unknown>): RunEvent {
  const out: RunEvent = {
    runId: String(item.runId),
    seq: Number(item.seq),
    type: item.type as RunEvent['type'],
    at: String(item.at),
    data: (item.data ?? {}) as Record<string, unknown>,
  };
  if (typeof item.nodeId === 'string') out.nodeId = item.nodeId;
  if (typeof item.item === 'number') out.item = item.item;
  if (typeof item.itemPath === 'string') out.itemPath = item.itemPath;
  return out;
}

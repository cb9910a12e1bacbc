/**
 * The run event log: an ordered, gap-free, exactly-once log of a run's transitions.
 *
 * Algorithm (ARCHITECTURE.md, "Event log, exactly once and gap-free"): the `LOG` head item holds `lastSeq`,
 * the transition keys already recorded (`keys`: key -> seq) and events written to the head but not yet to their
 * own item (`pending`: key -> event). An append is ONE conditional update of the head that increments `lastSeq`
 * server-side, records the key and parks the event (`attribute_not_exists(keys.<key>)`): DynamoDB serializes
 * concurrent appends on the item, so writers never retry on contention. The writer then puts every pending
 * `EV#<seq>` up to its own, in seq order, and clears them. Readers materialize pending entries first, so a
 * crash between the two writes leaves no gap, and a repeated key returns the recorded event instead of adding one.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { BraidError } from '../errors';
import type { RunEvent } from '../model/types';
import { translateStoreError } from './errors';
import { keys, type TableRef } from './table';
import { ERROR_NAMES } from '../contract/error-names';

/** An event to append: everything but `runId` and `seq`, which the log assigns. */
export type NewRunEvent = Omit<RunEvent, 'runId' | 'seq'>;

/** What `append` returns: the recorded event and whether this call added it. */
export interface AppendResult {
  event: RunEvent;
  /** `false` when the transition key was already recorded (a repeated delivery). */
  created: boolean;
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
  append(runId: string, transitionKey: string, event: NewRunEvent): Promise<AppendResult>;
  /** Lists events with `seq > after` (default 0), at most `limit`, materializing pending events first. */
  list(runId: string, options?: { after?: number; limit?: number }): Promise<EventPage>;
  /** The last seq assigned (0 when the run has no events), after materializing pending events. */
  lastSeq(runId: string): Promise<number>;
}

interface HeadItem {
  lastSeq: number;
  keys: Record<string, number>;
  /** Keyed by transition key; the seq is `keys[key]`. */
  pending: Record<string, NewRunEvent>;
}


/** Creates the event log repository over the Braid table. */
export function createEventLogRepository(table: TableRef): EventLogRepository {
  const { client, tableName } = table;

  async function readHead(runId: string): Promise<HeadItem | undefined> {
    const out = await guard(client.send(new GetCommand({ TableName: tableName, Key: keys.eventLog(runId), ConsistentRead: true })));
    if (!out.Item) return undefined;
    return {
      lastSeq: Number(out.Item.lastSeq ?? 0),
      keys: (out.Item.keys ?? {}) as Record<string, number>,
      pending: (out.Item.pending ?? {}) as Record<string, NewRunEvent>,
    };
  }

  async function materialize(runId: string, transitionKey: string, seq: number, event: NewRunEvent): Promise<RunEvent> {
    const full = toRunEvent(runId, seq, event);
    try {
      // Conditional so a repeated materialization makes no second stream record.
      await guard(client.send(new PutCommand({
        TableName: tableName,
        Item: { ...keys.event(runId, seq), ...full },
        ConditionExpression: 'attribute_not_exists(PK)',
      })));
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    await guard(client.send(new UpdateCommand({
      TableName: tableName,
      Key: keys.eventLog(runId),
      UpdateExpression: 'REMOVE #pending.#tk',
      ExpressionAttributeNames: { '#pending': 'pending', '#tk': transitionKey },
    })));
    return full;
  }

  /** Puts every pending event of the head, lowest seq first. */
  async function materializeAll(runId: string, head: HeadItem): Promise<void> {
    const entries = Object.entries(head.pending)
      .map(([tk, event]) => ({ tk, event, seq: head.keys[tk] }))
      .filter((e): e is { tk: string; event: NewRunEvent; seq: number } => e.seq !== undefined)
      .sort((a, b) => a.seq - b.seq);
    for (const { tk, event, seq } of entries) await materialize(runId, tk, seq, event);
  }

  async function getEvent(runId: string, seq: number): Promise<RunEvent> {
    const out = await guard(client.send(new GetCommand({ TableName: tableName, Key: keys.event(runId, seq), ConsistentRead: true })));
    if (!out.Item) throw new BraidError('event_missing', `event ${seq} of run ${runId} is missing`);
    return fromItem(out.Item);
  }

  /** Creates an empty head; a concurrent creator winning is fine. */
  async function createHead(runId: string): Promise<void> {
    try {
      await guard(client.send(new PutCommand({
        TableName: tableName,
        Item: { ...keys.eventLog(runId), runId, lastSeq: 0, keys: {}, pending: {} },
        ConditionExpression: 'attribute_not_exists(PK)',
      })));
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  /**
   * Claims the next seq for the transition in one update (server-side increment); `undefined` when the key was
   * already recorded, `'no-head'` when the head does not exist yet.
   */
  async function claim(runId: string, transitionKey: string, event: NewRunEvent): Promise<number | undefined | 'no-head'> {
    try {
      const out = await guard(client.send(new UpdateCommand({
        TableName: tableName,
        Key: keys.eventLog(runId),
        // Both `lastSeq + :one` read the value before the update, so the key gets the new seq.
        UpdateExpression: 'SET lastSeq = lastSeq + :one, #keys.#tk = lastSeq + :one, #pending.#tk = :event',
        ConditionExpression: 'attribute_exists(PK) AND attribute_not_exists(#keys.#tk)',
        ExpressionAttributeNames: { '#keys': 'keys', '#tk': transitionKey, '#pending': 'pending' },
        ExpressionAttributeValues: { ':one': 1, ':event': event },
        ReturnValues: 'UPDATED_NEW',
      })));
      return Number(out.Attributes?.lastSeq);
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const head = await readHead(runId);
      return head ? undefined : 'no-head';
    }
  }

  return {
    async append(runId, transitionKey, event) {
      for (let attempt = 0; attempt < EVENT_LOG_LIMITS.maxAppendAttempts; attempt += 1) {
        const claimed = await claim(runId, transitionKey, event);
        if (claimed === 'no-head') {
          await createHead(runId);
          continue;
        }
        if (claimed !== undefined) {
          // Only our own event: readers materialize whatever a slower or crashed writer left pending, and read
          // no further than the head's lastSeq, so a page never shows a hole.
          return { event: await materialize(runId, transitionKey, claimed, event), created: true };
        }
        const head = await readHead(runId);
        const recorded = head?.keys[transitionKey];
        if (!head || recorded === undefined) continue;
        await materializeAll(runId, head);
        return { event: await getEvent(runId, recorded), created: false };
      }
      throw new EventLogContentionError(runId);
    },

    async list(runId, { after = 0, limit = EVENT_LOG_LIMITS.defaultPageSize } = {}) {
      const pageSize = Math.max(1, Math.min(Math.floor(limit), EVENT_LOG_LIMITS.maxPageSize));
      const head = await readHead(runId);
      if (!head) return { events: [], lastSeq: 0 };
      await materializeAll(runId, head);
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

    async lastSeq(runId) {
      const head = await readHead(runId);
      if (!head) return 0;
      await materializeAll(runId, head);
      return head.lastSeq;
    },
  };
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

function toRunEvent(runId: string, seq: number, event: NewRunEvent): RunEvent {
  const out: RunEvent = { runId, seq, type: event.type, at: event.at, data: event.data ?? {} };
  if (event.nodeId !== undefined) out.nodeId = event.nodeId;
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
  return out;
}

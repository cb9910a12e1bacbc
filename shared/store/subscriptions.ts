/**
 * Run subscriptions of WebSocket connections.
 *
 * Two items per subscription: `RUN#<runId>` / `SUB#<connectionId>` (what fan-out queries: who to push a run's
 * events to, and as which user) and `CONN#<connectionId>` / `SUB#<runId>` (what disconnect queries). The
 * connection's item counts subscriptions so that a connection holds at most `MAX_SUBSCRIPTIONS_PER_CONNECTION`.
 * Writes go child first: the connection-side item, then the count, then the run-side item that fan-out reads,
 * then the connection id into the run's subscriber set (`fan-out-marks.ts`), which lets the fan-out skip a run
 * nobody watches in one call. Removals go the other way: the two items first, the id out of the set last, so a
 * crash in between leaves an id too many (the fan-out takes its normal path and prunes it), never one too few.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { BraidError } from '../errors';
import { CONNECTION_TTL_SECONDS } from './connections';
import { translateStoreError } from './errors';
import { createFanOutMarkRepository } from './fan-out-marks';
import { keys, type TableRef } from './table';

/** Most runs one connection may watch at once. */
export const MAX_SUBSCRIPTIONS_PER_CONNECTION = 20;

/**
 * Most connections that may watch one run at once: the run's subscriber set lives in one item (≤ 400 KB), and
 * 5,000 ids of up to 64 bytes fill 320 KB of it.
 */
export const MAX_SUBSCRIBERS_PER_RUN = 5_000;

/** A connection's subscription to a run, as fan-out sees it. */
export interface Subscription {
  runId: string;
  connectionId: string;
  userId: string;
}

/** The connection already holds the most subscriptions allowed. */
export class TooManySubscriptionsError extends BraidError {
  readonly limit: number;
  constructor(limit: number, options?: { cause?: unknown }) {
    super('too_many_subscriptions', `a connection may hold at most ${limit} subscriptions`, options);
    this.name = 'TooManySubscriptionsError';
    this.limit = limit;
  }
}

/** The run already has the most subscribers allowed. */
export class TooManySubscribersError extends BraidError {
  readonly limit: number;
  constructor(limit: number, options?: { cause?: unknown }) {
    super('too_many_subscribers', `a run may have at most ${limit} subscribers at once`, options);
    this.name = 'TooManySubscribersError';
    this.limit = limit;
  }
}

/** The connection is not (or no longer) recorded. */
export class ConnectionGoneError extends BraidError {
  readonly connectionId: string;
  constructor(connectionId: string, options?: { cause?: unknown }) {
    super('connection_gone', `connection ${connectionId} is gone`, options);
    this.name = 'ConnectionGoneError';
    this.connectionId = connectionId;
  }
}

/** Stores subscriptions and their delivery state. */
export interface SubscriptionRepository {
  /**
   * Subscribes a connection to a run (subscribing again is harmless: the caller's catch-up restarts from the
   * client's `after`). Throws `TooManySubscriptionsError`, `TooManySubscribersError` or `ConnectionGoneError`.
   * When it returns, the connection id is in the run's subscriber set.
   */
  subscribe(input: { connectionId: string; runId: string; userId: string; now: Date }): Promise<Subscription>;
  /** Removes one subscription, then the id from the run's subscriber set; returns whether it existed. */
  unsubscribe(connectionId: string, runId: string): Promise<boolean>;
  /** Removes every subscription of a connection (each with its id in the run's set), then the connection item. */
  removeConnection(connectionId: string): Promise<void>;
  /** Every subscription to a run. */
  listForRun(runId: string): Promise<Subscription[]>;
  /** The run ids a connection is subscribed to. */
  listForConnection(connectionId: string): Promise<string[]>;
}

/** Creates the subscription repository over the Braid table. */
export function createSubscriptionRepository(table: TableRef): SubscriptionRepository {
  const { client, tableName } = table;
  const marks = createFanOutMarkRepository(table);

  /** Runs a conditional write; false when the condition failed, throttling translated. */
  async function conditional(call: () => Promise<unknown>): Promise<boolean> {
    try {
      await call();
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw translateStoreError(error);
    }
  }
  async function plain<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw translateStoreError(error);
    }
  }

  async function putRunSide(sub: Subscription, ttl: number): Promise<void> {
    await plain(() => client.send(new PutCommand({
      TableName: tableName,
      Item: { ...keys.subscription(sub.runId, sub.connectionId), runId: sub.runId, connectionId: sub.connectionId, userId: sub.userId, ttl },
    })));
  }

  async function removePair(connectionId: string, runId: string): Promise<boolean> {
    await plain(() => client.send(new DeleteCommand({ TableName: tableName, Key: keys.subscription(runId, connectionId) })));
    const out = await plain(() => client.send(new DeleteCommand({
      TableName: tableName, Key: keys.connectionSubscription(connectionId, runId), ReturnValues: 'ALL_OLD',
    })));
    return out.Attributes !== undefined;
  }

  async function queryAll(pk: string): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await plain(() => client.send(new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :sub)',
        ExpressionAttributeValues: { ':pk': pk, ':sub': 'SUB#' },
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
      })));
      items.push(...(out.Items ?? []));
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    return items;
  }

  /** Removes one subscription (both items, the count), then its id from the run's set. */
  async function unsubscribe(connectionId: string, runId: string): Promise<boolean> {
    const existed = await removePair(connectionId, runId);
    if (existed) {
      await conditional(() => client.send(new UpdateCommand({
        TableName: tableName,
        Key: keys.connection(connectionId),
        UpdateExpression: 'ADD subscriptionCount :minus',
        ConditionExpression: 'attribute_exists(PK) AND subscriptionCount > :zero',
        ExpressionAttributeValues: { ':minus': -1, ':zero': 0 },
      })));
    }
    await marks.removeSubscriber(runId, connectionId);
    return existed;
  }

  return {
    async subscribe({ connectionId, runId, userId, now }) {
      const ttl = Math.floor(now.getTime() / 1000) + CONNECTION_TTL_SECONDS;
      const sub: Subscription = { runId, connectionId, userId };
      const isNew = await conditional(() => client.send(new PutCommand({
        TableName: tableName,
        Item: { ...keys.connectionSubscription(connectionId, runId), runId, connectionId, ttl },
        ConditionExpression: 'attribute_not_exists(PK)',
      })));
      if (isNew) {
        const counted = await conditional(() => client.send(new UpdateCommand({
          TableName: tableName,
          Key: keys.connection(connectionId),
          UpdateExpression: 'ADD subscriptionCount :one',
          ConditionExpression: 'attribute_exists(PK) AND (attribute_not_exists(subscriptionCount) OR subscriptionCount < :max)',
          ExpressionAttributeValues: { ':one': 1, ':max': MAX_SUBSCRIPTIONS_PER_CONNECTION },
        })));
        if (!counted) {
          await plain(() => client.send(new DeleteCommand({ TableName: tableName, Key: keys.connectionSubscription(connectionId, runId) })));
          const connection = await plain(() => client.send(new GetCommand({
            TableName: tableName, Key: keys.connection(connectionId), ConsistentRead: true,
          })));
          if (!connection.Item) throw new ConnectionGoneError(connectionId);
          throw new TooManySubscriptionsError(MAX_SUBSCRIPTIONS_PER_CONNECTION);
        }
      }
      await putRunSide(sub, ttl);
      // After the run-side item (so pruning, which reads the set before listing, cannot drop this id: see
      // `FanOutMarkRepository.prune`), before the caller acknowledges and reads the log.
      if (!(await marks.addSubscriber(runId, connectionId, MAX_SUBSCRIBERS_PER_RUN))) {
        await unsubscribe(connectionId, runId);
        throw new TooManySubscribersError(MAX_SUBSCRIBERS_PER_RUN);
      }
      return sub;
    },

    unsubscribe,

    async removeConnection(connectionId) {
      const items = await queryAll(keys.connection(connectionId).PK);
      for (const item of items) {
        await removePair(connectionId, String(item.runId));
        await marks.removeSubscriber(String(item.runId), connectionId);
      }
      await plain(() => client.send(new DeleteCommand({ TableName: tableName, Key: keys.connection(connectionId) })));
    },

    async listForRun(runId) {
      return (await queryAll(keys.run(runId).PK)).map(toSubscription);
    },

    async listForConnection(connectionId) {
      return (await queryAll(keys.connection(connectionId).PK)).map((item) => String(item.runId));
    },
  };
}

function toSubscription(item: Record<string, unknown>): Subscription {
  return { runId: String(item.runId), connectionId: String(item.connectionId), userId: String(item.userId) };
}

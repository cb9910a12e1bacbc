/**
 * The live fan-out's item per run (`RUN#<runId>` / `FANOUT`; ARCHITECTURE.md, "Live delivery without reordering"):
 * - `sentSeq`: the last seq pushed to every subscriber of the run; only moves forward, written once per fan-out
 *   batch whatever the number of subscribers;
 * - `subs`: a string set of the run's subscribed connection ids (DynamoDB drops an empty set, so "nobody watches"
 *   is `attribute_not_exists(subs)`), with `subsVer`, counted up by every add, which guards pruning;
 * - `tracked`: set once a fan-out listed the run's subscriptions and found each of them in `subs` (subscriptions
 *   written before the set existed are not in it); only then may a batch take the one-call quiet path.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { translateStoreError } from './errors';
import { keys, type TableRef } from './table';

/** The fan-out item of a run, as read. */
export interface FanOutMark {
  /** The last seq pushed to every subscriber (0 when none). */
  sentSeq: number;
  /** The connection ids in the run's subscriber set. */
  subscribers: ReadonlySet<string>;
  /** The set's version (`subsVer`), counted up by each add; undefined when never added to. */
  version: number | undefined;
  /** Whether every subscription of the run is known to be in the set. */
  tracked: boolean;
}

/** Reads and writes the fan-out items. */
export interface FanOutMarkRepository {
  /** The last seq pushed to the run's subscribers (0 when none). */
  get(runId: string): Promise<number>;
  /** The whole item (consistent read). */
  read(runId: string): Promise<FanOutMark>;
  /**
   * Moves the mark to `seq` unless it is already there or beyond; returns whether it moved. `track` also records
   * that every subscription of the run is in the set.
   */
  advance(runId: string, seq: number, options?: { track?: boolean }): Promise<boolean>;
  /**
   * The quiet path, one conditional update: moves the mark to `seq` if the run is tracked, has no subscriber in
   * its set and the mark is below `seq`. False when the condition failed (someone watches, the run is not
   * tracked yet, or the mark is already there: read the item to tell which).
   */
  advanceIfUnwatched(runId: string, seq: number): Promise<boolean>;
  /** Adds a connection to the run's set unless the set holds `max` others; returns false when it is full. */
  addSubscriber(runId: string, connectionId: string, max: number): Promise<boolean>;
  /** Removes a connection from the run's set (nothing when it is not there). */
  removeSubscriber(runId: string, connectionId: string): Promise<void>;
  /**
   * Removes ids found without a subscription, on condition that no add happened since the set was read at
   * `version`; returns whether it did.
   */
  prune(runId: string, stale: readonly string[], version: number | undefined): Promise<boolean>;
}

/** Creates the repository over the Braid table. */
export function createFanOutMarkRepository(table: TableRef): FanOutMarkRepository {
  const { client, tableName } = table;

  /** Sends a conditional update: false when its condition failed, other errors translated. */
  async function conditional(command: UpdateCommand): Promise<boolean> {
    try {
      await client.send(command);
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw translateStoreError(error);
    }
  }

  async function read(runId: string): Promise<FanOutMark> {
    try {
      const out = await client.send(new GetCommand({ TableName: tableName, Key: keys.fanOutMark(runId), ConsistentRead: true }));
      const item = out.Item ?? {};
      return {
        sentSeq: Number(item.sentSeq ?? 0),
        subscribers: new Set(item.subs instanceof Set ? [...(item.subs as Set<string>)] : []),
        version: item.subsVer === undefined ? undefined : Number(item.subsVer),
        tracked: item.tracked === true,
      };
    } catch (error) {
      throw translateStoreError(error);
    }
  }

  return {
    async get(runId) {
      return (await read(runId)).sentSeq;
    },

    read,

    advance(runId, seq, options = {}) {
      return conditional(new UpdateCommand({
        TableName: tableName,
        Key: keys.fanOutMark(runId),
        UpdateExpression: options.track ? 'SET sentSeq = :seq, runId = :run, tracked = :true' : 'SET sentSeq = :seq, runId = :run',
        ConditionExpression: 'attribute_not_exists(sentSeq) OR sentSeq < :seq',
        ExpressionAttributeValues: { ':seq': seq, ':run': runId, ...(options.track ? { ':true': true } : {}) },
      }));
    },

    advanceIfUnwatched(runId, seq) {
      return conditional(new UpdateCommand({
        TableName: tableName,
        Key: keys.fanOutMark(runId),
        UpdateExpression: 'SET sentSeq = :seq',
        ConditionExpression: 'tracked = :true AND attribute_not_exists(subs) AND sentSeq < :seq',
        ExpressionAttributeValues: { ':seq': seq, ':true': true },
      }));
    },

    addSubscriber(runId, connectionId, max) {
      return conditional(new UpdateCommand({
        TableName: tableName,
        Key: keys.fanOutMark(runId),
        UpdateExpression: 'SET runId = :run ADD subs :id, subsVer :one',
        ConditionExpression: 'attribute_not_exists(subs) OR size(subs) < :max OR contains(subs, :conn)',
        ExpressionAttributeValues: { ':run': runId, ':id': new Set([connectionId]), ':conn': connectionId, ':one': 1, ':max': max },
      }));
    },

    async removeSubscriber(runId, connectionId) {
      // Conditional so that removing from a run without an item does not create one.
      await conditional(new UpdateCommand({
        TableName: tableName,
        Key: keys.fanOutMark(runId),
        UpdateExpression: 'DELETE subs :id',
        ConditionExpression: 'attribute_exists(PK)',
        ExpressionAttributeValues: { ':id': new Set([connectionId]) },
      }));
    },

    prune(runId, stale, version) {
      if (stale.length === 0) return Promise.resolve(false);
      return conditional(new UpdateCommand({
        TableName: tableName,
        Key: keys.fanOutMark(runId),
        UpdateExpression: 'DELETE subs :ids',
        ConditionExpression: version === undefined ? 'attribute_not_exists(subsVer)' : 'subsVer = :ver',
        ExpressionAttributeValues: { ':ids': new Set(stale), ...(version === undefined ? {} : { ':ver': version }) },
      }));
    },
  };
}

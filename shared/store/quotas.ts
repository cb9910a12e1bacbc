/**
 * Quota counters, one item per user and counter (`QUOTA#<userId>` / `ACTIVE_RUNS`, `WORKFLOWS`, `SECRETS`,
 * `STARTS#<minute>`), each changed by single conditional atomic writes, so concurrent requests can never take a
 * user past a limit:
 * - active runs are a **set of slots** (`<epochSeconds>#<runId>`): acquiring adds one only while the set is
 *   smaller than the limit; releasing deletes it, which is idempotent, so a release repeated by a retry or by
 *   reconciliation can never free a slot twice;
 * - workflows and secrets are counts, incremented only below the limit and decremented only above zero;
 * - run starts are a count per calendar minute (expiring with TTL).
 */
import { GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { keys, TABLE_SCHEMA, type TableRef } from './table';
import { storeCall, translateStoreError } from './errors';

/** The counted quotas (each a number on its own item). */
export type CountedQuota = 'WORKFLOWS' | 'SECRETS';

/** A slot of the active-runs set: when it was taken and for which run. */
export function activeRunSlot(runId: string, now: Date): string {
  return `${Math.floor(now.getTime() / 1000)}#${runId}`;
}

/** Parses a slot back into its parts. */
export function parseActiveRunSlot(slot: string): { takenAt: number; runId: string } {
  const at = slot.indexOf('#');
  return { takenAt: Number(slot.slice(0, at)), runId: slot.slice(at + 1) };
}

/** True when a conditional write lost its condition. */
async function conditional(write: () => Promise<unknown>): Promise<boolean> {
  try {
    await write();
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException || (error as { name?: string }).name === 'ConditionalCheckFailedException') return false;
    throw translateStoreError(error);
  }
}

/**
 * Releases an active-run slot (idempotent). Exported for the run repository: the write that makes a run final
 * returns the run's slot, and the slot is released right after it.
 */
export async function releaseActiveRunSlot(table: TableRef, userId: string, slot: string): Promise<void> {
  await storeCall(() => table.client.send(new UpdateCommand({
    TableName: table.tableName,
    Key: keys.quota(userId, 'ACTIVE_RUNS'),
    UpdateExpression: 'DELETE slots :s',
    ExpressionAttributeValues: { ':s': new Set([slot]) },
  })));
}

/** Reads and changes quota counters. */
export class QuotaRepository {
  constructor(private readonly table: TableRef) {}

  /** Adds `slot` to the user's active runs while they hold fewer than `limit`; false when they hold `limit`. */
  async acquireActiveRun(userId: string, slot: string, limit: number): Promise<boolean> {
    return conditional(() => this.table.client.send(new UpdateCommand({
      TableName: this.table.tableName,
      Key: keys.quota(userId, 'ACTIVE_RUNS'),
      UpdateExpression: 'ADD slots :s',
      ConditionExpression: 'attribute_not_exists(slots) OR size(slots) < :limit',
      ExpressionAttributeValues: { ':s': new Set([slot]), ':limit': limit },
    })));
  }

  /** Releases a slot (idempotent). */
  releaseActiveRun(userId: string, slot: string): Promise<void> {
    return releaseActiveRunSlot(this.table, userId, slot);
  }

  /** The user's active-run slots (strongly consistent). */
  async activeRunSlots(userId: string): Promise<string[]> {
    const out = await storeCall(() => this.table.client.send(new GetCommand({ TableName: this.table.tableName, Key: keys.quota(userId, 'ACTIVE_RUNS'), ConsistentRead: true })));
    const slots = out.Item?.slots as Set<string> | undefined;
    return slots ? [...slots] : [];
  }

  /** Counts one run start in the user's current minute, while fewer than `limit`; false when at `limit`. */
  async countRunStart(userId: string, now: Date, limit: number): Promise<boolean> {
    const minute = now.toISOString().slice(0, 16);
    return conditional(() => this.table.client.send(new UpdateCommand({
      TableName: this.table.tableName,
      Key: keys.quota(userId, `STARTS#${minute}`),
      UpdateExpression: 'ADD #n :one SET #ttl = :ttl',
      ConditionExpression: 'attribute_not_exists(#n) OR #n < :limit',
      ExpressionAttributeNames: { '#n': 'count', '#ttl': TABLE_SCHEMA.ttlAttribute },
      ExpressionAttributeValues: { ':one': 1, ':limit': limit, ':ttl': Math.floor(now.getTime() / 1000) + 120 },
    })));
  }

  /** Increments a count while below `limit`; false when at `limit`. */
  async acquire(userId: string, counter: CountedQuota, limit: number): Promise<boolean> {
    return conditional(() => this.table.client.send(new UpdateCommand({
      TableName: this.table.tableName,
      Key: keys.quota(userId, counter),
      UpdateExpression: 'ADD #n :one',
      ConditionExpression: 'attribute_not_exists(#n) OR #n < :limit',
      ExpressionAttributeNames: { '#n': 'count' },
      ExpressionAttributeValues: { ':one': 1, ':limit': limit },
    })));
  }

  /** Decrements a count, never below zero. */
  async release(userId: string, counter: CountedQuota): Promise<void> {
    await conditional(() => this.table.client.send(new UpdateCommand({
      TableName: this.table.tableName,
      Key: keys.quota(userId, counter),
      UpdateExpression: 'ADD #n :minus',
      ConditionExpression: '#n > :zero',
      ExpressionAttributeNames: { '#n': 'count' },
      ExpressionAttributeValues: { ':minus': -1, ':zero': 0 },
    })));
  }

  /** The stored count (0 when none). */
  async count(userId: string, counter: CountedQuota): Promise<number> {
    const out = await storeCall(() => this.table.client.send(new GetCommand({ TableName: this.table.tableName, Key: keys.quota(userId, counter), ConsistentRead: true })));
    return typeof out.Item?.count === 'number' ? out.Item.count : 0;
  }

  /** Sets a count to `actual` only if it still is `seen` (reconciles a count left high by a crash). */
  async correct(userId: string, counter: CountedQuota, seen: number, actual: number): Promise<boolean> {
    return conditional(() => this.table.client.send(new UpdateCommand({
      TableName: this.table.tableName,
      Key: keys.quota(userId, counter),
      UpdateExpression: 'SET #n = :actual',
      ConditionExpression: seen === 0 ? 'attribute_not_exists(#n) OR #n = :seen' : '#n = :seen',
      ExpressionAttributeNames: { '#n': 'count' },
      ExpressionAttributeValues: { ':actual': actual, ':seen': seen },
    })));
  }

  /** How many workflows `userId` owns and has not deleted (the owner index holds only live workflows). */
  async ownedWorkflows(userId: string): Promise<number> {
    let total = 0;
    let start: Record<string, unknown> | undefined;
    do {
      const out = await storeCall(() => this.table.client.send(new QueryCommand({
        TableName: this.table.tableName,
        IndexName: TABLE_SCHEMA.gsi1.name,
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :wf)',
        ExpressionAttributeNames: { '#pk': TABLE_SCHEMA.gsi1.partitionKey, '#sk': TABLE_SCHEMA.gsi1.sortKey },
        ExpressionAttributeValues: { ':pk': `OWNER#${userId}`, ':wf': 'WF#' },
        Select: 'COUNT',
        ...(start ? { ExclusiveStartKey: start } : {}),
      })));
      total += out.Count ?? 0;
      start = out.LastEvaluatedKey;
    } while (start);
    return total;
  }
}

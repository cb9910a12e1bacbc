/**
 * Strongly consistent reads of many items in one round trip (`BatchGetItem`, 100 keys per request): what an
 * executor task reads before a node's attempt comes back in one call instead of one per item.
 */
import { BatchGetCommand } from '@aws-sdk/lib-dynamodb';
import { StoreUnavailableError, storeCall } from './errors';
import type { TableRef } from './table';

/** A table key. */
export interface ItemKey {
  PK: string;
  SK: string;
}

/** Rounds of `UnprocessedKeys` before the read gives up with `StoreUnavailableError` (`Braid.Transient`). */
const MAX_ROUNDS = 5;

/** The key of an item as a map key. */
export function itemKeyOf(key: { PK: unknown; SK: unknown }): string {
  return `${String(key.PK)}\u0000${String(key.SK)}`;
}

/**
 * Reads `keys` (duplicates allowed) with `ConsistentRead`; returns the items found by `itemKeyOf`. Keys the
 * store leaves unprocessed (throttling) are asked again, with a short backoff, up to 5 rounds.
 */
export async function batchRead(table: TableRef, keys: readonly ItemKey[]): Promise<Map<string, Record<string, unknown>>> {
  const found = new Map<string, Record<string, unknown>>();
  const unique = [...new Map(keys.map((k) => [itemKeyOf(k), k])).values()];
  for (let i = 0; i < unique.length; i += 100) {
    let pending: Record<string, unknown>[] = unique.slice(i, i + 100).map((k) => ({ PK: k.PK, SK: k.SK }));
    for (let round = 0; pending.length > 0; round += 1) {
      if (round >= MAX_ROUNDS) throw new StoreUnavailableError('UnprocessedKeys');
      if (round > 0) await new Promise((resolve) => setTimeout(resolve, 10 * 2 ** round));
      const request = pending;
      const out = await storeCall(() => table.client.send(new BatchGetCommand({ RequestItems: { [table.tableName]: { Keys: request, ConsistentRead: true } } })));
      for (const item of out.Responses?.[table.tableName] ?? []) found.set(itemKeyOf(item as ItemKey), item);
      pending = (out.UnprocessedKeys?.[table.tableName]?.Keys ?? []) as Record<string, unknown>[];
    }
  }
  return found;
}

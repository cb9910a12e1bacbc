/**
 * Map items: one item per element of a map's list (`<partition>` / `ITEM#<mapId>#<000000 index>`), holding the element
 * (so a list of any size never rides in a Step Functions payload: each element is its own item), the item's status,
 * its output and error; and the map node's `progress` counters, changed with atomic `ADD`s (never by scanning).
 *
 * The partition is the run's (`RUN#<runId>`) for a top-level map, or the enclosing item's (`RUN#<runId>#I#<path>`)
 * for a map inside another map's body (`partitionRunId`). Body node records and attempts of item `<path>` live in
 * `RUN#<runId>#I#<path>` too, so a run's own node listing never reads them.
 */
import { BatchWriteCommand, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ERROR_NAMES } from '../contract/error-names';
import { ConflictError } from '../errors';
import type { ErrorInfo } from '../model/types';
import type { PageKey } from './cursor';
import { storeCall } from './errors';
import { queryPage, stripKeys } from './query';
import { keys, type TableRef } from './table';

/** Status of one map item. */
export type ItemStatus = 'pending' | 'running' | 'succeeded' | 'failed';

/** A map item as stored (without its element). */
export interface MapItem {
  mapId: string;
  index: number;
  status: ItemStatus;
  startedAt?: string;
  endedAt?: string;
  output?: unknown;
  error?: ErrorInfo;
}

/** A map node's progress: counted atomically as items start and finish. */
export interface MapProgress {
  total: number;
  succeeded: number;
  failed: number;
  running: number;
}

/** The run id whose partition holds the records of item `path` (`undefined`: the run's own). */
export function partitionRunId(runId: string, path: string | undefined): string {
  return path === undefined ? runId : `${runId}#I#${path}`;
}

/** The run id and item path of a partition run id (`partitionRunId` reversed). */
export function splitPartitionRunId(rk: string): { runId: string; item?: string } {
  const at = rk.indexOf('#I#');
  return at < 0 ? { runId: rk } : { runId: rk.slice(0, at), item: rk.slice(at + 3) };
}

const ITEM_WIDTH = 6;
const itemKey = (runKey: string, mapId: string, index: number) => ({ PK: `RUN#${runKey}`, SK: `ITEM#${mapId}#${String(index).padStart(ITEM_WIDTH, '0')}` });
const BATCH = 25;
const PARALLEL_BATCHES = 8;

/** Reads and writes map items and progress. */
export class MapItemRepository {
  constructor(private readonly table: TableRef) {}

  /** Stores every element as a pending item (overwrites: only the items task, before any item starts, writes them). */
  async putItems(runKey: string, mapId: string, values: readonly unknown[]): Promise<void> {
    const batches: Array<Record<string, unknown>[]> = [];
    for (let i = 0; i < values.length; i += BATCH) {
      batches.push(values.slice(i, i + BATCH).map((value, j) => ({
        ...itemKey(runKey, mapId, i + j), entity: 'item', mapId, index: i + j, status: 'pending', value: value ?? null,
      })));
    }
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < batches.length) {
        const batch = batches[next++]!;
        let requests = batch.map((Item) => ({ PutRequest: { Item } }));
        for (let tries = 0; requests.length > 0; tries += 1) {
          if (tries > 0) await new Promise((r) => setTimeout(r, Math.min(1_000, 25 * 2 ** tries)));
          const out = await storeCall(() => this.table.client.send(new BatchWriteCommand({ RequestItems: { [this.table.tableName]: requests } })));
          requests = (out.UnprocessedItems?.[this.table.tableName] ?? []) as typeof requests;
          if (tries > 8 && requests.length > 0) throw new ConflictError('store_busy', 'the store kept refusing item writes');
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_BATCHES, batches.length) }, worker));
  }

  /** The element of item `index` (`undefined` when it was never stored). */
  async getValue(runKey: string, mapId: string, index: number): Promise<{ value: unknown } | undefined> {
    const out = await storeCall(() => this.table.client.send(new GetCommand({
      TableName: this.table.tableName, Key: itemKey(runKey, mapId, index), ConsistentRead: true, ProjectionExpression: '#v', ExpressionAttributeNames: { '#v': 'value' },
    })));
    return out.Item ? { value: out.Item.value } : undefined;
  }

  /** Moves a pending item to running and counts it; false when it had already started (nothing written). */
  async start(runKey: string, mapId: string, index: number, at: string): Promise<boolean> {
    try {
      await storeCall(() => this.table.client.send(new UpdateCommand({
        TableName: this.table.tableName, Key: itemKey(runKey, mapId, index),
        UpdateExpression: 'SET #s = :running, startedAt = :at', ConditionExpression: '#s = :pending',
        ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':running': 'running', ':pending': 'pending', ':at': at },
      })), { reason: 'item_started', message: 'item already started' });
    } catch (error) {
      if (error instanceof ConflictError) return false;
      throw error;
    }
    await this.count(runKey, mapId, { running: 1 });
    return true;
  }

  /**
   * Finishes an item once (from pending or running) and counts it. Returns the progress after the count, or
   * `undefined` when the item had already finished (a repeated delivery: nothing written).
   */
  async finish(runKey: string, mapId: string, index: number, result: { status: 'succeeded' | 'failed'; endedAt: string; output?: unknown; error?: ErrorInfo }): Promise<MapProgress | undefined> {
    let previous: string;
    try {
      const out = await storeCall(() => this.table.client.send(new UpdateCommand({
        TableName: this.table.tableName, Key: itemKey(runKey, mapId, index),
        UpdateExpression: `SET #s = :to, endedAt = :at${result.status === 'succeeded' ? ', #o = :out' : ', #e = :err'}`,
        ConditionExpression: 'attribute_exists(PK) AND #s IN (:pending, :running)',
        ExpressionAttributeNames: { '#s': 'status', ...(result.status === 'succeeded' ? { '#o': 'output' } : { '#e': 'error' }) },
        ExpressionAttributeValues: {
          ':to': result.status, ':at': result.endedAt, ':pending': 'pending', ':running': 'running',
          ...(result.status === 'succeeded' ? { ':out': result.output ?? null } : { ':err': result.error ?? { name: ERROR_NAMES.nodeFailed, message: 'the item failed' } }),
        },
        ReturnValues: 'ALL_OLD',
      })), { reason: 'item_finished', message: 'item already finished' });
      previous = String(out.Attributes?.status ?? 'pending');
    } catch (error) {
      if (error instanceof ConflictError) return undefined;
      throw error;
    }
    return this.count(runKey, mapId, { [result.status]: 1, ...(previous === 'running' ? { running: -1 } : {}) });
  }

  /** Adds an item's cost to the map node's (set to zero when its items were stored). */
  async addCost(runKey: string, mapId: string, cost: { usd: number }): Promise<void> {
    await storeCall(() => this.table.client.send(new UpdateCommand({
      TableName: this.table.tableName, Key: keys.nodeRun(runKey, mapId),
      UpdateExpression: 'ADD #c.#u :usd', ExpressionAttributeNames: { '#c': 'cost', '#u': 'usd' }, ExpressionAttributeValues: { ':usd': cost.usd },
    })));
  }

  /** Adds to the map node's progress counters and returns them. */
  private async count(runKey: string, mapId: string, delta: Partial<Record<keyof MapProgress, number>>): Promise<MapProgress> {
    const names: Record<string, string> = { '#p': 'progress' };
    const values: Record<string, number> = {};
    const adds = Object.entries(delta).map(([field, n], i) => {
      names[`#c${i}`] = field;
      values[`:c${i}`] = n;
      return `#p.#c${i} :c${i}`;
    });
    const out = await storeCall(() => this.table.client.send(new UpdateCommand({
      TableName: this.table.tableName, Key: keys.nodeRun(runKey, mapId),
      UpdateExpression: `ADD ${adds.join(', ')}`, ConditionExpression: 'attribute_exists(#p)',
      ExpressionAttributeNames: names, ExpressionAttributeValues: values, ReturnValues: 'ALL_NEW',
    })), { reason: 'map_not_started', message: `map ${mapId} has no progress` });
    return out.Attributes?.progress as MapProgress;
  }

  /** One page of a map's items in index order (without their elements). */
  async page(runKey: string, mapId: string, limit: number, startKey?: PageKey): Promise<{ items: MapItem[]; lastKey?: PageKey }> {
    const page = await queryPage(this.table, { index: 'table', partition: `RUN#${runKey}`, sortPrefix: `ITEM#${mapId}#`, ascending: true, limit, ...(startKey ? { startKey } : {}), consistent: true });
    return { items: page.items.map(toItem), ...(page.lastKey ? { lastKey: page.lastKey } : {}) };
  }

  /** Every item of a map in index order (without their elements). */
  async all(runKey: string, mapId: string): Promise<MapItem[]> {
    const items: MapItem[] = [];
    let startKey: PageKey | undefined;
    do {
      const page = await this.page(runKey, mapId, 1_000, startKey);
      items.push(...page.items);
      startKey = page.lastKey;
    } while (startKey);
    return items;
  }
}

function toItem(raw: Record<string, unknown>): MapItem {
  const { value: _v, ...rest } = stripKeys(raw);
  return rest as unknown as MapItem;
}

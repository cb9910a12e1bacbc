/**
 * One page of a key-condition query, shared by the repositories: partition equality, optional sort-key
 * prefix, direction, limit and an exclusive start key.
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { TABLE_SCHEMA, type TableRef } from './table';
import type { PageKey } from './cursor';
import { storeCall } from './errors';

/** Which key pair a query runs on. */
export type QueryIndex = 'table' | 'GSI1' | 'GSI2';

/** A page query. */
export interface PageQuery {
  index: QueryIndex;
  partition: string;
  /** Only items whose sort key starts with this. */
  sortPrefix?: string;
  /** Oldest first when true. @default false (newest first) */
  ascending?: boolean;
  limit: number;
  startKey?: PageKey;
  /** Strongly consistent read (base table only). @default false */
  consistent?: boolean;
}

/** A raw page: items and the key to continue from (absent when the partition is exhausted). */
export interface RawPage {
  items: Record<string, unknown>[];
  lastKey?: PageKey;
}

const INDEX_KEYS = {
  table: { pk: TABLE_SCHEMA.partitionKey, sk: TABLE_SCHEMA.sortKey },
  GSI1: { pk: TABLE_SCHEMA.gsi1.partitionKey, sk: TABLE_SCHEMA.gsi1.sortKey },
  GSI2: { pk: TABLE_SCHEMA.gsi2.partitionKey, sk: TABLE_SCHEMA.gsi2.sortKey },
} as const;

/** Runs one page of a query and returns its items and continuation key. */
export async function queryPage(table: TableRef, q: PageQuery): Promise<RawPage> {
  const { pk, sk } = INDEX_KEYS[q.index];
  const out = await storeCall(() =>
    table.client.send(
      new QueryCommand({
        TableName: table.tableName,
        ...(q.index === 'table' ? {} : { IndexName: q.index }),
        KeyConditionExpression: q.sortPrefix === undefined ? '#pk = :pk' : '#pk = :pk AND begins_with(#sk, :sk)',
        ExpressionAttributeNames: q.sortPrefix === undefined ? { '#pk': pk } : { '#pk': pk, '#sk': sk },
        ExpressionAttributeValues: q.sortPrefix === undefined ? { ':pk': q.partition } : { ':pk': q.partition, ':sk': q.sortPrefix },
        ScanIndexForward: q.ascending ?? false,
        Limit: q.limit,
        ...(q.startKey ? { ExclusiveStartKey: q.startKey } : {}),
        ...(q.consistent ? { ConsistentRead: true } : {}),
      }),
    ),
  );
  return {
    items: (out.Items ?? []) as Record<string, unknown>[],
    ...(out.LastEvaluatedKey ? { lastKey: out.LastEvaluatedKey as PageKey } : {}),
  };
}

/** Removes the table's key attributes (and the `entity` tag) from an item. */
export function stripKeys(item: Record<string, unknown>): Record<string, unknown> {
  const { PK: _pk, SK: _sk, GSI1PK: _a, GSI1SK: _b, GSI2PK: _c, GSI2SK: _d, entity: _e, ttl: _t, ...rest } = item;
  return rest;
}

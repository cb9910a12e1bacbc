/**
 * DynamoDB for the local stack: dynalite on 127.0.0.1, in a Worker thread or on the caller's event loop
 * (LevelDB under a folder, or in memory), with Braid's table created if missing.
 */
import { mkdir } from 'node:fs/promises';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ensureTable } from '../../shared/store/create-table';
import { createDocumentClient, type TableRef } from '../../shared/store/table';
import { listenDynalite, type LocalStoreMode } from './dynamo-thread';

export type { LocalStoreMode } from './dynamo-thread';

/** Dummy credentials: dynalite ignores signatures. */
export const LOCAL_AWS = { region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } as const;

/**
 * dynalite checks that a request carries a SigV4-shaped `Authorization` header but never verifies the signature:
 * the local client sends a fixed one instead of signing each request (SigV4 was about 5% of the local stack's CPU
 * per node, `bench/per-node.ts`). The cloud's clients sign as usual.
 */
export const LOCAL_SIGNER = {
  async sign<T extends { headers: Record<string, string> }>(request: T): Promise<T> {
    request.headers['x-amz-date'] = '20260101T000000Z';
    request.headers.authorization = 'AWS4-HMAC-SHA256 Credential=local/20260101/local/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=0';
    return request;
  },
};

/** A running dynalite with the table. */
export interface LocalDynamo extends TableRef {
  endpoint: string;
  close(): Promise<void>;
}

/** Options of `startDynamo`. */
export interface StartDynamoOptions {
  tableName: string;
  /** LevelDB folder (created if missing); in memory without it. @default undefined */
  path?: string;
  /** @default 0 (any free port) */
  port?: number;
  /** Where dynalite runs: a Worker thread or this event loop (see `LocalStoreMode`). @default "in-process" */
  store?: LocalStoreMode;
}

/** Starts dynalite (persisted under `path` when given) and ensures the table exists. */
export async function startDynamo(options: StartDynamoOptions): Promise<LocalDynamo> {
  if (options.path) await mkdir(options.path, { recursive: true });
  const server = await listenDynalite(options.store ?? 'in-process', {
    ...(options.path ? { path: options.path } : {}), ...(options.port !== undefined ? { port: options.port } : {}),
  });
  const endpoint = `http://127.0.0.1:${server.port}`;
  const raw = new DynamoDBClient({ endpoint, ...LOCAL_AWS });
  try {
    await ensureTable(raw, options.tableName);
  } catch (error) {
    raw.destroy();
    await server.close();
    throw error;
  }
  raw.destroy();
  const client = createDocumentClient({ endpoint, ...LOCAL_AWS, signer: LOCAL_SIGNER });
  return {
    client,
    tableName: options.tableName,
    endpoint,
    async close() {
      client.destroy();
      await server.close();
    },
  };
}

/**
 * DynamoDB for the local stack: dynalite in-process on 127.0.0.1 (LevelDB under a folder, or in memory),
 * with Braid's table created if missing.
 */
import { createRequire } from 'node:module';
import { mkdir } from 'node:fs/promises';
import type { AddressInfo, Server } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ensureTable } from '../../shared/store/create-table';
import { createDocumentClient, type TableRef } from '../../shared/store/table';

// dynalite ships no types: load it untyped and describe the one call we make.
const dynalite = createRequire(import.meta.url)('dynalite') as (options: object) => Server;

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

/** Starts dynalite (persisted under `path` when given) and ensures the table exists. */
export async function startDynamo(options: { path?: string; tableName: string; port?: number }): Promise<LocalDynamo> {
  if (options.path) await mkdir(options.path, { recursive: true });
  const server = dynalite({ ...(options.path ? { path: options.path } : {}), createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const raw = new DynamoDBClient({ endpoint, ...LOCAL_AWS });
  try {
    await ensureTable(raw, options.tableName);
  } finally {
    raw.destroy();
  }
  const client = createDocumentClient({ endpoint, ...LOCAL_AWS, signer: LOCAL_SIGNER });
  return {
    client,
    tableName: options.tableName,
    endpoint,
    async close() {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

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
  const client = createDocumentClient({ endpoint, ...LOCAL_AWS });
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

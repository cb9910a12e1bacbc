/**
 * Test helpers for the live-progress tests: an in-process dynalite on 127.0.0.1:0 with Braid's table,
 * and a bounded poll.
 */
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createRequire } from 'node:module';
import { ensureTable } from '../../shared/store/create-table';
import { createDocumentClient, type TableRef } from '../../shared/store/table';
import { DeliveryError, type ConnectionPoster } from '../../shared/live/poster';

// dynalite ships no types; a declaration-free require keeps this file independent of any ambient d.ts.
const dynalite = createRequire(import.meta.url)('dynalite') as (options: object) => import('node:net').Server;

/** A running dynalite with the Braid table. */
export interface LocalTable extends TableRef {
  endpoint: string;
  close(): Promise<void>;
}

/** Dummy credentials: dynalite and the local Management API ignore signatures. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/** Starts dynalite on port 0 and creates the table. */
export async function startTable(tableName = 'braid-test'): Promise<LocalTable> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const config = { endpoint, region: 'local', credentials: LOCAL_CREDENTIALS };
  const raw = new DynamoDBClient(config);
  await ensureTable(raw, tableName);
  raw.destroy();
  const client = createDocumentClient(config);
  return {
    client,
    tableName,
    endpoint,
    async close() {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export { waitFor } from '../support/poll';

/**
 * A poster that records, per connection, the seq of each event frame, `error:<code>` for an error frame and the
 * `type` of any other frame. `behaviour` decides each post; `yieldEachPost` lets other work run inside each post
 * (as a network call would).
 */
export function recordingPoster(behaviour: (connectionId: string) => 'ok' | 'gone' | 'fail' = () => 'ok', options: { yieldEachPost?: boolean } = {}): ConnectionPoster & { got: Map<string, Array<number | string>> } {
  const got = new Map<string, Array<number | string>>();
  return {
    got,
    async post(connectionId, data) {
      const outcome = behaviour(connectionId);
      if (outcome === 'fail') throw new DeliveryError(connectionId);
      if (outcome === 'gone') return 'gone';
      if (options.yieldEachPost) await new Promise((resolve) => setImmediate(resolve));
      const message = JSON.parse(data) as { seq?: number; code?: string; type?: string };
      got.set(connectionId, [...(got.get(connectionId) ?? []), message.seq ?? (message.code ? `error:${message.code}` : String(message.type))]);
      return 'ok';
    },
  };
}

/**
 * The body of the local stack's off-thread DynamoDB (`startDynamo({ store: 'worker' })`): dynalite listening on
 * 127.0.0.1 inside a `worker_threads` Worker, so its request parsing, validation and LevelDB work run on their own
 * event loop instead of Braid's. Node 22 strips this file's types (erasable syntax only, no local imports).
 *
 * Protocol with `infra/local/dynamo-thread.ts`: `workerData` is `DynamoWorkerData`; the worker posts one
 * `DynamoWorkerMessage` (`listening` or `failed`); on `{ type: 'close' }` it closes the server (which closes
 * LevelDB and releases its lock), posts `closed` and exits.
 */
import { createRequire } from 'node:module';
import type { AddressInfo, Server } from 'node:net';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';

/** What the worker starts with. */
export interface DynamoWorkerData {
  /** LevelDB folder; in memory without it. */
  path?: string;
  port: number;
}

/** What the worker posts. */
export type DynamoWorkerMessage =
  | { type: 'listening'; port: number }
  | { type: 'failed'; message: string; code?: string }
  | { type: 'closed'; message?: string };

// dynalite ships no types: load it untyped and describe the one call we make.
const dynalite = createRequire(import.meta.url)('dynalite') as (options: object) => Server;
const port = parentPort as MessagePort;
const post = (message: DynamoWorkerMessage) => port.postMessage(message);
const { path, port: listenPort } = workerData as DynamoWorkerData;

const server = dynalite({ ...(path ? { path } : {}), createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });

server.once('error', (error: NodeJS.ErrnoException) => {
  post({ type: 'failed', message: error.message, ...(error.code ? { code: error.code } : {}) });
  port.close();
});

server.listen(listenPort, '127.0.0.1', () => post({ type: 'listening', port: (server.address() as AddressInfo).port }));

port.on('message', (message: { type?: string }) => {
  if (message?.type !== 'close') return;
  server.close((error?: Error) => {
    post({ type: 'closed', ...(error ? { message: error.message } : {}) });
    // Nothing else holds this thread's event loop: closing the port lets the worker exit on its own.
    port.close();
  });
});

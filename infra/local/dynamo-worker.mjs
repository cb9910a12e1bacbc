// @ts-check
/**
 * The body of the local stack's off-thread DynamoDB (`startDynamo({ store: 'worker' })`): dynalite listening on
 * 127.0.0.1 inside a `worker_threads` Worker, so its request parsing, validation and LevelDB work run on their own
 * event loop instead of Braid's.
 *
 * Plain JavaScript on purpose: a Worker loads its file with Node's own loader, without the TypeScript transform
 * of `tsx` or vitest, and this file only needs dynalite.
 *
 * Protocol with `infra/local/dynamo-thread.ts`: `workerData` is `{ path?: string, port: number }`; the worker
 * posts `{ type: 'listening', port }` or `{ type: 'failed', message, code }`; on `{ type: 'close' }` it closes the
 * server (which closes LevelDB and releases its lock), posts `{ type: 'closed', message? }` and exits.
 */
import { parentPort, workerData } from 'node:worker_threads';
import dynalite from 'dynalite';

const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort);
const { path, port: listenPort } = /** @type {{ path?: string, port: number }} */ (workerData);

/** @type {import('node:net').Server} */
const server = dynalite({ ...(path ? { path } : {}), createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });

server.once('error', (/** @type {NodeJS.ErrnoException} */ error) => {
  port.postMessage({ type: 'failed', message: error.message, code: error.code });
  port.close();
});

server.listen(listenPort, '127.0.0.1', () => {
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  port.postMessage({ type: 'listening', port: address.port });
});

port.on('message', (/** @type {{ type?: string }} */ message) => {
  if (message?.type !== 'close') return;
  server.close((/** @type {Error | undefined} */ error) => {
    port.postMessage({ type: 'closed', ...(error ? { message: error.message } : {}) });
    // Nothing else holds this thread's event loop: closing the port lets the worker exit on its own.
    port.close();
  });
});

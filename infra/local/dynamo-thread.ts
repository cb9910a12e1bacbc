/**
 * dynalite's server for the local stack, either on Braid's own event loop or in a `worker_threads` Worker
 * (`infra/local/dynamo-worker.ts`). Both listen on 127.0.0.1 and persist the same way; the difference is which
 * thread pays for the emulator's CPU.
 */
import { createRequire } from 'node:module';
import type { AddressInfo, Server } from 'node:net';
import { Worker } from 'node:worker_threads';
import type { DynamoWorkerData, DynamoWorkerMessage as WorkerMessage } from './dynamo-worker';

/**
 * Where the local stack's DynamoDB emulator runs.
 * - `worker`: in a Worker thread of this process, with its own event loop (a second core does the emulator's
 *   request parsing and LevelDB work, as DynamoDB is a remote service in AWS).
 * - `in-process`: on the caller's event loop (a cheaper start: no thread to boot and no module load).
 */
export type LocalStoreMode = 'worker' | 'in-process';

/** A listening dynalite server. */
export interface DynaliteServer {
  port: number;
  /** Closes the server and its LevelDB (releasing the folder's lock); a Worker has exited when this resolves. */
  close(): Promise<void>;
}

/** Options of `listenDynalite`. */
export interface DynaliteServerOptions {
  /** LevelDB folder; in memory without it. @default undefined */
  path?: string;
  /** @default 0 (any free port) */
  port?: number;
}

/** How long a Worker may take to close gracefully before it is terminated. */
const WORKER_CLOSE_MS = 10_000;

// dynalite ships no types: load it untyped and describe the one call we make.
const dynalite = createRequire(import.meta.url)('dynalite') as (options: object) => Server;

/** Starts dynalite on 127.0.0.1 on the caller's event loop or in a Worker. */
export function listenDynalite(mode: LocalStoreMode, options: DynaliteServerOptions): Promise<DynaliteServer> {
  return mode === 'worker' ? listenInWorker(options) : listenInProcess(options);
}

async function listenInProcess(options: DynaliteServerOptions): Promise<DynaliteServer> {
  const server = dynalite({ ...(options.path ? { path: options.path } : {}), createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function listenInWorker(options: DynaliteServerOptions): Promise<DynaliteServer> {
  const workerData: DynamoWorkerData = { ...(options.path ? { path: options.path } : {}), port: options.port ?? 0 };
  const worker = new Worker(new URL('./dynamo-worker.ts', import.meta.url), {
    workerData,
    // Node strips the worker's types itself: it needs none of the parent's loaders (tsx), which would only slow its start.
    execArgv: [],
  });
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  let port: number;
  try {
    port = await firstMessage(worker);
  } catch (error) {
    await worker.terminate();
    throw error;
  }
  // A crash after the start fails every request with a connection error; say why once, here.
  let closing = false;
  worker.on('error', (error) => console.error('the local DynamoDB worker failed', error));
  worker.once('exit', (code) => { if (!closing) console.error(`the local DynamoDB worker exited (code ${code}): its requests now fail`); });
  return {
    port,
    async close() {
      closing = true;
      worker.on('message', (message: WorkerMessage) => {
        if (message.type === 'closed' && message.message) console.error('the local DynamoDB worker closed with an error:', message.message);
      });
      worker.postMessage({ type: 'close' });
      // Graceful first (LevelDB flushed and unlocked, then the worker exits on its own); one that cannot is terminated.
      const timer = setTimeout(() => void worker.terminate(), WORKER_CLOSE_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The port the worker listens on, or why it could not start. */
function firstMessage(worker: Worker): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const settle = (fn: () => void) => {
      worker.off('error', onError).off('exit', onExit).off('message', onMessage);
      fn();
    };
    const onError = (error: Error) => settle(() => reject(error));
    const onExit = (code: number) => settle(() => reject(new Error(`the DynamoDB worker exited (code ${code}) before listening`)));
    const onMessage = (message: WorkerMessage) => {
      if (message.type === 'listening') settle(() => resolve(message.port));
      else if (message.type === 'failed') settle(() => reject(Object.assign(new Error(`the DynamoDB worker could not listen: ${message.message}`), { code: message.code })));
    };
    worker.on('error', onError).on('exit', onExit).on('message', onMessage);
  });
}

/**
 * DynamoDB for the local stack: dynalite on 127.0.0.1, in a Worker thread or on the caller's event loop
 * (LevelDB under a folder, or in memory), with Braid's table created if missing.
 */
import { mkdir } from 'node:fs/promises';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ensureTable } from '../../shared/store/create-table';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
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

/** How long `close()` waits for the client's requests in flight before it closes their sockets anyway. */
const DRAIN_MS = 10_000;

/**
 * Counts the client's commands in flight (retries included), so `close()` can wait for them: a request whose socket
 * is destroyed mid-flight lets dynalite close its database under an operation it has queued, which then throws
 * "Database is closed" where nothing can catch it.
 */
function trackInFlight(client: DynamoDBDocumentClient): { drained(timeoutMs: number): Promise<void> } {
  let inFlight = 0;
  let waiters: (() => void)[] = [];
  client.middlewareStack.add((next) => async (args) => {
    inFlight += 1;
    try {
      return await next(args);
    } finally {
      inFlight -= 1;
      if (inFlight === 0) for (const wake of waiters.splice(0)) wake();
    }
  }, { step: 'initialize', priority: 'high', name: 'localInFlight' });
  const idle = (timeoutMs: number) => new Promise<void>((resolve) => {
    const timer = setTimeout(() => { waiters = waiters.filter((w) => w !== wake); resolve(); }, timeoutMs);
    const wake = () => { clearTimeout(timer); resolve(); };
    waiters.push(wake);
  });
  return {
    async drained(timeoutMs) {
      // Checked again after each wake-up: a command may start between the last one ending and this resuming.
      const deadline = performance.now() + timeoutMs;
      while (inFlight > 0 && performance.now() < deadline) await idle(deadline - performance.now());
    },
  };
}

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
  const inFlight = trackInFlight(client);
  return {
    client,
    tableName: options.tableName,
    endpoint,
    async close() {
      // Requests still in flight (a function the stack could not stop) finish first; then the client's sockets
      // close, so the server need not wait for idle keep-alive connections to time out.
      await inFlight.drained(DRAIN_MS);
      client.destroy();
      await server.close();
    },
  };
}

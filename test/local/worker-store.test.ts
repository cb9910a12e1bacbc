/**
 * The local stack's off-thread DynamoDB (`store: 'worker'`): dynalite in a Worker thread persists like the
 * in-process one, runs workflows end to end, and leaves nothing behind when closed.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOCAL_AWS, startDynamo } from '../../infra/local/dynamo';
import { createDocumentClient } from '../../shared/store/table';
import { waitFor } from '../support/poll';
import { startTestStack } from '../support/local-stack';
import { createWorkflow, getEvents, getNodes, startRun, startRunStack, waitForRun } from '../runs/helpers';

/** Whether anything still accepts connections on the endpoint. */
async function listening(endpoint: string): Promise<boolean> {
  return fetch(endpoint, { method: 'POST', body: '{}' }).then(() => true, () => false);
}

const chain = {
  name: 'worker-store',
  nodes: [
    { id: 'a', type: 'tool_call', tool: { kind: 'builtin', name: 'echo' }, inputs: { text: '$context.text' } },
    { id: 'b', type: 'tool_call', tool: { kind: 'builtin', name: 'echo' }, inputs: { text: '$a.text', n: 1 } },
    { id: 'c', type: 'tool_call', tool: { kind: 'builtin', name: 'echo' }, inputs: { text: '$a.text', n: 2 } },
    { id: 'd', type: 'tool_call', tool: { kind: 'builtin', name: 'echo' }, inputs: { b: '$b.n', c: '$c.n' } },
  ],
  edges: [{ from: 'a', to: 'b' }, { from: 'a', to: 'c' }, { from: 'b', to: 'd' }, { from: 'c', to: 'd' }],
};

describe('dynalite in a worker thread', () => {
  let dir: string;
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'braid-worker-store-')); });
  afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

  it('persists to its folder: a restart on the same folder finds the data, and close frees the port', async () => {
    // Prepare
    const first = await startDynamo({ tableName: 'braid', path: dir, store: 'worker' });
    await first.client.send(new PutCommand({ TableName: 'braid', Item: { PK: 'RUN#r1', SK: 'META', status: 'running' } }));

    // Act
    await first.close();
    const second = await startDynamo({ tableName: 'braid', path: dir, store: 'worker' });
    try {
      const got = await second.client.send(new GetCommand({ TableName: 'braid', Key: { PK: 'RUN#r1', SK: 'META' } }));

      // Assess: the LevelDB lock was released (the second start opened the folder) and the item is there
      expect(got.Item).toStrictEqual({ PK: 'RUN#r1', SK: 'META', status: 'running' });
      expect(await listening(first.endpoint)).toBe(false);
    } finally {
      await second.close();
    }
    expect(await listening(second.endpoint)).toBe(false);
  });

  it('fails to start with the reason when its port is taken, and leaves the running one alone', async () => {
    // Prepare
    const running = await startDynamo({ tableName: 'braid', store: 'worker' });
    try {
      // Act
      const taken = startDynamo({ tableName: 'braid', store: 'worker', port: Number(new URL(running.endpoint).port) });

      // Assess
      await expect(taken).rejects.toMatchObject({ code: 'EADDRINUSE', message: expect.stringContaining('could not listen') });
      await running.client.send(new PutCommand({ TableName: 'braid', Item: { PK: 'P', SK: 'S' } }));
      expect((await running.client.send(new GetCommand({ TableName: 'braid', Key: { PK: 'P', SK: 'S' } }))).Item).toBeDefined();
    } finally {
      await running.close();
    }
  });

  it('leaves nothing running: a process that starts and closes it exits on its own', async () => {
    // Act: the child's event loop empties only if close() ended the worker thread and every socket and timer.
    // A cold `npx tsx` compiles the fixture first: seconds on a loaded machine (the bound only catches a hang).
    const { stdout } = await promisify(execFile)('npx', ['tsx', 'test/local/fixtures/start-close-store.ts'], { cwd: process.cwd(), timeout: 50_000 });

    // Assess
    expect(JSON.parse(stdout.trim())).toMatchObject({ closed: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/) });
  }, 60_000);
});

describe('closing the local store', () => {
  it.each(['in-process', 'worker'] as const)('%s: close() lets the writes in flight finish before it closes the database', async (store) => {
    // Prepare: writes still in flight when close() is called, as a run the stack could not stop would leave them
    const dynamo = await startDynamo({ tableName: 'braid', store });
    const writes = Array.from({ length: 100 }, (_, i) => dynamo.client.send(new PutCommand({ TableName: 'braid', Item: { PK: `P#${i}`, SK: 'S', i } })));

    // Act
    await dynamo.close();

    // Assess: every write was answered (none cut off mid-flight), and the server is gone
    const outcomes = await Promise.allSettled(writes);
    expect(outcomes.filter((o) => o.status === 'rejected').map((o) => String((o as PromiseRejectedResult).reason))).toStrictEqual([]);
    expect(await listening(dynamo.endpoint)).toBe(false);
  });
});

describe('closing the store client', () => {
  it('destroy() closes its keep-alive sockets, so a server closing behind it need not wait for them', async () => {
    // Prepare: a server that would hold an idle keep-alive socket for two minutes
    const server = createServer((_req, res) => res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' }).end('{"__type":"ValidationException","message":"no"}'));
    server.keepAliveTimeout = 120_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = createDocumentClient({ endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, ...LOCAL_AWS, maxAttempts: 1 });
    try {
      await expect(client.send(new GetCommand({ TableName: 'braid', Key: { PK: 'P', SK: 'S' } }))).rejects.toThrow('no');
      const open = () => new Promise<number>((resolve, reject) => server.getConnections((error, n) => (error ? reject(error) : resolve(n))));
      expect(await open()).toBe(1);

      // Act
      client.destroy();

      // Assess
      await waitFor(async () => ((await open()) === 0 ? true : undefined), 'the client\'s socket to close');
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('the local stack on the worker store', () => {
  it('runs a fan-out and join end to end', async () => {
    // Prepare
    const stack = await startRunStack({ store: 'worker' });
    try {
      const wf = await createWorkflow(stack, 'alice', chain);

      // Act
      const runId = await startRun(stack, 'alice', wf, { input: { text: 'hi' } });
      const run = await waitForRun(stack, 'alice', runId, ['succeeded', 'failed']);

      // Assess
      expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
      const nodes = await getNodes(stack, 'alice', runId);
      expect(nodes.d?.output).toStrictEqual({ b: 1, c: 2 });
      const events = await getEvents(stack, 'alice', runId);
      expect(events.map((e) => e.seq)).toStrictEqual(events.map((_, i) => i + 1));
      expect(events.filter((e) => e.type === 'node.succeeded')).toHaveLength(4);
    } finally {
      await stack.close();
    }
    expect(await listening(stack.table.endpoint)).toBe(false);
  });

  it('keeps runs across a restart on the same data folder', async () => {
    // Prepare: a finished run, then the stack stops
    const dataDir = await mkdtemp(join(tmpdir(), 'braid-worker-stack-'));
    try {
      const first = await startTestStack({ dataDir, inMemory: false, store: 'worker' });
      let runId: string;
      let before: unknown[];
      try {
        const wf = await createWorkflow(first, 'alice', chain);
        runId = await startRun(first, 'alice', wf, { input: { text: 'kept' } });
        expect((await waitForRun(first, 'alice', runId, ['succeeded', 'failed'])).status).toBe('succeeded');
        before = await getEvents(first, 'alice', runId);
      } finally {
        await first.close();
      }

      // Act
      const second = await startTestStack({ dataDir, inMemory: false, store: 'worker' });
      try {
        // Assess
        const run = await second.call('GET', `/api/v1/workflows/runs/${runId}`, { as: 'alice' });
        expect(run.body).toMatchObject({ status: 'succeeded' });
        expect(await getEvents(second, 'alice', runId)).toStrictEqual(before);
      } finally {
        await second.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main, type CliIo } from '../../client/cli';
import type { NodeRun } from '../../shared/model/types';
import { waitFor } from './helpers';
import { startLiveStack, type LiveStack } from './live-stack';

let stack: LiveStack;
let api: Server;
let apiUrl: string;
const nodeLists = new Map<string, NodeRun[]>();

beforeAll(async () => {
  stack = await startLiveStack();
  // Stands in for the nodes route only; the watch's live part runs on the real WebSocket stack.
  api = createServer((req, res) => {
    const match = /^\/api\/v1\/workflows\/runs\/([^/]+)\/nodes$/.exec(req.url ?? '');
    const list = match?.[1] ? nodeLists.get(decodeURIComponent(match[1])) : undefined;
    if (!list || req.headers.authorization?.startsWith('Bearer ') !== true) return void res.writeHead(404).end('{}');
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ items: list }));
  });
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', () => resolve()));
  apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => api.close(() => resolve()));
  await stack.close();
});

const at = (s: number) => new Date(Date.UTC(2025, 0, 1, 0, 0, s)).toISOString();

function captureIo(env: NodeJS.ProcessEnv): CliIo & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    stdout: { write: (t: string) => (out += t) },
    stderr: { write: (t: string) => (err += t) },
    env,
    out: () => out,
    err: () => err,
  };
}

function pendingNodes(runId: string, ids: string[]): NodeRun[] {
  return ids.map((nodeId) => ({ runId, nodeId, status: 'pending', attempts: [] }));
}

describe('braid CLI', () => {
  it('watches a run to the end across a dropped connection, each event once, with progress', async () => {
    // Prepare
    const runId = await stack.seedRun('alice');
    const nodes = ['a', 'b', 'c'];
    nodeLists.set(runId, pendingNodes(runId, nodes));
    const io = captureIo({ BRAID_URL: apiUrl, BRAID_WS_URL: stack.ws.url, BRAID_TOKEN: await stack.token('alice') });
    await stack.events.append(runId, 'run.started', { type: 'run.started', at: at(0), data: {} });
    // Act
    const exit = main(['watch', runId], io);
    await waitFor(() => (io.out().includes('1 run.started') ? true : undefined), 'first event printed');
    for (const id of stack.ws.connections.keys()) stack.ws.drop(id);
    await stack.events.append(runId, 'node.started:a:0', { type: 'node.started', nodeId: 'a', at: at(1), data: { attempt: 0 } });
    await stack.events.append(runId, 'node.failed:a:0', { type: 'node.retrying', nodeId: 'a', at: at(2), data: { attempt: 0 } });
    await stack.events.append(runId, 'node.started:a:1', { type: 'node.started', nodeId: 'a', at: at(3), data: { attempt: 1 } });
    await stack.events.append(runId, 'node.succeeded:a', { type: 'node.succeeded', nodeId: 'a', at: at(5), data: {} });
    await stack.events.append(runId, 'node.skipped:b', { type: 'node.skipped', nodeId: 'b', at: at(5), data: {} });
    await stack.events.append(runId, 'node.started:c:0', { type: 'node.started', nodeId: 'c', at: at(5), data: { attempt: 0 } });
    await stack.events.append(runId, 'node.succeeded:c', { type: 'node.succeeded', nodeId: 'c', at: at(6), data: {} });
    await stack.events.append(runId, 'run.succeeded', { type: 'run.succeeded', at: at(7), data: {} });
    // Assess
    expect(await exit).toBe(0);
    const eventLines = io.out().split('\n').filter((l) => /^\d+ /.test(l));
    expect(eventLines).toStrictEqual([
      '1 run.started', '2 node.started a', '3 node.retrying a', '4 node.started a', '5 node.succeeded a',
      '6 node.skipped b', '7 node.started c', '8 node.succeeded c', '9 run.succeeded',
    ]);
    expect(io.out()).toContain(`run ${runId}  succeeded  (seq 9)`);
    expect(io.out()).toContain('[########################] 3/3 nodes done');
    expect(io.out()).toMatch(/\n {2}a +succeeded +attempts 2 +4\.0s\n {2}c +succeeded +attempts 1 +1\.0s\n {2}b +skipped +attempts 0\n/);
    expect(io.err()).toContain('connection lost; resuming after seq 1');
  });

  it('exits 1 when the watched run fails', async () => {
    // Prepare
    const runId = await stack.seedRun('alice');
    await stack.events.append(runId, 'run.started', { type: 'run.started', at: at(0), data: {} });
    await stack.events.append(runId, 'run.failed', { type: 'run.failed', at: at(1), data: {} });
    const io = captureIo({ BRAID_URL: apiUrl, BRAID_WS_URL: stack.ws.url, BRAID_TOKEN: await stack.token('alice') });
    // Act
    const exit = await main(['watch', runId], io);
    // Assess
    expect(exit).toBe(1);
    expect(io.out()).toContain('2 run.failed');
  });

  it('refuses to watch another user\'s run', async () => {
    // Prepare
    const runId = await stack.seedRun('alice');
    const io = captureIo({ BRAID_URL: apiUrl, BRAID_WS_URL: stack.ws.url, BRAID_TOKEN: await stack.token('mallory') });
    // Act
    const exit = await main(['watch', runId], io);
    // Assess
    expect(exit).toBe(3);
    expect(io.err()).toContain(`run ${runId} not found`);
  });

  it('reports a missing token as a usage error', async () => {
    // Prepare
    const io = captureIo({});
    // Act
    const exit = await main(['watch', 'r1'], io);
    // Assess
    expect(exit).toBe(2);
    expect(io.err()).toContain('a token is required');
  });

  it('runs as `npm run braid` entry point', async () => {
    // Prepare
    const run = promisify(execFile);
    // Act
    // A cold `npx tsx` compiles the CLI first: seconds on a loaded machine (the bound only catches a hang).
    const { stdout } = await run('npx', ['tsx', 'client/cli.ts', '--help'], { cwd: process.cwd(), timeout: 50_000 });
    // Assess
    expect(stdout).toContain('Usage: braid [options] [command]');
  }, 60_000);
});

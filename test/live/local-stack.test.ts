import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main, type CliIo } from '../../client/cli';
import { createLocalStack, type LocalStack } from '../../infra/local/stack';
import type { Run } from '../../shared/model/types';
import { createEventLogRepository } from '../../shared/store/events';
import { waitFor } from './helpers';

let stack: LocalStack;
beforeAll(async () => { stack = await createLocalStack({ inMemory: true, logLevel: 'SILENT' }); });
afterAll(async () => { await stack.close(); });

function captureIo(env: NodeJS.ProcessEnv): CliIo & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return { stdout: { write: (t: string) => (out += t) }, stderr: { write: (t: string) => (err += t) }, env, out: () => out, err: () => err };
}

const at = (s: number) => new Date(Date.UTC(2025, 0, 1, 0, 0, s)).toISOString();

describe('braid CLI against the local stack', () => {
  it('creates a workflow, then watches its run live through the stack\'s WebSocket API and stream emulation', async () => {
    // Prepare: a workflow created through the CLI and the real HTTP API
    const dir = await mkdtemp(join(tmpdir(), 'braid-live-'));
    const file = join(dir, 'wf.json');
    await writeFile(file, JSON.stringify({
      name: 'echo twice',
      nodes: [{ id: 'a', type: 'tool_call', tool: { kind: 'builtin', name: 'echo' } }, { id: 'b', type: 'tool_call', tool: { kind: 'builtin', name: 'echo' } }],
      edges: [{ from: 'a', to: 'b' }],
    }));
    const env = { BRAID_URL: stack.httpUrl, BRAID_WS_URL: stack.wsUrl, BRAID_TOKEN: await stack.token('alice') };
    const create = captureIo(env);
    expect(await main(['workflows', 'create', file], create)).toBe(0);
    const workflowId = /^workflow (\S+) version 1$/m.exec(create.out())?.[1];
    expect(workflowId).toBeDefined();
    // The run and its events are written straight to the store, as the executor does.
    const runId = `run-${Date.now()}`;
    const run: Run = { runId, workflowId: workflowId!, version: 1, ownerId: 'alice', startedBy: 'alice', status: 'running', input: {}, startedAt: at(0), cost: { usd: 0 } };
    await stack.store.runs.create(run);
    const events = createEventLogRepository(stack.table);
    await events.append(runId, 'run.started', { type: 'run.started', at: at(0), data: {} });
    const io = captureIo(env);
    // Act
    const exit = main(['watch', runId], io);
    await waitFor(() => (io.out().includes('1 run.started') ? true : undefined), 'catch-up');
    await events.append(runId, 'node.started:a:0', { type: 'node.started', nodeId: 'a', at: at(1), data: { attempt: 0 } });
    await events.append(runId, 'node.succeeded:a', { type: 'node.succeeded', nodeId: 'a', at: at(2), data: {} });
    await events.append(runId, 'node.started:b:0', { type: 'node.started', nodeId: 'b', at: at(2), data: { attempt: 0 } });
    await events.append(runId, 'node.succeeded:b', { type: 'node.succeeded', nodeId: 'b', at: at(4), data: {} });
    await events.append(runId, 'run.succeeded', { type: 'run.succeeded', at: at(4), data: {} });
    // Assess
    expect(await exit).toBe(0);
    expect(io.out().split('\n').filter((l) => /^\d+ /.test(l))).toStrictEqual([
      '1 run.started', '2 node.started a', '3 node.succeeded a', '4 node.started b', '5 node.succeeded b', '6 run.succeeded',
    ]);
    expect(io.out()).toContain('2/2 nodes done');
  });
});

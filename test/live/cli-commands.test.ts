/**
 * The `braid` CLI against the local stack (real handlers, dynalite, the local orchestrator, the demo tool and
 * agent on ephemeral ports): login, workflow and run commands, gates, exit codes, `--json` and table width.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main, type CliIo } from '../../client/cli';
import { startDemoAgent } from '../../examples/demo-agent';
import { startDemoTool, type DemoServer } from '../../examples/demo-tool';
import { createLocalStack, type LocalStack } from '../../infra/local/stack';
import { waitFor } from './helpers';

let stack: LocalStack;
let demo: DemoServer[];
let dir: string;
let demoFile: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'braid-cli-'));
  demo = await Promise.all([startDemoTool({ port: 0 }), startDemoAgent({ port: 0 })]);
  const text = await readFile(new URL('../../examples/hotel-booking.json', import.meta.url), 'utf8');
  demoFile = join(dir, 'hotel-booking.json');
  await writeFile(demoFile, text.replaceAll('http://127.0.0.1:4401', demo[0]!.url).replaceAll('http://127.0.0.1:4402', demo[1]!.url));
  // The console option turns on the local sign-in route `braid login --user` uses; no assets are needed.
  stack = await createLocalStack({ inMemory: true, logLevel: 'ERROR', console: { distDir: join(dir, 'no-console') } });
  for (const server of demo) stack.egress.allowlist.add(new URL(server.url).host);
}, 60_000);
afterAll(async () => {
  await stack?.close();
  await Promise.all(demo.map((d) => d.close()));
  await rm(dir, { recursive: true, force: true });
});

interface Captured extends CliIo {
  out(): string;
  err(): string;
}

function io(env: NodeJS.ProcessEnv, columns?: number): Captured {
  let out = '';
  let err = '';
  return {
    stdout: { write: (t: string) => (out += t), ...(columns ? { columns } : {}) },
    stderr: { write: (t: string) => (err += t) },
    env,
    readStdin: async () => '',
    out: () => out,
    err: () => err,
  };
}

/** Runs the CLI as `user` (logged in through its own config file); returns exit code and output. */
async function braid(user: string, args: string[], columns?: number): Promise<{ code: number; out: string; err: string }> {
  const capture = io({ BRAID_CONFIG: join(dir, `${user}.json`) }, columns);
  const code = await main(args, capture);
  return { code, out: capture.out(), err: capture.err() };
}

async function login(user: string): Promise<void> {
  const result = await braid(user, ['login', '--url', stack.httpUrl, '--ws-url', stack.wsUrl!, '--user', user]);
  expect(result).toMatchObject({ code: 0 });
}

async function waitingAtGate(user: string, runId: string): Promise<void> {
  await waitFor(async () => {
    const { out } = await braid(user, ['--json', 'runs', 'nodes', runId]);
    const nodes = (JSON.parse(out) as { items: { nodeId: string; status: string }[] }).items;
    return nodes.find((n) => n.nodeId === 'approve')?.status === 'waiting' ? true : undefined;
  }, 'the gate to wait', 20_000);
}

describe('braid CLI on the local stack', { timeout: 60_000 }, () => {
  it('logs in with --user, storing URL and token in a 0600 config file that later commands use', async () => {
    // Act
    await login('alice');
    // Assess
    const file = join(dir, 'alice.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const saved = JSON.parse(await readFile(file, 'utf8')) as { url: string; token: string };
    expect(saved.url).toBe(stack.httpUrl);
    expect(saved.token.split('.')).toHaveLength(3);
    expect((await braid('alice', ['workflows', 'list'])).code).toBe(0);
  });

  it('validates, creates, lists, reads, diagrams, publishes and deletes a workflow', async () => {
    // Prepare
    await login('alice');
    const bad = join(dir, 'bad.json');
    await writeFile(bad, JSON.stringify({ name: 'bad', nodes: [{ id: 'a', type: 'tool_call', tool: { kind: 'builtin', name: 'echo' } }], edges: [{ from: 'a', to: 'ghost' }] }));
    // Act + Assess
    expect(await braid('alice', ['workflows', 'validate', demoFile])).toMatchObject({ code: 0, out: expect.stringContaining('valid') });
    const invalid = await braid('alice', ['workflows', 'validate', bad]);
    expect(invalid.code).toBe(1);
    expect(invalid.out).toMatch(/error \w+ at \/edges\/0\/to/);
    const created = JSON.parse((await braid('alice', ['--json', 'workflows', 'create', demoFile])).out) as { id: string };
    const list = await braid('alice', ['workflows', 'list', '--scope', 'mine'], 60);
    expect(list.out).toContain('hotel-booking');
    for (const line of list.out.trimEnd().split('\n')) expect(line.length).toBeLessThanOrEqual(60);
    expect((await braid('alice', ['workflows', 'get', created.id])).out).toContain('approve (human_gate)');
    expect((await braid('alice', ['workflows', 'diagram', created.id])).out).toContain('approve');
    expect((await braid('alice', ['workflows', 'publish', created.id, demoFile])).out).toContain('version 2');
    expect((await braid('alice', ['workflows', 'versions', created.id])).out).toMatch(/v2[\s\S]*v1|v1[\s\S]*v2/);
    expect((await braid('bob', ['--token', await stack.token('bob'), '--url', stack.httpUrl, 'workflows', 'get', created.id])).code).toBe(3);
    expect((await braid('alice', ['workflows', 'delete', created.id])).code).toBe(0);
    const gone = await braid('alice', ['workflows', 'get', created.id]);
    expect(gone.code).toBe(3);
    expect(gone.err).toContain('404');
  });

  it('runs the demo, approves its gate, watches it succeed, and reads its status, nodes and events', async () => {
    // Prepare
    await login('alice');
    const { id } = JSON.parse((await braid('alice', ['--json', 'workflows', 'create', demoFile])).out) as { id: string };
    const input = join(dir, 'paris.json');
    await writeFile(input, JSON.stringify({ city: 'Paris', nights: 2 }));
    // Act
    const started = JSON.parse((await braid('alice', ['--json', 'run', id, '--input', input])).out) as { runId: string };
    await waitingAtGate('alice', started.runId);
    const gate = await braid('alice', ['gate', started.runId, 'approve']);
    const approved = await braid('alice', ['approve', started.runId, 'approve', '--comment', 'ok', '--data', '{"limit":500}']);
    const watched = await braid('alice', ['watch', started.runId]);
    // Assess
    expect(gate.out).toMatch(/^gate approve of run \S+ {2}waiting\nThe cheapest hotel costs over \$150 a night/);
    expect(approved).toMatchObject({ code: 0, out: `approved approve of run ${started.runId}\n` });
    expect(watched.code).toBe(0);
    expect(watched.out).toContain('[########################] 6/6 nodes done');
    // The demo's map quotes the two Paris hotels: each item counted once.
    expect(watched.out).toMatch(/quotes +succeeded .*items 2\/2/);
    expect((await braid('alice', ['runs', 'status', started.runId])).out).toMatch(/succeeded[\s\S]*"total":420/);
    const nodes = await braid('alice', ['runs', 'nodes', started.runId]);
    expect(nodes.out).toMatch(/approve +human_gate +succeeded/);
    const events = JSON.parse((await braid('alice', ['--json', 'runs', 'events', started.runId])).out) as { events: { seq: number }[] };
    expect(events.events.map((e) => e.seq)).toStrictEqual(events.events.map((_e, i) => i + 1));
    expect((await braid('alice', ['runs', 'list', id])).out).toContain(started.runId.slice(0, 20));
  });

  it('cancels a waiting run; a refused action exits 3 with the API\'s message', async () => {
    // Prepare
    await login('alice');
    const { id } = JSON.parse((await braid('alice', ['--json', 'workflows', 'create', demoFile])).out) as { id: string };
    const input = join(dir, 'paris1.json');
    await writeFile(input, JSON.stringify({ city: 'Paris' }));
    const { runId } = JSON.parse((await braid('alice', ['--json', 'run', id, '--input', input])).out) as { runId: string };
    await waitingAtGate('alice', runId);
    // Act
    const cancelled = await braid('alice', ['runs', 'cancel', runId]);
    const again = await braid('alice', ['runs', 'cancel', runId]);
    const watched = await braid('alice', ['watch', runId]);
    // Assess
    expect(cancelled).toMatchObject({ code: 0, out: `run ${runId} cancelled\n` });
    expect(again.code).toBe(3);
    expect(again.err).toContain('409');
    expect(watched.code).toBe(1);
  });

  it('stores, lists and deletes a secret without ever printing its value', async () => {
    // Prepare
    await login('alice');
    const value = 'sk-cli-test-value-31337';
    // Act
    const put = await braid('alice', ['secrets', 'put', 'openai-key', value]);
    const list = await braid('alice', ['secrets', 'list']);
    const listJson = await braid('alice', ['--json', 'secrets', 'list']);
    const removed = await braid('alice', ['secrets', 'delete', 'openai-key']);
    const again = await braid('alice', ['secrets', 'delete', 'openai-key']);
    // Assess
    expect(put).toMatchObject({ code: 0, out: 'stored secret openai-key\n' });
    expect(list.out).toMatch(/^NAME +CREATED +UPDATED\n[- ]+\nopenai-key +\d{4}-/);
    expect((JSON.parse(listJson.out) as { items: { name: string }[] }).items.map((s) => s.name)).toStrictEqual(['openai-key']);
    expect(removed.code).toBe(0);
    expect(again.code).toBe(3);
    expect(again.err).toContain('404');
    for (const r of [put, list, listJson, removed, again]) expect(r.out + r.err).not.toContain(value);
  });

  it('exits 2 on usage errors and 4 when the server is unreachable', async () => {
    // Act + Assess
    expect((await braid('alice', ['runs', 'frobnicate'])).code).toBe(2);
    expect((await braid('alice', ['runs'])).code).toBe(2);
    expect((await braid('alice', ['runs', '--help'])).code).toBe(0);
    expect((await braid('alice', ['reply', 'r1', 'n1'])).code).toBe(2);
    expect((await braid('alice', ['approve', 'r1', 'n1', '--data', '{not json'])).code).toBe(2);
    const down = await braid('nobody', ['--url', 'http://127.0.0.1:9', '--token', 'x.y.z', 'workflows', 'list']);
    expect(down.code).toBe(4);
    expect(down.err).toContain('cannot reach the server');
  });

  it('watches a workflow_call naming its child run, and shows a child run with its parent', async () => {
    // Prepare
    await login('alice');
    const childFile = join(dir, 'child.json');
    await writeFile(childFile, JSON.stringify({ name: 'child', nodes: [{ id: 'echoed', type: 'tool_call', tool: { kind: 'builtin', name: 'echo' }, inputs: { n: '$context.n' } }], edges: [] }));
    const child = JSON.parse((await braid('alice', ['--json', 'workflows', 'create', childFile])).out) as { id: string };
    const parentFile = join(dir, 'parent.json');
    await writeFile(parentFile, JSON.stringify({ name: 'parent', nodes: [{ id: 'triage', type: 'workflow_call', workflow: { id: child.id }, inputs: { n: 7 }, timeoutSeconds: 30 }], edges: [] }));
    const parent = JSON.parse((await braid('alice', ['--json', 'workflows', 'create', parentFile])).out) as { id: string };
    // Act
    const watched = await braid('alice', ['run', parent.id, '--watch']);
    const childRunId = /child run ([0-9a-f-]{36})/.exec(watched.out)?.[1];
    const shown = await braid('alice', ['runs', 'show', childRunId ?? 'none']);
    const listed = await braid('alice', ['runs', 'list', child.id], 200);
    // Assess
    expect(watched.code, watched.out + watched.err).toBe(0);
    expect(childRunId).toBeDefined();
    const parentRunId = /^run (\S+) running/m.exec(watched.out)?.[1];
    expect(shown.out).toContain(`child of run ${parentRunId} (node triage)`);
    expect(shown.out).toContain('output {"echoed":{"n":7}}');
    expect(listed.out).toContain('PARENT');
    expect(listed.out).toContain(`${parentRunId}/triage`);
  });
});

describe('local sign-in route', () => {
  it('answers loopback hosts with a JSON body only, and refuses a bad user id', async () => {
    // Prepare
    const post = (headers: Record<string, string>, body: string) => fetch(`${stack.httpUrl}/local/token`, { method: 'POST', headers, body });
    // Act
    const ok = await post({ 'content-type': 'application/json' }, '{"userId":"alice"}');
    // fetch keeps its own Host header; node:http sends the one a rebinding page would.
    const rebound = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${stack.httpUrl}/local/token`, { method: 'POST', headers: { 'content-type': 'application/json', host: 'evil.example' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end('{"userId":"alice"}');
    });
    const form = await post({ 'content-type': 'text/plain' }, '{"userId":"alice"}');
    const bad = await post({ 'content-type': 'application/json' }, '{"userId":"no spaces"}');
    // Assess
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { token: string }).token.split('.')).toHaveLength(3);
    expect(rebound).toBe(403);
    expect(form.status).toBe(415);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'invalid_user', path: '/userId' } });
  });
});

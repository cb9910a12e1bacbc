/**
 * The CLI's commands for routes built in parallel (redrive, rerun, node replies, the gates inbox, secrets):
 * each sends the documented method, path and body, and prints the answer; checked against a recording server.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { main, type CliIo } from '../../client/cli';

interface Recorded {
  method: string;
  url: string;
  body: unknown;
  auth: string | undefined;
}

let server: Server;
let url: string;
let recorded: Recorded[] = [];
let answer: { status: number; body: unknown } = { status: 200, body: {} };

beforeAll(async () => {
  server = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      recorded.push({ method: req.method ?? '', url: req.url ?? '', body: text ? JSON.parse(text) : undefined, auth: req.headers.authorization });
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
beforeEach(() => {
  recorded = [];
  answer = { status: 200, body: {} };
});

async function braid(args: string[], stdin = ''): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = { stdout: { write: (t: string) => (out += t) }, stderr: { write: (t: string) => (err += t) }, env: { BRAID_URL: url, BRAID_TOKEN: 'tok' }, readStdin: async () => stdin };
  const code = await main(args, io);
  return { code, out, err };
}

describe('CLI commands of the newer routes', () => {
  it.each([
    { args: ['runs', 'redrive', 'r1'], method: 'POST', path: '/api/v1/workflows/runs/r1/redrive', body: {} },
    { args: ['runs', 'rerun', 'r1', '--from', 'pick', '--version', '2'], method: 'POST', path: '/api/v1/workflows/runs/r1/rerun', body: { fromNode: 'pick', version: 2 } },
    { args: ['reply', 'r1', 'pick', 'the cheaper one'], method: 'POST', path: '/api/v1/workflows/runs/r1/nodes/pick/reply', body: { text: 'the cheaper one' } },
    { args: ['reply', 'r1', 'pick', '--data', '{"n":1}'], method: 'POST', path: '/api/v1/workflows/runs/r1/nodes/pick/reply', body: { data: { n: 1 } } },
    { args: ['reply', 'r1', 'pick', 'Lyon', '--item', '3'], method: 'POST', path: '/api/v1/workflows/runs/r1/nodes/pick/reply?item=3', body: { text: 'Lyon' } },
    { args: ['gates'], method: 'GET', path: '/api/v1/gates?status=waiting', body: undefined },
    { args: ['gates', '--limit', '5'], method: 'GET', path: '/api/v1/gates?status=waiting&limit=5', body: undefined },
    { args: ['secrets', 'put', 'openai', 's3cret'], method: 'PUT', path: '/api/v1/secrets/openai', body: { value: 's3cret' } },
    { args: ['secrets', 'list'], method: 'GET', path: '/api/v1/secrets', body: undefined },
    { args: ['secrets', 'delete', 'openai'], method: 'DELETE', path: '/api/v1/secrets/openai', body: undefined },
    { args: ['workflows', 'create', '--template', 'tpl-1', '--name', 'mine'], method: 'POST', path: '/api/v1/workflows', body: { templateId: 'tpl-1', name: 'mine' } },
    { args: ['approve', 'r/1', 'gate 1', '--comment', 'ok'], method: 'POST', path: '/api/v1/workflows/runs/r%2F1/gates/gate%201/approve', body: { comment: 'ok' } },
  ])('braid $args.0 $args.1 sends $method $path', async ({ args, method, path, body }) => {
    // Prepare
    answer = { status: 200, body: { items: [], runId: 'r2', status: 'running' } };
    // Act
    const { code } = await braid(args);
    // Assess
    expect(code).toBe(0);
    expect(recorded).toStrictEqual([{ method, url: path, body, auth: 'Bearer tok' }]);
  });

  it('shows what a waiting agent asked in the nodes table', async () => {
    // Prepare
    answer = { status: 200, body: { items: [{ nodeId: 'pick', type: 'agent_call', status: 'waiting', attempts: [{ attempt: 0, status: 'succeeded', asked: true, startedAt: '2025-01-01T00:00:00Z' }], question: { text: 'What is your budget?', data: null, turn: 0, askedAt: '2025-01-01T00:00:01Z' } }] } };
    // Act
    const { code, out } = await braid(['runs', 'nodes', 'r1']);
    // Assess
    expect(code).toBe(0);
    expect(out).toMatch(/pick +agent_call +waiting +1 .*asks: What is your budget\?/);
  });

  it('reads a secret value from stdin when none is given, and never prints it', async () => {
    // Act
    const { code, out } = await braid(['secrets', 'put', 'openai'], 'from-stdin\n');
    // Assess
    expect(code).toBe(0);
    expect(recorded[0]?.body).toStrictEqual({ value: 'from-stdin' });
    expect(out).not.toContain('from-stdin');
  });

  it('lists the inbox as a table with the workflow name', async () => {
    // Prepare
    answer = { status: 200, body: { items: [{ runId: 'run-1', nodeId: 'approve', workflowId: 'wf-1', workflowName: 'hotel-booking', status: 'waiting', prompt: 'Book it?', approvers: [], openedAt: '2025-01-01T00:00:00Z', timeoutAt: '2025-01-02T00:00:00Z' }] } };
    // Act
    const { out } = await braid(['gates']);
    // Assess
    expect(out.split('\n')[0]).toMatch(/^RUN +NODE +WORKFLOW +OPENED +TIMES OUT +PROMPT$/);
    expect(out).toMatch(/run-1 +approve +hotel-booking +2025-01-01T00:00 +2025-01-02T00:00 +Book it\?/);
  });

  it('prints the API\'s status, message and code and exits 3 when a route refuses', async () => {
    // Prepare
    answer = { status: 409, body: { error: { code: 'run_not_failed', reason: 'succeeded', message: 'run r1 has succeeded' } } };
    // Act
    const { code, err } = await braid(['runs', 'redrive', 'r1']);
    // Assess
    expect(code).toBe(3);
    expect(err).toBe('braid: POST /api/v1/workflows/runs/r1/redrive: 409 run r1 has succeeded [run_not_failed]\n');
  });
});

/**
 * `braid inbox`: gates and agents' questions in one table with a KIND column and how to answer each kind;
 * `--kind` filters on the server; `braid gates` shows a question as `asks: …`. Checked against a recording server.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { main, type CliIo } from '../../client/cli';

let server: Server;
let url: string;
let recorded: string[] = [];
let answer: unknown = { items: [] };

const GATE = { kind: 'gate', runId: 'run-1', nodeId: 'approve', workflowId: 'wf-1', workflowName: 'hotel-booking', status: 'waiting', prompt: 'Book it?', approvers: [], openedAt: '2025-01-01T00:00:00Z', timeoutAt: '2025-01-02T00:00:00Z' };
const QUESTION = { kind: 'question', runId: 'run-2', nodeId: 'pick', item: 3, itemPath: '3', workflowId: 'wf-2', workflowName: 'per item', status: 'waiting', question: { text: 'What is your budget?\nIn EUR.', data: null, turn: 0 }, askedAt: '2025-01-03T10:00:00Z' };

beforeAll(async () => {
  server = createServer((req, res) => {
    recorded.push(`${req.method} ${req.url}`);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
beforeEach(() => {
  recorded = [];
  answer = { items: [] };
});

async function braid(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = { stdout: { write: (t: string) => (out += t) }, stderr: { write: (t: string) => (err += t) }, env: { BRAID_URL: url, BRAID_TOKEN: 'tok', COLUMNS: '200' }, readStdin: async () => '' };
  const code = await main(args, io);
  return { code, out, err };
}

describe('braid inbox', () => {
  it('lists gates and questions with their kind and says how to answer each', async () => {
    // Prepare
    answer = { items: [GATE, QUESTION] };
    // Act
    const { code, out } = await braid(['inbox']);
    // Assess
    expect(code).toBe(0);
    expect(recorded).toStrictEqual(['GET /api/v1/gates?status=waiting']);
    const lines = out.split('\n').filter((l) => !/^-[- ]*$/.test(l));
    expect(lines[0]).toMatch(/^KIND +RUN +NODE +WORKFLOW +SINCE +TIMES OUT +WAITS FOR$/);
    expect(lines[1]).toMatch(/^gate +run-1 +approve +hotel-booking +2025-01-01T00:00 +2025-01-02T00:00 +Book it\?$/);
    expect(lines[2]).toMatch(/^question +run-2 +pick --item 3 +per item +2025-01-03T10:00 +What is your budget\?$/);
    expect(out).toContain('braid approve|reject <RUN> <NODE>');
    expect(out).toContain('braid reply <RUN> <NODE> "<your answer>"');
  });

  it('asks the server for one kind with --kind, and refuses another word', async () => {
    // Act
    const questions = await braid(['inbox', '--kind', 'question', '--limit', '5']);
    const wrong = await braid(['inbox', '--kind', 'votes']);
    // Assess
    expect(questions.code).toBe(0);
    expect(questions.out).toContain('nothing waits for you');
    expect(recorded).toStrictEqual(['GET /api/v1/gates?status=waiting&kind=question&limit=5']);
    expect(wrong.code).toBe(2);
  });

  it('shows a question in braid gates as what it asks', async () => {
    // Prepare
    answer = { items: [QUESTION] };
    // Act
    const { out } = await braid(['gates']);
    // Assess
    expect(out.split('\n').filter((l) => !/^-[- ]*$/.test(l))[1]).toMatch(/^run-2 +pick --item 3 +per item +2025-01-03T10:00 +asks: What is your budget\?$/);
  });
});

/**
 * Every byte bounded: each documented limit (README, "Limits") tested at the limit and one past it, and the
 * failures the bounds were built for replayed end to end on the local stack.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assertOutputSize, executeNode, guardResponses, MAX_OUTPUT_BYTES, MAX_RESPONSE_BYTES, OutputTooLargeError, resolveInputs, toErrorInfo, NodeFailedError,
} from '../../shared/executors';
import { EXPRESSION_LIMITS } from '../../shared/expressions/limits';
import { boundErrorInfo, MAX_ERROR_MESSAGE_CHARS, MAX_ERROR_DETAILS_BYTES } from '../../shared/model/error-bounds';
import { MAX_GATE_INPUTS_BYTES } from '../../shared/model/stored-bounds';
import { createRunStores } from '../../shared/services/execution-context';
import { NODE_PAGE_LIMITS } from '../../shared/services/run-views';
import { allowTestServer, testExecutorDeps } from '../support/egress';
import { startMcpServer, type McpServerHandle } from '../support/mcp-server';
import { createWorkflow, startRun, startRunStack, waitForRun, type TestStack } from '../runs/helpers';

/** A fetch that answers `bytes` bytes of body, in 64 KiB chunks, without a content-length. */
function fetchOf(bytes: number, declare = false): typeof fetch {
  return async () => {
    let left = bytes;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (left <= 0) return controller.close();
        const n = Math.min(left, 65_536);
        left -= n;
        controller.enqueue(new Uint8Array(n).fill(120));
      },
    });
    return new Response(body, { headers: declare ? { 'content-length': String(bytes) } : {} });
  };
}

const ctx = () => ({ runId: 'r', nodeId: 'n', attempt: 0, signal: new AbortController().signal, deadline: Date.now() + 20_000 });

describe('response and output caps', () => {
  it(`reads a response body of exactly ${MAX_RESPONSE_BYTES} bytes; one byte more is Braid.OutputTooLarge`, async () => {
    // Act
    const atLimit = await (await guardResponses(fetchOf(MAX_RESPONSE_BYTES)).fetch('http://x')).arrayBuffer();
    const guard = guardResponses(fetchOf(MAX_RESPONSE_BYTES + 1));
    const past = await (await guard.fetch('http://x')).arrayBuffer().then(() => undefined, (e: unknown) => e);
    // Assess
    expect(atLimit.byteLength).toBe(MAX_RESPONSE_BYTES);
    expect(past).toBeInstanceOf(OutputTooLargeError);
    expect(guard.tripped?.name).toBe('Braid.OutputTooLarge');
  });

  it('refuses a declared content-length over the cap before reading the body', async () => {
    const guard = guardResponses(fetchOf(MAX_RESPONSE_BYTES + 1, true));
    await expect(guard.fetch('http://x')).rejects.toBeInstanceOf(OutputTooLargeError);
  });

  it(`accepts an output of exactly ${MAX_OUTPUT_BYTES} bytes of JSON; one more is Braid.OutputTooLarge`, () => {
    const atLimit = 'x'.repeat(MAX_OUTPUT_BYTES - 2); // the JSON string's two quotes make it exactly the limit
    expect(() => assertOutputSize(atLimit)).not.toThrow();
    expect(() => assertOutputSize(`${atLimit}x`)).toThrow(OutputTooLargeError);
  });
});

describe('every executor obeys the response cap', () => {
  let mcp: McpServerHandle;
  let cards: Server;
  let cardsUrl: string;
  beforeAll(async () => {
    mcp = await startMcpServer();
    // An "agent" whose card is 2 MB.
    cards = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ name: 'huge', pad: 'x'.repeat(2 * MAX_RESPONSE_BYTES) })));
    await new Promise<void>((resolve) => cards.listen(0, '127.0.0.1', resolve));
    cardsUrl = allowTestServer(`http://127.0.0.1:${(cards.address() as AddressInfo).port}`);
  });
  afterAll(async () => {
    cards?.closeAllConnections();
    await Promise.all([mcp?.close(), new Promise((resolve) => cards?.close(resolve))]);
  });

  it('an MCP tool answering 2 MB fails with Braid.OutputTooLarge (the body is never read whole)', async () => {
    const node = { id: 'n', type: 'tool_call', tool: { kind: 'mcp', url: mcp.url, name: 'echo' } } as const;
    const error = await executeNode(node, { blob: 'x'.repeat(2 * MAX_RESPONSE_BYTES) }, ctx(), testExecutorDeps()).then(() => undefined, (e: unknown) => e);
    expect((error as Error).name).toBe('Braid.OutputTooLarge');
  });

  it('an agent whose card is 2 MB fails with Braid.OutputTooLarge', async () => {
    const node = { id: 'n', type: 'agent_call', agent: { url: cardsUrl } } as const;
    const error = await executeNode(node, { message: 'hi' }, ctx(), testExecutorDeps()).then(() => undefined, (e: unknown) => e);
    expect((error as Error).name).toBe('Braid.OutputTooLarge');
  });

  it(`a lambda tool returning more than ${MAX_RESPONSE_BYTES} bytes fails with Braid.OutputTooLarge`, async () => {
    const node = { id: 'n', type: 'tool_call', tool: { kind: 'lambda', functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:braid-tool-x' } } as const;
    const lambda = { send: async () => ({ StatusCode: 200, Payload: new Uint8Array(MAX_RESPONSE_BYTES + 1).fill(32) }) };
    const error = await executeNode(node, {}, ctx(), testExecutorDeps({ lambda: lambda as never })).then(() => undefined, (e: unknown) => e);
    expect((error as Error).name).toBe('Braid.OutputTooLarge');
  });
});

describe('stored errors', () => {
  it(`keeps a message of ${MAX_ERROR_MESSAGE_CHARS} characters whole and cuts one character more, saying so`, () => {
    const atLimit = boundErrorInfo({ name: 'Braid.NodeFailed', message: 'x'.repeat(MAX_ERROR_MESSAGE_CHARS) });
    const past = boundErrorInfo({ name: 'Braid.NodeFailed', message: 'x'.repeat(MAX_ERROR_MESSAGE_CHARS + 1) });
    expect(atLimit.message.length).toBe(MAX_ERROR_MESSAGE_CHARS);
    expect(past.message.length).toBe(MAX_ERROR_MESSAGE_CHARS);
    expect(past.message).toMatch(/\[1 more characters cut\]$/);
  });

  it(`keeps details of ${MAX_ERROR_DETAILS_BYTES} bytes; larger details become a preview with their size`, () => {
    const fits = { body: 'x'.repeat(MAX_ERROR_DETAILS_BYTES - 11) }; // {"body":"…"} is 11 bytes of JSON around it
    expect(boundErrorInfo({ name: 'E', message: 'm', details: fits }).details).toBe(fits);
    const over = boundErrorInfo({ name: 'E', message: 'm', details: { body: 'x'.repeat(MAX_ERROR_DETAILS_BYTES - 10) } }).details;
    expect(over).toMatchObject({ truncated: true, bytes: MAX_ERROR_DETAILS_BYTES + 1 });
  });

  it('an executor error with a 500,000-character message is recorded with its real name (the attempt write no longer fails)', () => {
    const info = toErrorInfo(new NodeFailedError(`MCP error: ${'x'.repeat(500_000)}`, { body: 'y'.repeat(100_000) }));
    expect(info.name).toBe('Braid.NodeFailed');
    expect(info.message.startsWith('MCP error: xxx')).toBe(true);
    expect(JSON.stringify(info).length).toBeLessThan(8_192);
  });
});

describe('expression caps', () => {
  const scope = { context: {}, outputs: {} };
  it(`builds a string of exactly ${EXPRESSION_LIMITS.maxStringLength} characters; one more is Braid.BindingFailed`, async () => {
    const at = await resolveInputs({ n: `$length($pad("", ${EXPRESSION_LIMITS.maxStringLength}, "x"))` }, scope);
    expect(at).toStrictEqual({ n: EXPRESSION_LIMITS.maxStringLength });
    await expect(resolveInputs({ n: `$length($pad("", ${EXPRESSION_LIMITS.maxStringLength + 1}, "x"))` }, scope)).rejects.toThrow(/over the 1048576-character limit/);
  });

  it(`builds an array of exactly ${EXPRESSION_LIMITS.maxSequence} items; one more is Braid.BindingFailed`, async () => {
    const at = await resolveInputs({ n: `$count([1..${EXPRESSION_LIMITS.maxSequence}])` }, scope);
    expect(at).toStrictEqual({ n: EXPRESSION_LIMITS.maxSequence });
    await expect(resolveInputs({ n: `$count([1..${EXPRESSION_LIMITS.maxSequence + 1}])` }, scope)).rejects.toThrow(/Braid\.BindingFailed|binding \/n/);
  });
});

describe('items and pages on the local stack', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startRunStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('a run whose 220 KB input a node echoes back is recorded succeeded (input and output are separate items)', async () => {
    // Prepare
    const wf = await createWorkflow(stack, 'big', { name: 'echo-big', nodes: [{ id: 'echo', type: 'tool_call', tool: { kind: 'builtin', name: 'echo' }, inputs: { blob: '$context.blob' } }], edges: [] });
    const blob = 'x'.repeat(220_000);
    // Act
    const runId = await startRun(stack, 'big', wf, { input: { blob } });
    const run = await waitForRun(stack, 'big', runId, ['succeeded', 'failed']);
    // Assess
    expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
    expect(run.input.blob.length).toBe(220_000);
    expect(run.output.echo.blob.length).toBe(220_000);
  });

  it(`pages the nodes route, leaving out outputs over ${NODE_PAGE_LIMITS.inlineOutputBytes} bytes with a link to each`, async () => {
    // Prepare: three nodes, two with outputs over the inline size
    const wf = await createWorkflow(stack, 'pager', {
      name: 'pages',
      nodes: [
        { id: 'a', type: 'tool_call', tool: { kind: 'builtin', name: 'echo' }, inputs: { blob: '$context.big' } },
        { id: 'b', type: 'tool_call', tool: { kind: 'builtin', name: 'echo' }, inputs: { blob: '$context.big' } },
        { id: 'c', type: 'tool_call', tool: { kind: 'builtin', name: 'echo' }, inputs: { small: '$context.small' } },
      ],
      edges: [{ from: 'a', to: 'b' }, { from: 'b', to: 'c' }],
    });
    const big = 'y'.repeat(NODE_PAGE_LIMITS.inlineOutputBytes);
    const runId = await startRun(stack, 'pager', wf, { input: { big, small: 'z' } });
    await waitForRun(stack, 'pager', runId, ['succeeded']);
    // Act
    const first = await stack.call('GET', `/api/v1/workflows/runs/${runId}/nodes?limit=2`, { as: 'pager' });
    const second = await stack.call('GET', `/api/v1/workflows/runs/${runId}/nodes?limit=2&cursor=${first.body.nextCursor}`, { as: 'pager' });
    const output = await stack.call('GET', first.body.items[0].outputOmitted.href, { as: 'pager' });
    const stranger = await stack.call('GET', first.body.items[0].outputOmitted.href, { as: 'someone-else' });
    // Assess
    expect(first.body.items.map((n: { nodeId: string }) => n.nodeId)).toStrictEqual(['a', 'b']);
    expect(first.body.items[0].output).toBeUndefined();
    expect(first.body.items[0].outputOmitted.bytes).toBeGreaterThan(NODE_PAGE_LIMITS.inlineOutputBytes);
    expect(second.body.items.map((n: { nodeId: string }) => n.nodeId)).toStrictEqual(['c']);
    expect(second.body.items[0].output).toStrictEqual({ small: 'z' });
    expect(second.body.nextCursor).toBeUndefined();
    expect(output.status).toBe(200);
    expect(output.body.output.blob.length).toBe(big.length);
    expect(stranger.status).toBe(404);
  });

  it(`takes limit=${NODE_PAGE_LIMITS.maxItems} on the nodes route; ${NODE_PAGE_LIMITS.maxItems + 1} is a 400 naming the query`, async () => {
    const wf = await createWorkflow(stack, 'pager', { name: 'one', nodes: [{ id: 'a', type: 'tool_call', tool: { kind: 'builtin', name: 'echo' } }], edges: [] });
    const runId = await startRun(stack, 'pager', wf);
    const at = await stack.call('GET', `/api/v1/workflows/runs/${runId}/nodes?limit=${NODE_PAGE_LIMITS.maxItems}`, { as: 'pager' });
    const past = await stack.call('GET', `/api/v1/workflows/runs/${runId}/nodes?limit=${NODE_PAGE_LIMITS.maxItems + 1}`, { as: 'pager' });
    const forged = await stack.call('GET', `/api/v1/workflows/runs/${runId}/nodes?cursor=abc`, { as: 'pager' });
    expect(at.status).toBe(200);
    expect(past.status).toBe(400);
    expect(past.body.errors[0].path).toBe('/query/limit');
    expect(forged.status).toBe(400);
  });

  it(`stores gate inputs of ${MAX_GATE_INPUTS_BYTES} bytes; larger ones as a size marker (the gate item always fits)`, async () => {
    const gates = createRunStores(stack.store).gates;
    const base = { nodeId: 'g', status: 'waiting' as const, prompt: 'p', approvers: [], openedAt: '2026-01-01T00:00:00.000Z', timeoutAt: '2026-01-02T00:00:00.000Z', taskToken: 't' };
    await gates.open({ ...base, runId: 'gate-at', inputs: { s: 'x'.repeat(MAX_GATE_INPUTS_BYTES - 8) } });
    await gates.open({ ...base, runId: 'gate-past', inputs: { s: 'x'.repeat(MAX_GATE_INPUTS_BYTES - 7) } });
    expect(((await gates.get('gate-at', 'g')) as unknown as { inputs: { s: string } }).inputs.s.length).toBe(MAX_GATE_INPUTS_BYTES - 8);
    expect((await gates.get('gate-past', 'g'))).toMatchObject({ inputs: { omitted: true, bytes: MAX_GATE_INPUTS_BYTES + 1 } });
  });

  it('records an attempt whose error is 500,000 characters long, with its real name', async () => {
    const nodeRuns = createRunStores(stack.store).nodeRuns;
    await nodeRuns.startAttempt('err-run', 'n', 0, '2026-01-01T00:00:00.000Z');
    const written = await nodeRuns.finishAttempt('err-run', 'n', 0, { status: 'failed', endedAt: '2026-01-01T00:00:01.000Z', error: { name: 'Braid.NodeFailed', message: 'z'.repeat(500_000) } });
    const attempt = await nodeRuns.getAttempt('err-run', 'n', 0);
    expect(written).toBe(true);
    expect(attempt?.error?.name).toBe('Braid.NodeFailed');
    expect(attempt?.error?.message.length).toBe(MAX_ERROR_MESSAGE_CHARS);
  });
});

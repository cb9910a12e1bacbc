import { afterEach, describe, expect, it } from 'vitest';
import type { NodeDef } from '../../shared/definition/schema';
import { executeNode, MAX_OUTPUT_BYTES, NodeFailedError, OutputTooLargeError } from '../../shared/executors';
import { startHttpToolServer, type HttpToolServerHandle, type HttpToolServerOptions } from '../support/http-tool-server';
import { allowTestServer, testExecutorDeps } from '../support/egress';

let server: HttpToolServerHandle | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(options: HttpToolServerOptions = {}): Promise<HttpToolServerHandle> {
  server = await startHttpToolServer(options);
  return server;
}

function httpNode(url: string, method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', headers?: Record<string, string>): NodeDef {
  return { id: 'search', type: 'tool_call', tool: { kind: 'http', url, ...(method ? { method } : {}), ...(headers ? { headers } : {}) } };
}

function ctx(overrides: { attempt?: number; signal?: AbortSignal; deadlineMs?: number } = {}) {
  return {
    runId: 'run-1',
    nodeId: 'search',
    attempt: overrides.attempt ?? 0,
    signal: overrides.signal ?? new AbortController().signal,
    deadline: Date.now() + (overrides.deadlineMs ?? 5_000),
  };
}

async function failure(promise: Promise<unknown>): Promise<Error & { details?: Record<string, unknown> }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  return error as Error & { details?: Record<string, unknown> };
}

describe('http tools', () => {
  it('POSTs the inputs as JSON with an idempotency key and returns the JSON reply', async () => {
    // Prepare
    const tool = await start({ handler: () => ({ body: { hotels: [{ name: 'A' }] } }) });

    // Act
    const result = await executeNode(httpNode(`${tool.url}/search`, undefined, { 'X-Api-Key': 'k' }), { city: 'Oslo', n: 2 }, ctx({ attempt: 1 }), testExecutorDeps());

    // Assess
    expect(result).toStrictEqual({ output: { hotels: [{ name: 'A' }] } });
    expect(tool.requests).toHaveLength(1);
    expect(tool.requests[0]).toMatchObject({ method: 'POST', path: '/search', body: { city: 'Oslo', n: 2 } });
    expect(tool.requests[0]?.headers['idempotency-key']).toBe('run-1:search:1');
    expect(tool.requests[0]?.headers['x-api-key']).toBe('k');
    expect(tool.requests[0]?.headers['content-type']).toBe('application/json');
  });

  it('sends GET inputs as query parameters, keeping the URL query', async () => {
    // Prepare
    const tool = await start();

    // Act
    await executeNode(httpNode(`${tool.url}/find?lang=en`, 'GET'), { city: 'Oslo', n: 2, tags: ['a', 'b'], f: { x: 1 } }, ctx(), testExecutorDeps());

    // Assess
    expect(tool.requests[0]).toMatchObject({ method: 'GET', body: '' });
    expect(tool.requests[0]?.query).toStrictEqual({ lang: ['en'], city: ['Oslo'], n: ['2'], tags: ['a', 'b'], f: ['{"x":1}'] });
  });

  it('returns a text reply as a string and an empty reply as null', async () => {
    // Prepare
    const tool = await start({ handler: (req) => (req.path === '/text' ? { body: 'plain words' } : { status: 204 }) });

    // Act
    const text = await executeNode(httpNode(`${tool.url}/text`, 'PUT'), {}, ctx(), testExecutorDeps());
    const empty = await executeNode(httpNode(`${tool.url}/empty`, 'DELETE'), {}, ctx(), testExecutorDeps());

    // Assess
    expect([text.output, empty.output]).toStrictEqual(['plain words', null]);
  });

  it('fails a non-2xx reply with Braid.NodeFailed carrying the status', async () => {
    // Prepare
    const tool = await start();

    // Act
    const error = await failure(executeNode(httpNode(`${tool.url}/status/503`), {}, ctx(), testExecutorDeps()));

    // Assess
    expect(error).toBeInstanceOf(NodeFailedError);
    expect(error.name).toBe('Braid.NodeFailed');
    expect(error.details).toStrictEqual({ status: 503, body: '{"error":"status 503"}' });
  });

  it('fails a 404 the same way', async () => {
    // Prepare
    const tool = await start({ handler: () => ({ status: 404, body: 'no such thing' }) });

    // Act
    const error = await failure(executeNode(httpNode(`${tool.url}/x`, 'PATCH'), {}, ctx(), testExecutorDeps()));

    // Assess
    expect(error.details).toMatchObject({ status: 404, body: 'no such thing' });
  });

  it('times out at the node deadline', async () => {
    // Prepare: a tool that never answers, so only the deadline can end the call
    const tool = await start({ handler: () => new Promise<never>(() => undefined) });

    // Act
    const error = await failure(executeNode(httpNode(`${tool.url}/hangs`), {}, ctx({ deadlineMs: 200 }), testExecutorDeps()));

    // Assess
    expect(error.details).toStrictEqual({ timedOut: true });
  });

  it('stops when the attempt is aborted', async () => {
    // Prepare: a tool that never answers and aborts the attempt once the request has reached it
    const controller = new AbortController();
    const tool = await start({ handler: () => { controller.abort(); return new Promise<never>(() => undefined); } });

    // Act
    const error = await failure(executeNode(httpNode(`${tool.url}/hangs`), {}, ctx({ signal: controller.signal, deadlineMs: 600_000 }), testExecutorDeps()));

    // Assess
    expect(error.details).toStrictEqual({ aborted: true });
    expect(tool.requests).toHaveLength(1);
  });

  it('fails a connection error with Braid.NodeFailed', async () => {
    // Prepare: the discard port, where nothing listens; it lies below the ephemeral range, so unlike a port just
    // closed it cannot be handed to another test's server in a parallel worker
    const url = allowTestServer('http://127.0.0.1:9');

    // Act
    const error = await failure(executeNode(httpNode(url), {}, ctx(), testExecutorDeps()));

    // Assess
    expect(error.name).toBe('Braid.NodeFailed');
    expect(error.details).toStrictEqual({ network: true });
  });

  it('fails a reply declared as JSON that does not parse', async () => {
    // Prepare
    const tool = await start({ handler: () => ({ body: '{not json', contentType: 'application/json' }) });

    // Act
    const error = await failure(executeNode(httpNode(tool.url), {}, ctx(), testExecutorDeps()));

    // Assess
    expect(error.name).toBe('Braid.NodeFailed');
    expect(error.message).toMatch(/did not parse/);
  });

  it('stops reading a reply over 256 KiB with Braid.OutputTooLarge', async () => {
    // Prepare
    const tool = await start({ handler: () => ({ body: 'y'.repeat(MAX_OUTPUT_BYTES + 10) }) });

    // Act
    const error = await failure(executeNode(httpNode(tool.url, 'GET'), {}, ctx(), testExecutorDeps()));

    // Assess
    expect(error).toBeInstanceOf(OutputTooLargeError);
  });
});

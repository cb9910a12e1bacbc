import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeDef } from '../../shared/definition/schema';
import { executeNode, MCP_IDEMPOTENCY_META_KEY, NodeFailedError } from '../../shared/executors';
import { startMcpServer, type McpServerHandle } from '../support/mcp-server';
import { testExecutorDeps } from '../support/egress';

let mcp: McpServerHandle;

beforeAll(async () => {
  mcp = await startMcpServer();
});

afterAll(async () => {
  await mcp.close();
});

function mcpNode(name: string, url = mcp.url): NodeDef {
  return { id: 'calc', type: 'tool_call', tool: { kind: 'mcp', url, name } };
}

function ctx(overrides: { attempt?: number; deadlineMs?: number } = {}) {
  return {
    runId: 'run-3',
    nodeId: 'calc',
    attempt: overrides.attempt ?? 0,
    signal: new AbortController().signal,
    deadline: Date.now() + (overrides.deadlineMs ?? 10_000),
  };
}

async function failure(promise: Promise<unknown>): Promise<NodeFailedError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(NodeFailedError);
  return error as NodeFailedError;
}

describe('mcp tools', () => {
  it('calls the tool with the inputs as arguments and returns its structuredContent', async () => {
    // Act
    const result = await executeNode(mcpNode('add'), { a: 2, b: 40 }, ctx({ attempt: 1 }), testExecutorDeps());

    // Assess
    expect(result).toStrictEqual({ output: { sum: 42 } });
    expect(mcp.calls.at(-1)).toStrictEqual({
      name: 'add',
      args: { a: 2, b: 40 },
      meta: { [MCP_IDEMPOTENCY_META_KEY]: 'run-3:calc:1' },
      idempotencyKey: 'run-3:calc:1',
    });
  });

  it('passes MCP progress notifications to the progress sink', async () => {
    // Prepare: progress notifications need a streamed (SSE) answer
    const updates: unknown[] = [];
    const sse = await startMcpServer({ sse: true });

    // Act
    const result = await executeNode(mcpNode('progress', sse.url), { steps: 3 }, { ...ctx(), progress: (u) => updates.push(u) }, testExecutorDeps()).finally(() => sse.close());

    // Assess
    expect(result.output).toStrictEqual([{ type: 'text', text: 'did 3' }]);
    expect(updates).toStrictEqual([1, 2, 3].map((i) => ({ progress: { progress: i, total: 3, message: `step ${i}` } })));
  });

  it('returns the content array when the tool gives no structuredContent', async () => {
    // Act
    const result = await executeNode(mcpNode('echo'), { city: 'Oslo' }, ctx(), testExecutorDeps());

    // Assess
    expect(result.output).toStrictEqual([{ type: 'text', text: '{"city":"Oslo"}' }]);
  });

  it('fails with Braid.NodeFailed when the tool result is an error', async () => {
    // Act
    const error = await failure(executeNode(mcpNode('fail'), { message: 'quota exceeded' }, ctx(), testExecutorDeps()));

    // Assess
    expect(error.name).toBe('Braid.NodeFailed');
    expect(error.message).toMatch(/reported an error: quota exceeded/);
    expect(error.details).toStrictEqual({ isError: true });
  });

  it('fails when the arguments do not match the tool schema', async () => {
    // Act
    const error = await failure(executeNode(mcpNode('add'), { a: 'two' }, ctx(), testExecutorDeps()));

    // Assess
    expect(error.message).toMatch(/Input validation error/);
  });

  it('fails with the HTTP status when the endpoint is wrong', async () => {
    // Act
    const error = await failure(executeNode(mcpNode('add', mcp.url.replace(/\/mcp$/, '/elsewhere')), { a: 1, b: 1 }, ctx(), testExecutorDeps()));

    // Assess
    expect(error.details).toStrictEqual({ status: 404 });
  });

  it('times out a slow tool at the node deadline', async () => {
    // Act: the tool waits far longer than the test may take, so only the deadline can end the call
    const error = await failure(executeNode(mcpNode('slow'), { ms: 600_000 }, ctx({ deadlineMs: 400 }), testExecutorDeps()));

    // Assess
    expect(error.details).toStrictEqual({ timedOut: true });
  });
});

/**
 * `tool_call` of kind `mcp`: one MCP `tools/call` over Streamable HTTP per attempt.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import type { ToolDef } from '../definition/schema';
import type { Outbound } from '../outbound/outbound';
import { abortedError, attemptSignal, remainingMs } from './attempt-signal';
import { ExecutorError, NodeFailedError } from './errors';
import { guardResponses } from './output-limit';
import { idempotencyKey } from './http-tool';
import type { ExecutionContext, ExecutionResult } from './types';

/** The `mcp` tool definition. */
export type McpTool = Extract<ToolDef, { kind: 'mcp' }>;

/** The `_meta` key carrying the attempt's idempotency key in `tools/call`. */
export const MCP_IDEMPOTENCY_META_KEY = 'io.braid/idempotency-key';

/**
 * Connects to the MCP server at `tool.url` (Streamable HTTP), calls `tool.name` with the inputs as
 * arguments and closes the session. The output is the result's `structuredContent` when present, else its
 * `content` array. A result with `isError: true`, a JSON-RPC error or an HTTP error is `Braid.NodeFailed`.
 * The attempt's idempotency key travels as the `Idempotency-Key` header and in `_meta`.
 */
export async function executeMcpTool(
  tool: McpTool,
  inputs: Record<string, unknown>,
  ctx: ExecutionContext,
  outbound: Outbound,
): Promise<ExecutionResult> {
  const signal = attemptSignal(ctx);
  const key = idempotencyKey(ctx);
  // Every response body the SDK reads stops at MAX_RESPONSE_BYTES (a 50 MB tool answer once grew memory by 171 MB).
  const guard = guardResponses(outbound.fetch);
  const transport = new StreamableHTTPClientTransport(new URL(tool.url), {
    requestInit: { headers: { 'Idempotency-Key': key } },
    // Every request of the session (initialize, tools/call, the SSE stream) goes through the egress guard with the
    // node's auth (outbound.fetch), and every response body through the byte cap (guard.fetch).
    fetch: guard.fetch,
  });
  const client = new Client({ name: 'braid-executor', version: '1.0.0' });
  const where = `MCP tool ${tool.name} at ${tool.url}`;
  try {
    await client.connect(transport, { signal, timeout: Math.max(1, remainingMs(ctx)) });
    const result = await client.callTool(
      { name: tool.name, arguments: inputs, _meta: { [MCP_IDEMPOTENCY_META_KEY]: key } },
      undefined,
      {
        signal, timeout: Math.max(1, remainingMs(ctx)),
        // MCP `notifications/progress` become `node.progress` events (the executor coalesces them).
        ...(ctx.progress ? {
          onprogress: (p: { progress: number; total?: number; message?: string }) => ctx.progress?.({
            progress: { progress: p.progress, ...(p.total !== undefined ? { total: p.total } : {}), ...(p.message !== undefined ? { message: p.message } : {}) },
          }),
        } : {}),
      },
    );
    if (result.isError === true) {
      throw new NodeFailedError(`${where} reported an error: ${contentText(result.content)}`, { isError: true });
    }
    const output = result.structuredContent ?? result.content ?? null;
    return { output };
  } catch (error) {
    if (guard.tripped) throw guard.tripped;
    if (error instanceof ExecutorError) throw error;
    const denial = outbound.denial(error);
    if (denial) throw denial;
    if (signal.aborted) throw abortedError(ctx, where, error);
    // The SDK's own request timer is set to the time left, so its timeout is the node deadline.
    if (error instanceof McpError && error.code === ErrorCode.RequestTimeout) {
      throw new NodeFailedError(`${where} timed out at the node deadline`, { timedOut: true }, { cause: error });
    }
    throw toNodeFailed(where, error);
  } finally {
    await client.close().catch(() => undefined);
  }
}

function toNodeFailed(where: string, error: unknown): NodeFailedError {
  const message = error instanceof Error ? error.message : String(error);
  const details: Record<string, unknown> = {};
  if (error instanceof StreamableHTTPError && error.code !== undefined) details.status = error.code;
  if (error instanceof McpError) details.mcpCode = error.code;
  return new NodeFailedError(`${where} failed: ${message}`, details, { cause: error });
}

/** The text of a tool result's text items, for error messages. */
function contentText(content: unknown): string {
  if (!Array.isArray(content)) return 'no content';
  const texts = content
    .map((item: unknown) => (typeof item === 'object' && item !== null && (item as { type?: unknown }).type === 'text' ? (item as { text?: unknown }).text : undefined))
    .filter((text): text is string => typeof text === 'string');
  return texts.length > 0 ? texts.join('\n').slice(0, 1_024) : 'no text content';
}

/**
 * `tool_call` of kind `http`: one HTTP request per attempt, bounded by the node deadline.
 */
import type { ToolDef } from '../definition/schema';
import type { Outbound } from '../outbound/outbound';
import { abortedError, attemptSignal } from './attempt-signal';
import { ExecutorError, NodeFailedError } from './errors';
import { readCappedText } from './output-limit';
import type { ExecutionContext, ExecutionResult } from './types';

/** The `http` tool definition. */
export type HttpTool = Extract<ToolDef, { kind: 'http' }>;

/** Most characters of an error response body kept in the error details. */
const ERROR_BODY_CHARS = 1_024;

/** The idempotency key of an attempt: `<runId>:<nodeId>:<attempt>`. */
export function idempotencyKey(ctx: Pick<ExecutionContext, 'runId' | 'nodeId' | 'attempt'>): string {
  return `${ctx.runId}:${ctx.nodeId}:${ctx.attempt}`;
}

/**
 * Calls the tool. POST/PUT/PATCH (POST by default) send the inputs as a JSON body; GET/DELETE send them as
 * query parameters (strings as they are, other values as JSON). Calls go through `outbound` (egress guard,
 * `auth`, `{ secret }` header values). Every request carries
 * `Idempotency-Key: <runId>:<nodeId>:<attempt>`. A 2xx response is the output (parsed when its
 * content type is JSON, else text, `null` when empty); anything else is `Braid.NodeFailed` with `status`.
 */
export async function executeHttpTool(
  tool: HttpTool,
  inputs: Record<string, unknown>,
  ctx: ExecutionContext,
  outbound: Outbound,
): Promise<ExecutionResult> {
  const method = tool.method ?? 'POST';
  const hasBody = method === 'POST' || method === 'PUT' || method === 'PATCH';
  const url = new URL(tool.url);
  if (!hasBody) appendQuery(url, inputs);
  const headers = new Headers(await outbound.headers(tool.headers));
  headers.set('Idempotency-Key', idempotencyKey(ctx));
  if (!headers.has('accept')) headers.set('Accept', 'application/json, text/plain;q=0.9, */*;q=0.8');
  if (hasBody) headers.set('Content-Type', 'application/json');

  const signal = attemptSignal(ctx);
  let response: Response;
  let text: string;
  try {
    response = await outbound.fetch(url, { method, headers, body: hasBody ? JSON.stringify(inputs) : undefined, signal });
    text = await readCappedText(response);
  } catch (error) {
    if (error instanceof ExecutorError) throw error;
    const denial = outbound.denial(error);
    if (denial) throw denial;
    if (signal.aborted) throw abortedError(ctx, `${method} ${url.origin}${url.pathname}`, error);
    const message = error instanceof Error ? error.message : String(error);
    throw new NodeFailedError(`${method} ${url.origin}${url.pathname} failed: ${message}`, { network: true }, { cause: error });
  }
  if (!response.ok) {
    throw new NodeFailedError(`${method} ${url.origin}${url.pathname} returned ${response.status}`, {
      status: response.status,
      body: text.slice(0, ERROR_BODY_CHARS),
    });
  }
  return { output: parseBody(text, response.headers.get('content-type'), response.status) };
}

function appendQuery(url: URL, inputs: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(inputs)) {
    const items = Array.isArray(value) ? value : [value];
    for (const item of items) url.searchParams.append(key, typeof item === 'string' ? item : JSON.stringify(item));
  }
}

function parseBody(text: string, contentType: string | null, status: number): unknown {
  if (text.length === 0) return null;
  const isJson = contentType !== null && /^application\/([\w.+-]*\+)?json\b/i.test(contentType.trim());
  if (!isJson) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new NodeFailedError('response declared JSON but did not parse', { status, body: text.slice(0, ERROR_BODY_CHARS) }, { cause: error });
  }
}

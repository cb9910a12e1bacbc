/**
 * The cap on a node's output: 256 KiB of JSON, so that a node record stays well inside a DynamoDB item.
 */
import { OutputTooLargeError } from './errors';

/** Largest node output, as JSON, in bytes. */
export const MAX_OUTPUT_BYTES = 256 * 1024;

/** Throws `OutputTooLargeError` (`Braid.OutputTooLarge`) when `output` serializes to more than the cap. */
export function assertOutputSize(output: unknown): void {
  const text = JSON.stringify(output ?? null);
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_OUTPUT_BYTES) throw new OutputTooLargeError(bytes, MAX_OUTPUT_BYTES);
}

/**
 * Reads a response body as text, giving up with `OutputTooLargeError` once it passes `maxBytes`
 * (so a huge body is never held in memory).
 */
export async function readCappedText(response: Response, maxBytes = MAX_OUTPUT_BYTES): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new OutputTooLargeError(total, maxBytes);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Largest response body an executor reads from an agent, an MCP server or an agent card, in bytes on the wire
 * (JSON-RPC envelopes, SSE framing and escaping included). The output itself is then held to `MAX_OUTPUT_BYTES`.
 */
export const MAX_RESPONSE_BYTES = 1024 * 1024;

/** A `fetch` whose response bodies stop at a byte cap, and what it caught. */
export interface ResponseGuard {
  /** Pass this to the SDK: every response body it reads is cut off (with an error) past the cap. */
  fetch: typeof fetch;
  /** Set once a response went past the cap; executors throw it instead of whatever the SDK made of it. */
  readonly tripped: OutputTooLargeError | undefined;
}

/**
 * Wraps `fetchImpl` so that no response body read through it can pass `maxBytes`: a declared
 * `content-length` over the cap fails at once, any other body fails when its bytes pass the cap (the rest is
 * never read). SDKs wrap errors in their own, so the guard also remembers the breach (`tripped`).
 * @example
 * const guard = guardResponses(deps.fetch);
 * const transport = new StreamableHTTPClientTransport(url, { fetch: guard.fetch });
 * // in the catch: if (guard.tripped) throw guard.tripped;
 */
export function guardResponses(fetchImpl: typeof fetch = globalThis.fetch, maxBytes = MAX_RESPONSE_BYTES): ResponseGuard {
  let tripped: OutputTooLargeError | undefined;
  const trip = (bytes: number): OutputTooLargeError => (tripped ??= new OutputTooLargeError(bytes, maxBytes));
  const guarded: typeof fetch = async (input, init) => {
    const response = await fetchImpl(input, init);
    if (!response.body) return response;
    const declared = Number(response.headers.get('content-length'));
    if (Number.isFinite(declared) && declared > maxBytes) {
      await response.body.cancel().catch(() => undefined);
      throw trip(declared);
    }
    let total = 0;
    const capped = response.body.pipeThrough(new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        total += chunk.byteLength;
        if (total > maxBytes) controller.error(trip(total));
        else controller.enqueue(chunk);
      },
    }));
    const wrapped = new Response(capped, { status: response.status, statusText: response.statusText, headers: response.headers });
    Object.defineProperty(wrapped, 'url', { value: response.url });
    return wrapped;
  };
  return {
    fetch: guarded,
    get tripped() {
      return tripped;
    },
  };
}

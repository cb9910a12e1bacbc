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

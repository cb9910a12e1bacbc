/**
 * Errors are stored with every attempt, node, run and event, so their size is bounded before anything is
 * written: a failure is always recorded with its real name and the start of its real message, never lost to
 * DynamoDB's 400 KB item limit (an MCP SDK error once carried a whole 500,000-character response body).
 */
import type { ErrorInfo } from './types';

/** Longest stored error message, in characters; longer ones are cut and marked. */
export const MAX_ERROR_MESSAGE_CHARS = 2_048;
/** Largest stored error `details`, as JSON, in bytes; larger ones are replaced by a cut JSON preview. */
export const MAX_ERROR_DETAILS_BYTES = 2_048;
/** Longest stored error name, in characters. */
export const MAX_ERROR_NAME_CHARS = 128;

/** Cuts `text` to `max` characters, saying how much was left out. */
export function truncateText(text: string, max: number): string {
  if (text.length <= max) return text;
  const note = ` … [${text.length - max} more characters cut]`;
  return text.slice(0, Math.max(0, max - note.length)) + note;
}

/**
 * Returns `info` with its name, message and details within the stored bounds (unchanged when already within).
 * @example boundErrorInfo({ name: 'Braid.NodeFailed', message: 'x'.repeat(500_000) }).message.length // 2048
 */
export function boundErrorInfo(info: ErrorInfo): ErrorInfo {
  const name = truncateText(String(info.name), MAX_ERROR_NAME_CHARS);
  const message = truncateText(String(info.message), MAX_ERROR_MESSAGE_CHARS);
  if (info.details === undefined) return name === info.name && message === info.message ? info : { name, message };
  let text: string;
  try {
    text = JSON.stringify(info.details) ?? '{}';
  } catch {
    text = '{"unserializable":true}';
  }
  const details = Buffer.byteLength(text) <= MAX_ERROR_DETAILS_BYTES
    ? info.details
    : { truncated: true, bytes: Buffer.byteLength(text), preview: truncateText(text, MAX_ERROR_DETAILS_BYTES / 2) };
  return { name, message, details };
}

/**
 * Bounds on JSON values Braid stores next to others in one DynamoDB item (400 KB at most): a value over its
 * bound is stored as a marker with its size instead, so the item always fits and the write never fails.
 */

/** Largest node output stored on a node record (the executor already fails a larger one: `Braid.OutputTooLarge`). */
export const MAX_STORED_OUTPUT_BYTES = 256 * 1024;
/** Largest resolved `inputs` stored on a gate (shown to approvers); the gate's decision data has its own 256 KiB. */
export const MAX_GATE_INPUTS_BYTES = 64 * 1024;

/** What is stored instead of a value over its bound. */
export interface OmittedValue {
  omitted: true;
  /** Size of the value as JSON, in bytes. */
  bytes: number;
}

/** Size of `value` as JSON, in bytes. */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value ?? null));
}

/** `value` when its JSON is at most `maxBytes`, else `{ omitted: true, bytes }`. */
export function omitOver<T>(value: T, maxBytes: number): T | OmittedValue {
  const bytes = jsonBytes(value);
  return bytes <= maxBytes ? value : { omitted: true, bytes };
}

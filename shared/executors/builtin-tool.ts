/**
 * The built-in tools, for demos and tests: `echo`, `sleep` and `fail`.
 */
import type { BUILTIN_TOOLS } from '../definition/schema';
import { abortableDelay } from './attempt-signal';
import { NodeFailedError, TransientError } from './errors';
import type { ExecutionContext, ExecutionResult } from './types';

/** Longest `sleep` in milliseconds (a Lambda invocation lasts at most 15 minutes). */
export const MAX_SLEEP_MS = 900_000;

/** A built-in tool name. */
export type BuiltinName = (typeof BUILTIN_TOOLS)[number];

/**
 * Runs a built-in tool:
 * - `echo` returns its inputs;
 * - `sleep` waits `inputs.ms` (0 to `MAX_SLEEP_MS`, abortable, bounded by the deadline), then returns its inputs;
 * - `fail` fails attempts `0 … inputs.times - 1` with `Braid.NodeFailed` (every attempt when `times` is absent),
 *   then returns its inputs; or, with `inputs.errors` (a list of `"node"` | `"transient"`), fails attempt i with
 *   `Braid.NodeFailed` or `Braid.Transient` as `errors[i]` says and succeeds on the first attempt past the list.
 */
export async function executeBuiltin(
  name: BuiltinName,
  inputs: Record<string, unknown>,
  ctx: ExecutionContext,
): Promise<ExecutionResult> {
  switch (name) {
    case 'echo':
      return { output: inputs };
    case 'sleep': {
      const ms = inputs.ms;
      if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0 || ms > MAX_SLEEP_MS) {
        throw new NodeFailedError(`sleep needs inputs.ms between 0 and ${MAX_SLEEP_MS}`, { input: 'ms' });
      }
      await abortableDelay(ms, ctx, 'sleep');
      return { output: inputs };
    }
    case 'fail':
      return failTool(inputs, ctx);
  }
}

/** The kinds of failure `fail`'s `inputs.errors` lists, one per attempt. */
const FAIL_KINDS = ['node', 'transient'] as const;

function failTool(inputs: Record<string, unknown>, ctx: ExecutionContext): ExecutionResult {
  const { times, errors } = inputs;
  if (times !== undefined && errors !== undefined) {
    throw new NodeFailedError('fail takes inputs.times or inputs.errors, not both', { input: 'errors' });
  }
  if (times !== undefined && (typeof times !== 'number' || !Number.isInteger(times) || times < 0)) {
    throw new NodeFailedError('fail needs inputs.times to be a non-negative integer', { input: 'times' });
  }
  if (errors !== undefined && !(Array.isArray(errors) && errors.every((e) => (FAIL_KINDS as readonly unknown[]).includes(e)))) {
    throw new NodeFailedError('fail needs inputs.errors to be a list of "node" | "transient"', { input: 'errors' });
  }
  const kind = Array.isArray(errors) ? (errors[ctx.attempt] as (typeof FAIL_KINDS)[number] | undefined) : times === undefined || ctx.attempt < times ? 'node' : undefined;
  if (kind === undefined) return { output: inputs };
  const message = typeof inputs.message === 'string' ? inputs.message : `builtin fail (${kind}) on attempt ${ctx.attempt}`;
  if (kind === 'transient') throw new TransientError(message, { attempt: ctx.attempt });
  throw new NodeFailedError(message, { attempt: ctx.attempt });
}

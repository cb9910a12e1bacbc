/**
 * Run-time binding evaluation: turns a node's `inputs` (literals and `$…` JSONata strings at any depth)
 * into plain values, reading the run input and the outputs of finished nodes.
 */
import { classifyInputString } from '../definition/bindings';
import { BindingFailedError } from './errors';
import { evaluateExpression } from './expression';
import type { BindingScope } from './types';

/**
 * Resolves every binding in `inputs` (rules in `shared/definition/bindings.ts`: a string starting with `$` is
 * JSONata; one starting with `\$` is the literal without its first backslash). A binding that selects nothing leaves its key out of an object
 * (JSON has no `undefined`) and becomes `null` inside an array. Throws `BindingFailedError`
 * (`Braid.BindingFailed`) naming the input by JSON pointer when an expression fails or breaks a limit.
 *
 * @example
 * await resolveInputs({ q: '$context.city', limit: 5 }, { context: { city: 'Oslo' }, outputs: {} });
 * // { q: 'Oslo', limit: 5 }
 */
export async function resolveInputs(
  inputs: Record<string, unknown> | undefined,
  scope: BindingScope,
): Promise<Record<string, unknown>> {
  const resolved = await resolveValue(inputs ?? {}, scope, '');
  return resolved as Record<string, unknown>;
}

async function resolveValue(value: unknown, scope: BindingScope, pointer: string): Promise<unknown> {
  if (typeof value === 'string') {
    const meaning = classifyInputString(value);
    if (meaning.kind === 'literal') return meaning.value;
    try {
      return await evaluateExpression(meaning.expression, scope);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new BindingFailedError(pointer || '/', message, { cause: error });
    }
  }
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (const [index, item] of value.entries()) {
      const resolved = await resolveValue(item, scope, `${pointer}/${index}`);
      out.push(resolved === undefined ? null : resolved);
    }
    return out;
  }
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const resolved = await resolveValue(item, scope, `${pointer}/${escapePointer(key)}`);
      if (resolved !== undefined) out[key] = resolved;
    }
    return out;
  }
  return value;
}

/** RFC 6901 escaping of one reference token. */
function escapePointer(token: string): string {
  return token.replaceAll('~', '~0').replaceAll('/', '~1');
}

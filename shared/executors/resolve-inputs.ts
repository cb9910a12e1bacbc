/**
 * Run-time binding evaluation: turns a node's `inputs` (literals and `$…` JSONata strings at any depth)
 * into plain values, reading the run input and the outputs of finished nodes.
 */
import { classifyInputString } from '../definition/bindings';
import { BindingFailedError } from './errors';
import { evaluateExpressions, ExpressionError, type ExpressionOptions } from './expression';
import type { BindingScope } from './types';

/**
 * Resolves every binding in `inputs` (rules in `shared/definition/bindings.ts`: a string starting with `$` is
 * JSONata; one starting with `\$` is the literal without its first backslash). A binding that selects nothing leaves its key out of an object
 * (JSON has no `undefined`) and becomes `null` inside an array. All of a node's bindings are evaluated together
 * under one budget on an expression worker. Throws `BindingFailedError` (`Braid.BindingFailed`) naming the
 * first failing input by JSON pointer when an expression fails or breaks a limit.
 *
 * @example
 * await resolveInputs({ q: '$context.city', limit: 5 }, { context: { city: 'Oslo' }, outputs: {} });
 * // { q: 'Oslo', limit: 5 }
 */
export async function resolveInputs(
  inputs: Record<string, unknown> | undefined,
  scope: BindingScope,
  options: ExpressionOptions = {},
): Promise<Record<string, unknown>> {
  const bindings: { pointer: string; expression: string }[] = [];
  collect(inputs ?? {}, '', bindings);
  const values = await evaluateExpressions(bindings.map((b) => b.expression), scope, options);
  const byPointer = new Map<string, unknown>();
  for (const [i, binding] of bindings.entries()) {
    const value = values[i];
    if (value instanceof ExpressionError) throw new BindingFailedError(binding.pointer || '/', value.message, { cause: value });
    byPointer.set(binding.pointer, value);
  }
  return assemble(inputs ?? {}, '', byPointer) as Record<string, unknown>;
}

/** Every binding string in `value`, in document order, with its JSON pointer. */
function collect(value: unknown, pointer: string, out: { pointer: string; expression: string }[]): void {
  if (typeof value === 'string') {
    const meaning = classifyInputString(value);
    if (meaning.kind === 'binding') out.push({ pointer, expression: meaning.expression });
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, index) => collect(item, `${pointer}/${index}`, out));
    return;
  }
  if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) collect(item, `${pointer}/${escapePointer(key)}`, out);
  }
}

/** Rebuilds `value` with each binding replaced by its result. */
function assemble(value: unknown, pointer: string, results: Map<string, unknown>): unknown {
  if (typeof value === 'string') {
    const meaning = classifyInputString(value);
    return meaning.kind === 'literal' ? meaning.value : results.get(pointer);
  }
  if (Array.isArray(value)) {
    return value.map((item, index) => {
      const resolved = assemble(item, `${pointer}/${index}`, results);
      return resolved === undefined ? null : resolved;
    });
  }
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const resolved = assemble(item, `${pointer}/${escapePointer(key)}`, results);
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

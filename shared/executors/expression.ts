/**
 * Bounded JSONata evaluation, shared by input bindings and condition nodes.
 *
 * JSONata can loop (recursive lambdas) and build huge sequences, so every evaluation runs with the
 * library's own guardrails: a wall-clock timeout, a stack depth limit and a sequence length limit.
 * The result must also serialize to JSON within a size limit.
 */
import jsonata from 'jsonata';
import { classifyInputString } from '../definition/bindings';
import { BraidError } from '../errors';
import type { BindingScope } from './types';

/** Guardrails applied to every JSONata evaluation. Documented in the README ("Limits"). */
export const EXPRESSION_LIMITS = {
  /** Longest one evaluation may run, in milliseconds. */
  timeoutMs: 1_000,
  /** Deepest evaluation stack (nested calls, recursion). */
  maxDepth: 200,
  /** Longest sequence an expression may build. */
  maxSequence: 100_000,
  /** Largest result, as JSON, in bytes. */
  maxResultBytes: 1024 * 1024,
} as const;

/** Why an expression did not evaluate: its text did not parse, it failed, or it broke a limit. */
export class ExpressionError extends BraidError {
  /** The JSONata error code (`S0201`, `D1012` for a timeout, …) or `result_too_large`. */
  readonly jsonataCode: string;
  constructor(jsonataCode: string, message: string, options?: { cause?: unknown }) {
    super('expression_failed', message, options);
    this.name = 'ExpressionError';
    this.jsonataCode = jsonataCode;
  }
}

/** True for an `inputs` string that Braid evaluates as JSONata (it starts with `$`). */
export function isBindingString(value: unknown): value is string {
  return typeof value === 'string' && classifyInputString(value).kind === 'binding';
}

/**
 * Evaluates `expression` with `$context` bound to the run input and `$<nodeId>` to each output in `scope`.
 * The input document (`$$`) is `{ context, <nodeId>: output, … }`. Returns plain JSON (`undefined` when the
 * expression selects nothing).
 *
 * @example
 * await evaluateExpression('$count($search.hotels)', { context: {}, outputs: { search: { hotels: [1, 2] } } }); // 2
 */
export async function evaluateExpression(expression: string, scope: BindingScope): Promise<unknown> {
  let compiled: jsonata.Expression;
  try {
    compiled = jsonata(expression, {
      timeout: EXPRESSION_LIMITS.timeoutMs,
      stack: EXPRESSION_LIMITS.maxDepth,
      sequence: EXPRESSION_LIMITS.maxSequence,
    });
  } catch (error) {
    throw toExpressionError(error);
  }
  const variables: Record<string, unknown> = { ...scope.outputs, context: scope.context };
  let value: unknown;
  try {
    value = await compiled.evaluate(variables, variables);
  } catch (error) {
    throw toExpressionError(error);
  }
  return toPlainJson(value);
}

/** Turns a JSONata sequence/function result into plain JSON, enforcing the result size limit. */
function toPlainJson(value: unknown): unknown {
  if (value === undefined) return undefined;
  const text = JSON.stringify(value);
  if (text === undefined) return undefined;
  if (Buffer.byteLength(text) > EXPRESSION_LIMITS.maxResultBytes) {
    throw new ExpressionError('result_too_large', `result is over ${EXPRESSION_LIMITS.maxResultBytes} bytes`);
  }
  return JSON.parse(text) as unknown;
}

/** JSONata throws plain objects `{ code, message, position }`; wrap them in a real error. */
function toExpressionError(error: unknown): ExpressionError {
  if (error instanceof ExpressionError) return error;
  const raw = (typeof error === 'object' && error !== null ? error : {}) as { code?: unknown; message?: unknown; position?: unknown };
  const code = typeof raw.code === 'string' ? raw.code : 'evaluation_failed';
  let message = typeof raw.message === 'string' ? raw.message : String(error);
  if (code === 'D1012') message = `evaluation took longer than ${EXPRESSION_LIMITS.timeoutMs} ms`;
  if (code === 'D1011') message = `evaluation went deeper than ${EXPRESSION_LIMITS.maxDepth} frames`;
  if (typeof raw.position === 'number') message += ` (at position ${raw.position})`;
  return new ExpressionError(code, message, { cause: error });
}

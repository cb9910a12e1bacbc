/**
 * One bounded JSONata evaluation, as the expression worker runs it: JSONata's own guardrails (time between
 * steps, stack depth, sequence length), regular expressions on RE2, `$pad`/`$join` refusing to build a string
 * over the cap before they build it, every intermediate string and array checked after each step, and the
 * result checked as JSON. What no check can stop (a native call that runs long) is stopped by the worker pool,
 * which terminates the worker at the node's budget.
 * This file is loaded inside the expression worker: relative imports carry their `.ts` extension.
 */
import jsonata from 'jsonata';
import { EXPRESSION_LIMITS } from './limits.ts';
import { Re2RegexEngine } from './re2-regex.ts';

/** What one evaluation gave: a JSON value (`undefined` when it selects nothing) or a failure with a code. */
export type EvaluationOutcome = { ok: true; value: unknown } | { ok: false; code: string; message: string };

interface Breach {
  code: string;
  message: string;
}

const stringCap = EXPRESSION_LIMITS.maxStringLength;
const tooLong = (what: string, length: number): Breach => ({ code: 'string_too_large', message: `${what} a string of ${length} characters, over the ${stringCap}-character limit` });

type Builtin = (...args: unknown[]) => unknown;
interface JsonataFunction {
  implementation: Builtin;
}

/** The library's own `$pad` and `$join`, wrapped below. */
const builtins = await (async () => {
  const fn = async (name: string) => ((await jsonata(`$${name}`).evaluate({})) as JsonataFunction).implementation;
  return { pad: await fn('pad'), join: await fn('join') };
})();

function cappedPad(this: unknown, str: unknown, width: unknown, char: unknown): unknown {
  if (typeof width === 'number' && Math.abs(Math.trunc(width)) > stringCap) throw tooLong('$pad would build', Math.abs(Math.trunc(width)));
  return builtins.pad.call(this, str, width, char);
}

function cappedJoin(this: unknown, strs: unknown, separator: unknown): unknown {
  if (Array.isArray(strs)) {
    const sep = typeof separator === 'string' ? separator.length : 0;
    let length = Math.max(0, strs.length - 1) * sep;
    for (const s of strs) length += typeof s === 'string' ? s.length : 0;
    if (length > stringCap) throw tooLong('$join would build', length);
  }
  return builtins.join.call(this, strs, separator);
}

/** Called by JSONata after every step: no string or array it builds may pass the caps. */
function checkStep(_expr: unknown, _input: unknown, _env: unknown, result: unknown): void {
  if (typeof result === 'string' && result.length > stringCap) throw tooLong('a step built', result.length);
  if (Array.isArray(result) && result.length > EXPRESSION_LIMITS.maxSequence) {
    throw { code: 'D2015', message: `an array of ${result.length} items is over the ${EXPRESSION_LIMITS.maxSequence}-item limit` } satisfies Breach;
  }
}

const cache = new Map<string, jsonata.Expression>();

/** Parses (cached) with the guardrails and the capped functions attached. */
function compile(expression: string): jsonata.Expression {
  let compiled = cache.get(expression);
  if (compiled) return compiled;
  compiled = jsonata(expression, {
    timeout: EXPRESSION_LIMITS.timeoutMs,
    stack: EXPRESSION_LIMITS.maxDepth,
    sequence: EXPRESSION_LIMITS.maxSequence,
    RegexEngine: Re2RegexEngine as unknown as RegExpConstructor,
  } as jsonata.JsonataOptions);
  compiled.registerFunction('pad', cappedPad, '<s-ns?:s>');
  compiled.registerFunction('join', cappedJoin, '<a<s>s?:s>');
  compiled.assign(Symbol.for('jsonata.__evaluate_exit') as unknown as string, checkStep);
  if (cache.size >= 500) cache.clear();
  cache.set(expression, compiled);
  return compiled;
}

/**
 * Evaluates `expression` with `variables` as both the input document (`$$`) and the bindings (`$context`,
 * `$<nodeId>`). Never throws: a failure is an outcome with JSONata's code (`D1012` timeout, `D1011` depth,
 * `D2015` sequence), or `string_too_large`, `result_too_large`, `unsupported_regex`.
 */
export async function evaluateBounded(expression: string, variables: Record<string, unknown>): Promise<EvaluationOutcome> {
  try {
    const value = await compile(expression).evaluate(variables, variables);
    return { ok: true, value: toPlainJson(value) };
  } catch (error) {
    return { ok: false, ...describe(error) };
  }
}

/** Turns a JSONata sequence/function result into plain JSON, enforcing the result size limit. */
function toPlainJson(value: unknown): unknown {
  if (value === undefined) return undefined;
  const text = JSON.stringify(value);
  if (text === undefined) return undefined;
  if (Buffer.byteLength(text) > EXPRESSION_LIMITS.maxResultBytes) {
    throw { code: 'result_too_large', message: `result is over ${EXPRESSION_LIMITS.maxResultBytes} bytes` } satisfies Breach;
  }
  return JSON.parse(text) as unknown;
}

/** JSONata throws plain objects `{ code, message, position }`; RE2 and the caps throw their own. */
function describe(error: unknown): Breach {
  const raw = (typeof error === 'object' && error !== null ? error : {}) as { code?: unknown; message?: unknown; position?: unknown };
  const code = typeof raw.code === 'string' ? raw.code : 'evaluation_failed';
  let message = typeof raw.message === 'string' ? raw.message : String(error);
  if (code === 'D1012') message = `evaluation took longer than ${EXPRESSION_LIMITS.timeoutMs} ms`;
  if (code === 'D1011') message = `evaluation went deeper than ${EXPRESSION_LIMITS.maxDepth} frames`;
  if (error instanceof RangeError) message = `evaluation ran out of room: ${error.message}`;
  if (typeof raw.position === 'number') message += ` (at position ${raw.position})`;
  return { code, message };
}

/**
 * Compiling a JavaScript-syntax pattern with RE2 semantics, given the `RE2JS` class: shared by the expression
 * worker (which imports `re2js` statically) and the api's ajv engine (which loads it lazily from a sidecar file).
 * This file is loaded inside the expression worker too: it imports only types.
 */
import type { RE2JS } from 're2js';

/** A pattern RE2 cannot run (a backreference, a lookaround, …). */
export class UnsupportedRegexError extends Error {
  /** Stable code, also what JSONata reports as the error's `code`. */
  readonly code = 'unsupported_regex';
  constructor(pattern: string, reason: string) {
    super(`regular expression /${pattern}/ is not supported: ${reason} (Braid runs regular expressions with RE2: no backreferences or lookaround)`);
    this.name = 'UnsupportedRegexError';
  }
}

const compiled = new Map<string, RE2JS>();

/** Compiles `source` with `re2` (flags `i`, `m`, `s`; others ignored), cached; throws `UnsupportedRegexError`. */
export function compileWith(re2: typeof RE2JS, source: string, flags = ''): RE2JS {
  const key = `${flags}/${source}`;
  let re = compiled.get(key);
  if (re) return re;
  let bits = 0;
  if (flags.includes('i')) bits |= re2.CASE_INSENSITIVE;
  if (flags.includes('m')) bits |= re2.MULTILINE;
  if (flags.includes('s')) bits |= re2.DOTALL;
  try {
    re = re2.compile(re2.translateRegExp(source), bits);
  } catch (error) {
    throw new UnsupportedRegexError(source, error instanceof Error ? error.message : String(error));
  }
  if (compiled.size >= 1_000) compiled.clear();
  compiled.set(key, re);
  return re;
}

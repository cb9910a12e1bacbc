/**
 * ajv's `code.regExp` engine over RE2 (`pattern` and `patternProperties` of an `inputSchema`): matching is linear,
 * so no schema can freeze a run start by backtracking. `re2js` is loaded on first use, synchronously, from the
 * `re2.cjs` file bundled next to the api's handler (the CDK stack's `workers` option), else from the package: the
 * api's main bundle stays small and only schemas with patterns pay for the engine.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { RE2JS } from 're2js';
import { compileWith } from './re2-compile';

export { UnsupportedRegexError } from './re2-compile';

/** The shape of ajv's `code.regExp` option (ajv does not export its type from the package root). */
export interface AjvRegExpEngine {
  (pattern: string, u: string): { test(s: string): boolean };
  code: string;
}

let engine: typeof RE2JS | undefined;

function re2(): typeof RE2JS {
  if (!engine) {
    const sidecar = new URL('./re2.cjs', import.meta.url);
    const load = createRequire(import.meta.url);
    engine = (load(existsSync(sidecar) ? fileURLToPath(sidecar) : 're2js') as { RE2JS: typeof RE2JS }).RE2JS;
  }
  return engine;
}

/**
 * The engine: `new Ajv({ code: { regExp: re2AjvRegExp } })`. A pattern RE2 cannot run makes `ajv.compile` throw
 * `UnsupportedRegexError`.
 */
export const re2AjvRegExp: AjvRegExpEngine = Object.assign(
  (pattern: string, _u: string) => {
    const re = compileWith(re2(), pattern);
    return { test: (s: string) => re.matcher(s).find(), toString: () => `re2:/${pattern}/` };
  },
  { code: 're2' },
);

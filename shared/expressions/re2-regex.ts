/**
 * Regular expressions with RE2 semantics (`re2js`, a pure-JS port of RE2): matching takes time linear in the
 * input, so no pattern can backtrack for seconds (`/^(a+)+$/` on a 28-character string took 2.5 s with the
 * JavaScript engine). Used by JSONata (its `RegexEngine` option: `$match`, `$contains`, `$replace`, `$split`
 * with a regex) and by ajv (`code.regExp`: `pattern` and `patternProperties` in an `inputSchema`).
 * RE2 has no backreferences and no lookaround; such a pattern is refused with a clear error.
 * This file is loaded inside the expression worker too: it imports only packages.
 */
import { RE2JS } from 're2js';
import { compileWith, UnsupportedRegexError } from './re2-compile.ts';

export { UnsupportedRegexError };

/** Compiles a JavaScript-syntax pattern with RE2 semantics (flags `i`, `m`, `s`; others ignored), cached. */
export function compileRe2(source: string, flags = ''): RE2JS {
  return compileWith(RE2JS, source, flags);
}


/**
 * A `RegExp`-shaped engine over RE2 for JSONata's `RegexEngine` option: JSONata builds one per regex literal
 * (`new RegexEngine(/…/g)`) and calls `exec` with `lastIndex`, as with a global `RegExp`.
 */
export class Re2RegexEngine {
  /** Where the next `exec` starts, as with a global `RegExp`. */
  lastIndex = 0;
  readonly source: string;
  readonly flags: string;
  readonly #re: RE2JS;

  constructor(regex: RegExp | string, flags?: string) {
    this.source = typeof regex === 'string' ? regex : regex.source;
    this.flags = typeof regex === 'string' ? (flags ?? '') : regex.flags;
    this.#re = compileRe2(this.source, this.flags);
  }

  /** The next match at or after `lastIndex` (groups that did not take part are `undefined`), or `null`. */
  exec(input: string): RegExpExecArray | null {
    const str = String(input);
    const matcher = this.#re.matcher(str);
    if (this.lastIndex > str.length || !matcher.find(this.lastIndex)) {
      this.lastIndex = 0;
      return null;
    }
    const groups: (string | undefined)[] = [];
    for (let i = 0; i <= matcher.groupCount(); i += 1) groups.push(matcher.group(i) ?? undefined);
    this.lastIndex = matcher.end();
    return Object.assign(groups, { index: matcher.start(), input: str }) as unknown as RegExpExecArray;
  }

  /** True when the pattern matches somewhere at or after `lastIndex`. */
  test(input: string): boolean {
    return this.exec(input) !== null;
  }
}

/**
 * Input bindings: which `inputs` strings are JSONata expressions, how to write a literal string
 * that starts with `$`, and which nodes an expression refers to (from the `jsonata` parser's AST).
 *
 * Rules:
 * - a string value in `inputs` (at any depth) that starts with `$` is a binding, a JSONata
 *   expression in which `$context` is the run input and `$<nodeId>` that node's output;
 * - a string that starts with `\$` is the literal string without its first backslash
 *   (`"\\$5"` in JSON means the text `$5`; `"\\\\$5"` means `\$5`), and is not a binding.
 */
import jsonata from 'jsonata';

/** The JSONata built-in function names; `$name` with one of these is not a node reference unless a node has that id. */
export const JSONATA_BUILTINS: ReadonlySet<string> = new Set([
  'sum', 'count', 'max', 'min', 'average', 'string', 'substring', 'substringBefore', 'substringAfter',
  'lowercase', 'uppercase', 'length', 'trim', 'pad', 'match', 'contains', 'replace', 'split', 'join',
  'formatNumber', 'formatBase', 'formatInteger', 'parseInteger', 'number', 'floor', 'ceil', 'round', 'abs',
  'sqrt', 'power', 'random', 'boolean', 'not', 'map', 'zip', 'filter', 'single', 'foldLeft', 'sift', 'keys',
  'lookup', 'append', 'exists', 'spread', 'merge', 'reverse', 'each', 'error', 'assert', 'sort', 'shuffle',
  'distinct', 'base64encode', 'base64decode', 'encodeUrlComponent', 'encodeUrl', 'decodeUrlComponent',
  'decodeUrl', 'eval', 'toMillis', 'fromMillis', 'clone', 'now', 'millis', 'type',
]);

/** The variable that holds the run input inside a binding. */
export const CONTEXT_VARIABLE = 'context';

/** What an `inputs` string means. */
export type InputString = { kind: 'binding'; expression: string } | { kind: 'literal'; value: string };

/** Classifies an `inputs` string as a binding or a literal (unescaping a leading `\$`). */
export function classifyInputString(value: string): InputString {
  if (value.startsWith('$')) return { kind: 'binding', expression: value };
  if (/^\\+\$/.test(value)) return { kind: 'literal', value: value.slice(1) };
  return { kind: 'literal', value };
}

/** A binding found inside `inputs`, with the JSON pointer segments below `inputs`. */
export interface FoundBinding {
  /** Path segments below `inputs` (keys and array indexes). */
  segments: Array<string | number>;
  expression: string;
}

/** Finds every binding inside an `inputs` value, depth first, in document order. */
export function findBindings(inputs: unknown, maxDepth = 64): FoundBinding[] {
  const found: FoundBinding[] = [];
  const visit = (value: unknown, segments: Array<string | number>): void => {
    if (segments.length > maxDepth) return;
    if (typeof value === 'string') {
      const c = classifyInputString(value);
      if (c.kind === 'binding') found.push({ segments, expression: c.expression });
    } else if (Array.isArray(value)) {
      value.forEach((v, i) => visit(v, [...segments, i]));
    } else if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) visit(v, [...segments, k]);
    }
  };
  visit(inputs, []);
  return found;
}

/** The result of parsing one JSONata expression. */
export type ParsedExpression =
  | { ok: true; references: string[] }
  | { ok: false; message: string; position?: number };

/**
 * Parses a JSONata expression and returns the free variables it reads (`$search` in
 * `$search.hotels`), sorted: not function calls (`$count(...)`), not variables bound inside the
 * expression (`:=`, lambda parameters; scoping is approximated expression-wide), not `$`/`$$`,
 * and not built-in names unless `nodeIds` contains them. Never throws.
 */
export function parseExpression(expression: string, nodeIds: ReadonlySet<string> = new Set()): ParsedExpression {
  const parsed = freeVariables(expression);
  if (!parsed.ok) return parsed;
  return { ok: true, references: parsed.references.filter((v) => !JSONATA_BUILTINS.has(v) || nodeIds.has(v)) };
}

/** Parsing is the validator's main cost (~0.25 ms per expression); a bounded cache serves repeats (compile re-validates). */
const cache = new Map<string, ParsedExpression>();
const CACHE_SIZE = 5_000;

function freeVariables(expression: string): ParsedExpression {
  const hit = cache.get(expression);
  if (hit) return hit;
  const result = parseUncached(expression);
  if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  cache.set(expression, result);
  return result;
}

function parseUncached(expression: string): ParsedExpression {
  let ast: unknown;
  try {
    ast = jsonata(expression).ast();
  } catch (error) {
    const e = error as { message?: unknown; position?: unknown };
    const message = typeof e?.message === 'string' ? e.message : 'does not parse';
    return typeof e?.position === 'number' ? { ok: false, message, position: e.position } : { ok: false, message };
  }
  const used = new Set<string>();
  const bound = new Set<string>();
  let unsupported: ParsedExpression | undefined;
  const visit = (node: unknown, depth: number): void => {
    if (depth > 500 || node === null || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      for (const n of node) visit(n, depth + 1);
      return;
    }
    const n = node as Record<string, unknown>;
    if (n.type === 'variable' && typeof n.value === 'string') used.add(n.value);
    // Regex literals run on RE2 at run time: one RE2 cannot run is refused here, when the workflow is published.
    if (n.type === 'regex' && n.value instanceof RegExp && !unsupported) {
      const reason = re2Unsupported(n.value.source);
      if (reason) {
        const message = `regular expression /${n.value.source}/ is not supported: ${reason} (Braid runs regular expressions with RE2: no backreferences or lookaround)`;
        unsupported = typeof n.position === 'number' ? { ok: false, message, position: n.position } : { ok: false, message };
      }
    }
    if (n.type === 'bind') collectName(n.lhs, bound);
    if (n.type === 'lambda' && Array.isArray(n.arguments)) for (const a of n.arguments) collectName(a, bound);
    for (const [key, child] of Object.entries(n)) {
      // A called procedure `$f(...)` names a function, not a node.
      if (key === 'procedure' && (n.type === 'function' || n.type === 'partial')) {
        const p = child as Record<string, unknown> | null;
        if (p?.type === 'variable') continue;
      }
      visit(child, depth + 1);
    }
  };
  visit(ast, 0);
  if (unsupported) return unsupported;
  return { ok: true, references: [...used].filter((v) => v !== '' && v !== '$' && !bound.has(v)).sort() };
}

function collectName(node: unknown, into: Set<string>): void {
  const n = node as Record<string, unknown> | null;
  if (n && n.type === 'variable' && typeof n.value === 'string') into.add(n.value);
}

/**
 * The JavaScript regex features RE2 does not have (backreferences, lookahead, lookbehind), found by a scan of the
 * pattern's source outside character classes. A syntactic check keeps the RE2 engine out of every bundle that
 * validates definitions; the expression worker still compiles each pattern with RE2 at run time.
 */
export function re2Unsupported(source: string): string | undefined {
  let inClass = false;
  for (let i = 0; i < source.length; i += 1) {
    const c = source[i];
    if (c === '\\') {
      const next = source[i + 1] ?? '';
      if (!inClass && /[1-9]/.test(next)) return `backreference \\${next}`;
      if (!inClass && next === 'k' && source[i + 2] === '<') return 'named backreference \\k<…>';
      i += 1;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') inClass = true;
    else if (c === '(' && source[i + 1] === '?') {
      const kind = source.slice(i + 2, i + 4);
      if (kind.startsWith('=') || kind.startsWith('!')) return 'lookahead';
      if (kind === '<=' || kind === '<!') return 'lookbehind';
    }
  }
  return undefined;
}

/**
 * Arbitraries for fuzzing the front door: valid seed definitions and the mutations that break them (wrong
 * types, dangling and duplicate ids, cycles, deep nesting, huge strings and arrays, invalid JSONata, unicode,
 * prototype-pollution keys), plus a JSON-pointer resolver to check that reported paths point into the input.
 */
import fc from 'fast-check';
import { LIMITS } from '../../shared/definition/schema';

/** Number of fuzz cases: `BRAID_FUZZ_RUNS` when set, else the suite's fast default. */
export function fuzzRuns(fallback: number): number {
  const n = Number(process.env.BRAID_FUZZ_RUNS);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

/** Valid definitions the mutations start from: a fan-out, a condition with routes, a gate, bindings. */
export const SEEDS: readonly object[] = [
  {
    name: 'fan',
    nodes: [
      { id: 'a', type: 'tool_call', tool: { kind: 'builtin', name: 'echo' }, inputs: { text: '$context.q', n: 1 } },
      { id: 'b', type: 'agent_call', agent: { url: 'http://127.0.0.1:9/a2a' }, inputs: { prompt: '$a.text' }, retry: { maxAttempts: 2 } },
      { id: 'c', type: 'tool_call', tool: { kind: 'http', url: 'https://example.com/x', method: 'POST' } },
      { id: 'j', type: 'join', mode: 'all' },
    ],
    edges: [{ from: 'a', to: 'b' }, { from: 'a', to: 'c' }, { from: 'b', to: 'j' }, { from: 'c', to: 'j' }],
  },
  {
    name: 'route',
    defaults: { timeoutSeconds: 30, onError: 'continue' },
    nodes: [
      { id: 'check', type: 'condition', expression: '$context.kind' },
      { id: 'yes', type: 'tool_call', tool: { kind: 'mcp', url: 'http://127.0.0.1:9/mcp', name: 't' } },
      { id: 'no', type: 'tool_call', tool: { kind: 'builtin', name: 'fail' } },
    ],
    edges: [{ from: 'check', to: 'yes', when: 'a' }, { from: 'check', to: 'no', default: true }],
  },
  {
    name: 'gate',
    inputSchema: { type: 'object', properties: { q: { type: 'string' } } },
    nodes: [
      { id: 'ask', type: 'human_gate', prompt: 'ok?', timeoutSeconds: 60, approvers: ['alice'] },
      { id: 'p', type: 'parallel' },
      { id: 'go', type: 'tool_call', tool: { kind: 'lambda', functionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:f' }, inputs: { by: '$ask.by' } },
    ],
    edges: [{ from: 'ask', to: 'p' }, { from: 'p', to: 'go' }],
  },
];

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
/** A path into a JSON document. */
export type Path = (string | number)[];

/** Every path of a JSON document (objects and arrays included), root first. */
export function allPaths(doc: unknown, prefix: Path = [], out: Path[] = []): Path[] {
  out.push(prefix);
  if (Array.isArray(doc)) doc.forEach((v, i) => allPaths(v, [...prefix, i], out));
  else if (doc !== null && typeof doc === 'object') for (const [k, v] of Object.entries(doc)) allPaths(v, [...prefix, k], out);
  return out;
}

/** Reads an own property path; `{ found: false }` when any step is missing. */
export function resolvePath(doc: unknown, path: readonly (string | number)[]): { found: boolean; value?: unknown } {
  let at: unknown = doc;
  for (const seg of path) {
    if (at === null || typeof at !== 'object' || !Object.prototype.hasOwnProperty.call(at, String(seg))) return { found: false };
    at = (at as Record<string, unknown>)[String(seg)];
  }
  return { found: true, value: at };
}

/** Splits an RFC 6901 pointer into segments. */
export function pointerSegments(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new Error(`not a JSON pointer: ${JSON.stringify(pointer)}`);
  return pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function setAt(doc: Json, path: Path, value: Json): Json {
  if (path.length === 0) return value;
  const [head, ...rest] = path;
  if (Array.isArray(doc)) {
    const copy = [...doc];
    copy[Number(head)] = setAt(copy[Number(head)] ?? null, rest, value);
    return copy;
  }
  if (doc !== null && typeof doc === 'object') {
    const copy: Record<string, Json> = { ...doc };
    Object.defineProperty(copy, String(head), { value: setAt(copy[String(head)] ?? null, rest, value), enumerable: true, writable: true, configurable: true });
    return copy;
  }
  return doc;
}

function deleteAt(doc: Json, path: Path): Json {
  if (path.length === 0) return doc;
  const parentPath = path.slice(0, -1);
  const parent = resolvePath(doc, parentPath).value;
  const key = path[path.length - 1] as string | number;
  if (Array.isArray(parent)) return setAt(doc, parentPath, parent.filter((_, i) => i !== Number(key)));
  if (parent !== null && typeof parent === 'object') {
    const { [String(key)]: _gone, ...rest } = parent as Record<string, Json>;
    return setAt(doc, parentPath, rest);
  }
  return doc;
}

function nested(depth: number, leaf: Json): Json {
  let v = leaf;
  for (let i = 0; i < depth; i += 1) v = i % 2 === 0 ? { k: v } : [v];
  return v;
}

const DANGEROUS_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '__defineGetter__'];

/**
 * Objects whose own `constructor`/`prototype` keys imitate a class instance: the DynamoDB marshaller dispatches
 * on `value.constructor.name`, so these once became a 500 (or a silently different stored value).
 */
export const prototypeShaped: fc.Arbitrary<Json> = fc
  .tuple(
    fc.constantFrom('Set', 'Map', 'Object', 'Number', 'String', 'Boolean', 'Uint8Array', 'Buffer', 'Array', 'Date'),
    fc.constantFrom<Json>(null, 1, 'x', { x: 1 }, [1, 2], { constructor: { name: 'Set' } }),
    fc.integer({ min: 0, max: 6 }),
  )
  .map(([name, inner, depth]) => nested(depth, { constructor: { name, prototype: inner, length: 2 }, prototype: { constructor: inner } }));

/** Any JSON value, including the troublesome ones. */
const anyJson: fc.Arbitrary<Json> = fc.oneof(
  prototypeShaped,
  fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>,
  fc.constantFrom<Json>(null, '', 0, -1, 1e308, -1e126, 1e-200, 2 ** 53, -0, true, [], {}, '$', '$$', '${', 'x'.repeat(70), '\u0000', '\uD800', 'ü🙂'),
  fc.string({ unit: 'binary', maxLength: 40 }),
);

/** A string that is (mostly) not JSONata. */
const badExpression = fc.oneof(
  fc.constantFrom('$(', '$a.[', '$$$', '$context.(', '$foo(', '$[', '$a ~> ', '$sum(', '$a.b[0', '$"'),
  fc.string({ maxLength: 30 }).map((s) => `$${s}`),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
);

type Mutation = (doc: Json, pick: number) => Json;

const atPick = (doc: Json, pick: number, filter: (p: Path) => boolean = () => true): Path => {
  const paths = allPaths(doc).filter(filter);
  return paths[pick % paths.length] ?? [];
};

const listOf = (doc: Json, key: string): Json[] => {
  const v = doc !== null && typeof doc === 'object' && !Array.isArray(doc) ? doc[key] : undefined;
  return Array.isArray(v) ? v : [];
};
const nodesOf = (doc: Json): Json[] => listOf(doc, 'nodes');
const idOf = (doc: Json, pick: number): Json => {
  const nodes = nodesOf(doc);
  const n = nodes[pick % Math.max(1, nodes.length)] as { id?: Json } | undefined;
  return n?.id ?? 'a';
};

/** One mutation of a definition. */
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  anyJson.map((v): Mutation => (doc, pick) => setAt(doc, atPick(doc, pick), v)),
  fc.constant<Mutation>((doc, pick) => deleteAt(doc, atPick(doc, pick, (p) => p.length > 0))),
  fc.tuple(fc.constantFrom(...DANGEROUS_KEYS), anyJson).map(([key, v]): Mutation => (doc, pick) => {
    const path = atPick(doc, pick, (p) => { const t = resolvePath(doc, p).value; return t !== null && typeof t === 'object' && !Array.isArray(t); });
    return setAt(doc, [...path, key], v);
  }),
  fc.constant<Mutation>((doc, pick) => {
    const nodes = nodesOf(doc);
    return nodes.length === 0 ? doc : setAt(doc, ['nodes'], [...nodes, nodes[pick % nodes.length] as Json]);
  }),
  fc.string({ maxLength: 70 }).map((ghost): Mutation => (doc, pick) => setAt(doc, ['edges'], [
    ...listOf(doc, 'edges'), { from: idOf(doc, pick), to: ghost },
  ])),
  fc.constant<Mutation>((doc, pick) => {
    const nodes = nodesOf(doc);
    const last = (nodes[nodes.length - 1] as { id?: Json } | undefined)?.id ?? 'a';
    return setAt(doc, ['edges'], [...listOf(doc, 'edges'), { from: last, to: idOf(doc, pick) }]);
  }),
  fc.integer({ min: 1, max: 60 }).map((depth): Mutation => (doc, pick) => setAt(doc, ['nodes', pick % Math.max(1, nodesOf(doc).length), 'inputs'], { deep: nested(depth, '$context') })),
  fc.constantFrom(1_000, 5_000, 100_000, 300_000).map((n): Mutation => (doc, pick) => setAt(doc, atPick(doc, pick, (p) => typeof resolvePath(doc, p).value === 'string'), 'x'.repeat(n))),
  fc.constantFrom(3, LIMITS.maxNodes + 1, 2_100).map((n): Mutation => (doc, pick) => {
    const key = pick % 2 === 0 ? 'nodes' : 'edges';
    const list = listOf(doc, key);
    const item = list[0] ?? null;
    // Keep bodies in the tens of MB at most: a large item is copied only a few times.
    const copies = JSON.stringify(item).length > 2_000 ? 3 : n;
    return setAt(doc, [key], Array.from({ length: copies }, (_, i) => (key === 'nodes' && item && typeof item === 'object' ? { ...(item as object), id: `n${i}` } : item)));
  }),
  badExpression.map((expr): Mutation => (doc, pick) => {
    const nodes = nodesOf(doc);
    const i = pick % Math.max(1, nodes.length);
    const node = nodes[i] as { type?: Json } | undefined;
    return node?.type === 'condition' ? setAt(doc, ['nodes', i, 'expression'], expr) : setAt(doc, ['nodes', i, 'inputs'], { q: expr.startsWith('$') ? expr : `$${expr}` });
  }),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }).map((s): Mutation => (doc, pick) => setAt(doc, ['nodes', pick % Math.max(1, nodesOf(doc).length), 'id'], s)),
  fc.constantFrom<Json>([], {}, null, 'nodes', 0).map((v): Mutation => (_doc) => v),
);

/** A seed definition with 1–4 mutations applied. */
export const mutatedDefinition: fc.Arbitrary<unknown> = fc
  .tuple(fc.nat(SEEDS.length - 1), fc.array(fc.tuple(mutation, fc.nat()), { minLength: 1, maxLength: 4 }))
  .map(([seed, steps]) => steps.reduce<Json>((doc, [m, pick]) => m(doc, pick), structuredClone(SEEDS[seed]) as Json));

/** Run inputs: any JSON, huge values, deep nesting, and prototype keys. */
export const runInput: fc.Arbitrary<unknown> = fc.oneof(
  anyJson,
  fc.integer({ min: 10, max: 200 }).map((d) => nested(d, 1)),
  fc.constantFrom(1_000, 300_000).map((n) => ({ q: 'x'.repeat(n) })),
  fc.constantFrom(...DANGEROUS_KEYS).map((k) => JSON.parse(`{"${k}": {"polluted": true}, "q": "a"}`) as Json),
  prototypeShaped.map((v) => ({ q: 'a', v })),
);

/** Per-test timeout: the default suite's, or ten minutes when `BRAID_FUZZ_RUNS` asks for a large run. */
export function fuzzTimeout(fallback = 30_000): number {
  return process.env.BRAID_FUZZ_RUNS ? 600_000 : fallback;
}

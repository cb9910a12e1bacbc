/**
 * fast-check arbitraries for the core's property tests: random valid DAG definitions (with
 * conditions, gates, parallel/join nodes) and random mutations of a JSON document.
 */
import fc from 'fast-check';
import type { EdgeDef, NodeDef, WorkflowDefinition } from '../../shared/definition/schema';

/** A random valid definition plus the route each condition will choose when run. */
export interface RandomDag {
  def: WorkflowDefinition;
  /** Route key each condition's executor returns (`w:<json>`, `default` or `none`). */
  routes: Record<string, string>;
}

type Kind = 'tool' | 'condition' | 'gate' | 'parallel' | 'join';
const WHENS = ['a', 'b', true, 'default'] as const;
const ROUTES: Record<string, string> = { a: 'w:"a"', b: 'w:"b"', true: 'w:true', default: 'default', none: 'none' };

/** Random valid DAGs of 1..`maxNodes` nodes; edges only go from a lower to a higher index. */
export function randomDag(maxNodes = 10): fc.Arbitrary<RandomDag> {
  return fc.integer({ min: 1, max: maxNodes }).chain((n) => {
    const pairs = (n * (n - 1)) / 2;
    return fc.record({
      kinds: fc.array(fc.constantFrom<Kind>('tool', 'tool', 'tool', 'condition', 'gate', 'parallel', 'join'), { minLength: n, maxLength: n }),
      edgeBits: fc.array(fc.boolean(), { minLength: pairs, maxLength: pairs }),
      whens: fc.array(fc.constantFrom(...WHENS), { minLength: pairs, maxLength: pairs }),
      routes: fc.array(fc.constantFrom('a', 'b', 'true', 'default', 'none'), { minLength: n, maxLength: n }),
      continues: fc.array(fc.boolean(), { minLength: n, maxLength: n }),
    }).map(({ kinds, edgeBits, whens, routes, continues }) => build(n, kinds, edgeBits, whens, routes, continues));
  });
}

function build(n: number, kinds: Kind[], bits: boolean[], whens: ReadonlyArray<(typeof WHENS)[number]>, routes: string[], continues: boolean[]): RandomDag {
  const id = (i: number) => `n${i}`;
  const nodes: NodeDef[] = kinds.map((k, i): NodeDef => {
    const onError = continues[i] ? { onError: 'continue' as const } : {};
    switch (k) {
      case 'condition':
        return { id: id(i), type: 'condition', expression: '$context.x', ...onError };
      case 'gate':
        return { id: id(i), type: 'human_gate', prompt: 'ok?', timeoutSeconds: 60 };
      case 'parallel':
        return { id: id(i), type: 'parallel' };
      case 'join':
        return { id: id(i), type: 'join' };
      default:
        return { id: id(i), type: 'tool_call', tool: { kind: 'builtin', name: 'echo' }, ...onError };
    }
  });
  const edges: EdgeDef[] = [];
  const hasDefault = new Set<number>();
  let k = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++, k++) {
      if (!bits[k]) continue;
      if (kinds[i] !== 'condition') {
        edges.push({ from: id(i), to: id(j) });
        continue;
      }
      const w = whens[k] ?? 'a';
      if (w === 'default' && !hasDefault.has(i)) {
        hasDefault.add(i);
        edges.push({ from: id(i), to: id(j), default: true });
      } else {
        edges.push({ from: id(i), to: id(j), when: w === 'default' ? 'a' : w });
      }
    }
  }
  const chosen: Record<string, string> = {};
  kinds.forEach((kind, i) => {
    if (kind === 'condition') chosen[id(i)] = ROUTES[routes[i] ?? 'none'] ?? 'none';
  });
  return { def: { name: 'random', nodes, edges }, routes: chosen };
}

/** A mutation of a JSON document at one of its paths. */
export type Mutation = { at: number; op: 'delete' | 'replace' | 'duplicate' | 'wrap'; value: unknown };

/** Random mutations (applied with `mutate`). */
export function mutations(): fc.Arbitrary<Mutation[]> {
  const value = fc.oneof(
    fc.anything(),
    fc.constantFrom('$', '$ghost.x', '$count(', '$n0', 'context', 'n0', '', 'x'.repeat(5_000), -1, 0, 1e12, null, true, [], {}),
  );
  return fc.array(fc.record({ at: fc.nat(), op: fc.constantFrom<Mutation['op']>('delete', 'replace', 'duplicate', 'wrap'), value }), { minLength: 1, maxLength: 3 });
}

/** Applies mutations to a deep copy of `doc`; each picks a node of the JSON tree by `at` modulo its size. */
export function mutate(doc: unknown, ms: readonly Mutation[]): unknown {
  const root = { doc: structuredClone(doc) as unknown };
  for (const m of ms) {
    const slots: Array<{ parent: Record<string, unknown> | unknown[]; key: string | number }> = [];
    const walk = (parent: Record<string, unknown> | unknown[], key: string | number): void => {
      slots.push({ parent, key });
      const v = (parent as Record<string, unknown>)[key as string];
      if (Array.isArray(v)) v.forEach((_, i) => walk(v, i));
      else if (v !== null && typeof v === 'object') for (const k of Object.keys(v)) walk(v as Record<string, unknown>, k);
    };
    walk(root as Record<string, unknown>, 'doc');
    const slot = slots[m.at % slots.length] as (typeof slots)[number];
    const { parent, key } = slot;
    const current = (parent as Record<string, unknown>)[key as string];
    if (m.op === 'delete') {
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key as string];
    } else if (m.op === 'replace') {
      (parent as Record<string, unknown>)[key as string] = m.value;
    } else if (m.op === 'duplicate' && Array.isArray(parent)) {
      parent.push(structuredClone(current));
    } else {
      (parent as Record<string, unknown>)[key as string] = [current];
    }
  }
  return root.doc;
}

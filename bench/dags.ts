/**
 * Fixed-seed random DAGs and durations for the scheduling benchmark: layered, sparse random and
 * nearly series-parallel shapes; uniform 1-10 s and lognormal durations.
 */
import type { WorkflowDefinition } from '../shared/definition/schema';
// The same seeded PRNG (mulberry32) the fault-injection suites replay with.
import { seededRandom as rng } from '../test/support/fault-dynamo';

/** The DAG shapes of the suite. */
export type DagShape = 'layered' | 'sparse' | 'near-sp';

/** A DAG on nodes `n000`, `n001`, ... (ids sort in creation order, which is topological). */
export interface RandomDag {
  ids: string[];
  edges: Array<{ from: string; to: string }>;
}

const idOf = (i: number, n: number) => 'n' + String(i).padStart(Math.max(3, String(n - 1).length), '0');

/** A random DAG of `n` nodes and the given shape. */
export function randomDag(shape: DagShape, n: number, seed: number): RandomDag {
  const rand = rng(seed);
  const pick = (k: number) => Math.floor(rand() * k);
  const pairs = new Set<string>();
  const edges: Array<[number, number]> = [];
  const add = (a: number, b: number) => {
    if (a === b) return;
    const [x, y] = a < b ? [a, b] : [b, a];
    if (pairs.has(`${x}>${y}`)) return;
    pairs.add(`${x}>${y}`);
    edges.push([x, y]);
  };
  if (shape === 'layered') {
    // Layers of 1..2*sqrt(n) nodes; each node takes 1-3 parents from the layer above, sometimes one from further up.
    const layers: number[][] = [];
    let next = 0;
    const width = Math.max(2, Math.round(Math.sqrt(n)));
    while (next < n) {
      const size = Math.min(n - next, 1 + pick(2 * width));
      layers.push(Array.from({ length: size }, (_, k) => next + k));
      next += size;
    }
    layers.forEach((layer, k) => {
      if (k === 0) return;
      const above = layers[k - 1] as number[];
      for (const v of layer) {
        const parents = 1 + pick(3);
        for (let p = 0; p < parents; p++) add(above[pick(above.length)] as number, v);
        if (k > 1 && rand() < 0.2) {
          const far = layers[pick(k - 1)] as number[];
          add(far[pick(far.length)] as number, v);
        }
      }
    });
  } else if (shape === 'sparse') {
    // Each node takes 0-2 parents among the 3*sqrt(n) nodes before it (a few roots, long chains).
    const window = Math.max(3, Math.round(3 * Math.sqrt(n)));
    for (let v = 1; v < n; v++) {
      const parents = rand() < 0.1 ? 0 : 1 + pick(2);
      for (let p = 0; p < parents; p++) add(Math.max(0, v - 1 - pick(Math.min(v, window))), v);
    }
  } else {
    // A random series-parallel DAG, then about n/20 extra forward edges that break it ("N" shapes).
    const build = (ids: number[]): { sources: number[]; sinks: number[] } => {
      if (ids.length === 1) return { sources: ids, sinks: ids };
      const cut = 1 + pick(ids.length - 1);
      const left = build(ids.slice(0, cut));
      const right = build(ids.slice(cut));
      if (rand() < 0.55) {
        for (const a of left.sinks) for (const b of right.sources) add(a, b);
        return { sources: left.sources, sinks: right.sinks };
      }
      return { sources: [...left.sources, ...right.sources], sinks: [...left.sinks, ...right.sinks] };
    };
    build(Array.from({ length: n }, (_, i) => i));
    const extra = Math.max(1, Math.round(n / 20));
    for (let k = 0; k < extra; k++) {
      const a = pick(n - 1);
      add(a, a + 1 + pick(n - a - 1));
    }
  }
  return { ids: Array.from({ length: n }, (_, i) => idOf(i, n)), edges: edges.map(([a, b]) => ({ from: idOf(a, n), to: idOf(b, n) })) };
}

/** The duration distributions of the suite. */
export type DurationKind = 'uniform' | 'lognormal';

/** Durations in seconds for each node: uniform on [1, 10], or lognormal (median 3 s, sigma 1, capped at 120 s). */
export function randomDurations(ids: readonly string[], kind: DurationKind, seed: number): Map<string, number> {
  const rand = rng(seed ^ 0x9e3779b9);
  const out = new Map<string, number>();
  for (const id of ids) {
    if (kind === 'uniform') out.set(id, 1 + 9 * rand());
    else {
      const u1 = Math.max(rand(), 1e-12);
      const u2 = rand();
      const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
      out.set(id, Math.min(120, Math.max(0.1, 3 * Math.exp(z))));
    }
  }
  return out;
}

/** A workflow definition of builtin `echo` tool nodes over a DAG, with optional `expectedSeconds` hints. */
export function dagWorkflow(dag: RandomDag, hints?: ReadonlyMap<string, number>): WorkflowDefinition {
  return {
    name: 'bench',
    nodes: dag.ids.map((id) => {
      const hint = hints?.get(id);
      return { id, type: 'tool_call', tool: { kind: 'builtin', name: 'echo' }, ...(hint !== undefined ? { expectedSeconds: hint } : {}) };
    }) as WorkflowDefinition['nodes'],
    edges: dag.edges,
  };
}

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildGraph, kahnLevels } from '../../shared/definition/graph';
import { criticalPath, indexDag } from '../../shared/compiler/critical-path';
import type { PlanStep } from '../../shared/compiler/plan';
import { planWorkflow } from '../../shared/compiler/plan';
import { planCriticalPath } from '../../shared/compiler/plan-critical-path';
import { planOrder, planShape, simulatePlan } from '../../shared/compiler/plan-simulate';
import { nodeWeights } from '../../shared/compiler/plan-weights';
import { tool, workflow } from '../support/asl-harness';

/** A random DAG on `n0..n{k-1}` with edges from lower to higher index, plus positive weights. */
const weightedDag = (maxNodes: number) =>
  fc.integer({ min: 1, max: maxNodes }).chain((n) =>
    fc.record({
      ids: fc.constant(Array.from({ length: n }, (_, i) => `n${String(i).padStart(2, '0')}`)),
      bits: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: (n * (n - 1)) / 2, maxLength: (n * (n - 1)) / 2 }),
      density: fc.double({ min: 0.05, max: 0.6, noNaN: true }),
      weights: fc.array(fc.double({ min: 0.1, max: 100, noNaN: true }), { minLength: n, maxLength: n }),
    }).map(({ ids, bits, density, weights }) => {
      const edges: Array<{ from: string; to: string }> = [];
      let k = 0;
      for (let i = 0; i < ids.length; i++) for (let j = i + 1; j < ids.length; j++) if ((bits[k++] as number) < density) edges.push({ from: ids[i] as string, to: ids[j] as string });
      return { ids, edges, weight: new Map(ids.map((id, i) => [id, weights[i] as number])) };
    }),
  );

/** A random series-parallel DAG (built by series and parallel composition). */
const seriesParallel = (maxNodes: number) =>
  fc.record({
    splits: fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.boolean()), { minLength: maxNodes, maxLength: maxNodes }),
    n: fc.integer({ min: 1, max: maxNodes }),
    weights: fc.array(fc.double({ min: 0.1, max: 100, noNaN: true }), { minLength: maxNodes, maxLength: maxNodes }),
  }).map(({ splits, n, weights }) => {
    const ids = Array.from({ length: n }, (_, i) => `n${String(i).padStart(2, '0')}`);
    const edges: Array<{ from: string; to: string }> = [];
    let s = 0;
    const build = (part: string[]): { sources: string[]; sinks: string[] } => {
      if (part.length === 1) return { sources: part, sinks: part };
      const [r, series] = splits[s++ % splits.length] as [number, boolean];
      const cut = Math.min(part.length - 1, 1 + Math.floor(r * (part.length - 1)));
      const left = build(part.slice(0, cut));
      const right = build(part.slice(cut));
      if (!series) return { sources: [...left.sources, ...right.sources], sinks: [...left.sinks, ...right.sinks] };
      for (const a of left.sinks) for (const b of right.sources) edges.push({ from: a, to: b });
      return { sources: left.sources, sinks: right.sinks };
    };
    build(ids);
    return { ids, edges, weight: new Map(ids.map((id, i) => [id, weights[i] as number])) };
  });

function levelSteps(ids: string[], edges: Array<{ from: string; to: string }>): PlanStep[] {
  return kahnLevels(buildGraph(ids, edges)).map((level, i) =>
    level.length === 1 ? { kind: 'node', id: level[0] as string } : { kind: 'parallel', name: `level:${i}`, branches: level.map((id) => [{ kind: 'node', id }]) },
  );
}

function plan(ids: string[], edges: Array<{ from: string; to: string }>, weight: Map<string, number> | undefined, respectLevels: boolean) {
  const dag = indexDag(buildGraph(ids, edges));
  return { dag, steps: planCriticalPath(dag, dag.ids.map((id) => weight?.get(id) ?? 1), { respectLevels }) };
}

function stateNames(steps: readonly PlanStep[]): string[] {
  return steps.flatMap((s) => (s.kind === 'node' ? [s.id] : [s.name, ...s.branches.flatMap(stateNames)]));
}

describe('critical-path planner', () => {
  it('plans every node exactly once, respects every edge, and names states uniquely', () => {
    fc.assert(
      fc.property(weightedDag(24), fc.boolean(), ({ ids, edges, weight }, respectLevels) => {
        // Act
        const { steps } = plan(ids, edges, weight, respectLevels);
        // Assess
        const names = stateNames(steps);
        expect(new Set(names).size).toBe(names.length);
        expect(names.filter((n) => !n.startsWith('par:')).sort()).toStrictEqual([...ids].sort());
        const before = planOrder(steps);
        for (const e of edges) expect(before(e.from, e.to)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('is exact on series-parallel DAGs: the plan takes exactly the critical path', () => {
    fc.assert(
      fc.property(seriesParallel(30), ({ ids, edges, weight }) => {
        // Act
        const { dag, steps } = plan(ids, edges, weight, false);
        // Assess
        const duration = (id: string) => weight.get(id) as number;
        expect(simulatePlan(steps, duration)).toBeCloseTo(criticalPath(dag, duration).length, 6);
      }),
      { numRuns: 300 },
    );
  });

  it('with equal weights is never slower than levels, whatever the real durations', () => {
    fc.assert(
      fc.property(weightedDag(24), ({ ids, edges, weight }) => {
        // Prepare: the planner sees equal weights; the run takes `weight`
        const { steps } = plan(ids, edges, undefined, true);
        const duration = (id: string) => weight.get(id) as number;
        // Act
        const span = simulatePlan(steps, duration);
        // Assess
        expect(span).toBeLessThanOrEqual(simulatePlan(levelSteps(ids, edges), duration) + 1e-9);
      }),
      { numRuns: 300 },
    );
  });

  it('places the barrier of an "N" where the critical-path bound is lowest', () => {
    // Prepare: a -> c <- b -> d; a and d are long. Levels wait for a before d's level ends: 10 + 10.
    const weight = new Map([['a', 10], ['b', 1], ['c', 1], ['d', 10]]);
    const edges = [{ from: 'a', to: 'c' }, { from: 'b', to: 'c' }, { from: 'b', to: 'd' }];
    // Act
    const { steps } = plan(['a', 'b', 'c', 'd'], edges, weight, false);
    // Assess: 12 (the critical path is 11: no series-parallel plan reaches it)
    const duration = (id: string) => weight.get(id) as number;
    expect(simulatePlan(levelSteps(['a', 'b', 'c', 'd'], edges), duration)).toBe(20);
    expect(simulatePlan(steps, duration)).toBe(12);
  });

  it('nests a fast chain beside a slow node instead of waiting for it', () => {
    // Prepare: a -> c, b alone; levels would make c wait for b
    const def = workflow([tool('a', { expectedSeconds: 1 }), tool('b', { expectedSeconds: 9 }), tool('c', { expectedSeconds: 1 })], ['a->c']);
    // Act
    const { steps } = planWorkflow(def, 'critical-path');
    // Assess
    expect(steps).toStrictEqual([
      { kind: 'parallel', name: 'par:0', branches: [[{ kind: 'node', id: 'a' }, { kind: 'node', id: 'c' }], [{ kind: 'node', id: 'b' }]] },
    ]);
  });

  it('is deterministic: the same definition gives the same plan', () => {
    // Prepare
    const edges = ['a->b', 'a->c', 'b->d', 'c->d', 'c->e', 'e->f', 'b->f'];
    const def = workflow(['a', 'b', 'c', 'd', 'e', 'f'].map((id) => tool(id)), edges);
    // Act
    const first = JSON.stringify(planWorkflow(def, 'critical-path').steps);
    const again = JSON.stringify(planWorkflow(workflow(['f', 'e', 'd', 'c', 'b', 'a'].map((id) => tool(id)), [...edges].reverse()), 'critical-path').steps);
    // Assess
    expect(again).toBe(first);
  });
});

describe('simulator and weights', () => {
  it('simulates sequences as sums and Parallels as the longest branch', () => {
    // Prepare
    const steps: PlanStep[] = [
      { kind: 'node', id: 'a' },
      { kind: 'parallel', name: 'p', branches: [[{ kind: 'node', id: 'b' }, { kind: 'node', id: 'c' }], [{ kind: 'node', id: 'd' }]] },
    ];
    const d = new Map([['a', 1], ['b', 2], ['c', 3], ['d', 4]]);
    // Act
    const span = simulatePlan(steps, (id) => d.get(id) as number);
    // Assess
    expect(span).toBe(6);
    expect(planShape(steps)).toStrictEqual({ nodes: 4, parallels: 1, maxBranches: 2, depth: 1 });
  });

  it('finds the critical path and its length', () => {
    // Prepare
    const dag = indexDag(buildGraph(['a', 'b', 'c', 'd'], [{ from: 'a', to: 'c' }, { from: 'b', to: 'c' }, { from: 'c', to: 'd' }]));
    const d = new Map([['a', 1], ['b', 5], ['c', 2], ['d', 1]]);
    // Act
    const cp = criticalPath(dag, (id) => d.get(id) as number);
    // Assess
    expect(cp).toStrictEqual({ length: 8, path: ['b', 'c', 'd'] });
  });

  it('weighs by hints, fills the unhinted with the median, and falls back to equal weights', () => {
    // Prepare
    const hinted = workflow([tool('a', { expectedSeconds: 2 }), tool('b', { expectedSeconds: 8 }), tool('c'), tool('d', { expectedSeconds: 4 })], []);
    const plain = workflow([tool('a'), tool('b')], []);
    // Act
    const withHints = nodeWeights(hinted, ['a', 'b', 'c', 'd']);
    const withHistory = nodeWeights(plain, ['a', 'b'], { expectedSeconds: (id) => (id === 'a' ? 3 : undefined) });
    const equal = nodeWeights(plain, ['a', 'b']);
    // Assess
    expect(withHints).toStrictEqual({ weight: new Map([['a', 2], ['b', 8], ['c', 4], ['d', 4]]), source: 'hints' });
    expect(withHistory).toStrictEqual({ weight: new Map([['a', 3], ['b', 3]]), source: 'history' });
    expect(equal).toStrictEqual({ weight: new Map([['a', 1], ['b', 1]]), source: 'equal' });
  });
});

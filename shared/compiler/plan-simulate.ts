/**
 * A simulator for execution plans: given node durations, how long a plan's ASL takes (its
 * makespan). A sequence takes the sum of its steps, a Parallel the longest of its branches, which
 * is exactly how Step Functions runs nested `Parallel` states (ignoring its per-state overhead).
 */
import type { PlanStep } from './plan-types';

/** Makespan of a sequence of steps, with `duration` giving each node's duration. */
export function simulatePlan(steps: readonly PlanStep[], duration: (id: string) => number): number {
  let total = 0;
  for (const step of steps) {
    if (step.kind === 'node') total += duration(step.id);
    else total += Math.max(0, ...step.branches.map((b) => simulatePlan(b, duration)));
  }
  return total;
}

/** Counts of the states a plan renders to: Task states (nodes) and Parallel states. */
export function planShape(steps: readonly PlanStep[]): { nodes: number; parallels: number; maxBranches: number; depth: number } {
  const shape = { nodes: 0, parallels: 0, maxBranches: 0, depth: 0 };
  const visit = (seq: readonly PlanStep[], depth: number): void => {
    shape.depth = Math.max(shape.depth, depth);
    for (const step of seq) {
      if (step.kind === 'node') {
        shape.nodes += 1;
        continue;
      }
      shape.parallels += 1;
      shape.maxBranches = Math.max(shape.maxBranches, step.branches.length);
      for (const b of step.branches) visit(b, depth + 1);
    }
  };
  visit(steps, 0);
  return shape;
}

/** Pairs `[a, b]` the plan orders (a finishes before b starts), as a predicate: for checking plans against edges. */
export function planOrder(steps: readonly PlanStep[]): (a: string, b: string) => boolean {
  // Each node gets its path of (position in sequence) through the tree; a precedes b iff at the
  // first sequence where their paths part, a's step comes first.
  const paths = new Map<string, Array<[number, number]>>();
  const visit = (seq: readonly PlanStep[], prefix: Array<[number, number]>): void => {
    seq.forEach((step, i) => {
      if (step.kind === 'node') paths.set(step.id, [...prefix, [i, -1]]);
      else step.branches.forEach((b, j) => visit(b, [...prefix, [i, j]]));
    });
  };
  visit(steps, []);
  return (a, b) => {
    const pa = paths.get(a);
    const pb = paths.get(b);
    if (!pa || !pb) return false;
    for (let k = 0; k < Math.min(pa.length, pb.length); k++) {
      const [ia, ja] = pa[k] as [number, number];
      const [ib, jb] = pb[k] as [number, number];
      if (ia !== ib) return ia < ib;
      if (ja !== jb) return false;
    }
    return false;
  };
}

/**
 * Which routes each Parallel must carry out of its branches, for plans with nested Parallels.
 *
 * A Parallel's result replaces `r` with the routes it selects. Carrying every route decided so far
 * (what `levels` does) is always correct but makes the definition grow with Parallels × tracked
 * nodes, which nesting multiplies. A route only has to survive a Parallel when a node planned
 * after that Parallel reads it in its `:route` Choice. "After" is plan order: at the first sequence
 * where the two paths part, the Parallel's step comes first. Such a reader is then also after every
 * Parallel nested inside this one and before its own position, so each of those carries the route
 * too, and the value reaches the reader whichever branch decided it.
 *
 * Pruning changes the execution's final `r` (it keeps only routes still read), so it is used only
 * when carrying every route would add more than `PRUNE_ABOVE_BYTES` of ResultSelectors, where it
 * keeps a large tracked workflow under Step Functions' 1 MB definition limit.
 */
import type { ExecutionPlan, PlanStep } from './plan-types';

type Path = Array<[step: number, branch: number]>;

/** Carrying every route costs more than this many bytes of ResultSelectors: prune. */
export const PRUNE_ABOVE_BYTES = 256 * 1024;

/**
 * For each Parallel (by state name), the tracked node ids whose routes it must carry, sorted; or
 * undefined when carrying every route decided so far stays under `PRUNE_ABOVE_BYTES`.
 */
export function carriedRoutes(plan: Pick<ExecutionPlan, 'nodes' | 'steps'>): Map<string, string[]> | undefined {
  const readers = new Map<string, Path[]>();
  const parallels: Array<{ name: string; path: Path; decided: string[] }> = [];
  const visit = (steps: readonly PlanStep[], prefix: Path, decidedBefore: readonly string[]): string[] => {
    const decided = [...decidedBefore];
    steps.forEach((step, i) => {
      if (step.kind === 'node') {
        const node = plan.nodes.get(step.id);
        if (node && node.live !== 'always' && node.tracked) {
          for (const test of node.live) readers.set(test.node, [...(readers.get(test.node) ?? []), [...prefix, [i, -1]]]);
        }
        if (node?.tracked) decided.push(step.id);
        return;
      }
      const inside = step.branches.flatMap((b, j) => visit(b, [...prefix, [i, j]], decided).slice(decided.length));
      parallels.push({ name: step.name, path: [...prefix, [i, -1]], decided: [...decided, ...inside] });
      decided.push(...inside);
    });
    return decided;
  };
  visit(plan.steps, [], []);
  // Each carried route renders as `"<t>.$":"$[<b>].r.<t>",`: about twice its id plus 16 bytes.
  const fullBytes = parallels.reduce((sum, p) => sum + [...new Set(p.decided)].reduce((s, t) => s + 2 * t.length + 16, 0), 0);
  if (fullBytes <= PRUNE_ABOVE_BYTES) return undefined;
  const carried = new Map<string, string[]>();
  for (const p of parallels) {
    carried.set(p.name, [...new Set(p.decided)].filter((t) => (readers.get(t) ?? []).some((r) => after(p.path, r))).sort());
  }
  return carried;
}

/** Whether the step at `reader` runs after the Parallel at `parallel` finishes. */
function after(parallel: Path, reader: Path): boolean {
  for (let k = 0; k < Math.min(parallel.length, reader.length); k++) {
    const [ps, pb] = parallel[k] as [number, number];
    const [rs, rb] = reader[k] as [number, number];
    if (ps !== rs) return ps < rs;
    // Same step: the reader is inside the Parallel (pb is -1 at its own level) or in a sibling branch.
    if (pb !== rb) return false;
  }
  return false;
}

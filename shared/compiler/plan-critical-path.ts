/**
 * The `critical-path` strategy: nests `Parallel` states along the DAG's series-parallel structure
 * so that a node waits only for what it must (its ancestors), not for a whole level.
 *
 * A set of nodes is split recursively: into parallel branches when it falls apart into weakly
 * connected pieces, else into a series `A ; B` at a cut where `A` is closed under predecessors.
 * Cuts are thresholds on a key that grows along every edge (earliest start, latest start, their
 * mean), and the cut chosen minimises `CP(A) + CP(B)`, the critical-path bound of what it leaves.
 * Where the DAG is series-parallel an exact cut (`CP(A) + CP(B) = CP`) always exists among them,
 * so the plan is exact; where it is not (an "N"), the bound picks the barrier, refined by a bounded
 * search that plans the best few cuts and keeps the one whose plan simulates fastest.
 *
 * With equal weights (no hints), only cuts that agree with Kahn levels are allowed: the plan then
 * orders no pair of nodes that `levels` leaves unordered, so it is never slower than `levels`,
 * whatever the real durations.
 */
import type { PlanStep } from './plan-types';
import type { IndexedDag } from './critical-path';

/** Options of the planner. */
export interface CriticalPathPlanOptions {
  /** Allow only cuts that agree with Kahn levels (then the plan never loses to `levels`). */
  respectLevels: boolean;
  /** Work budget of the bounded search, in node visits per node. @default 100 */
  searchBudget?: number;
  /** Cuts tried per lossy split in the search. @default 6 */
  searchWidth?: number;
}

type Tree = { kind: 'node'; v: number } | { kind: 'seq'; items: Tree[] } | { kind: 'par'; items: Tree[] };

interface Ctx {
  dag: IndexedDag;
  w: Float64Array;
  respectLevels: boolean;
  width: number;
  /** Node visits after which the search stops (greedy from then on). */
  budget: number;
  /** Node visits so far. */
  visits: number;
  stamp: Int32Array;
  nextStamp: number;
  /** Marks one side of a cut, or a component's root (stamped like `stamp`). */
  side: Int32Array;
  /** A component root's index among the components. */
  slot: Int32Array;
  /** Union-find parents (components). */
  parent: Int32Array;
  /** Cut keys of the set being cut. */
  key: Float64Array;
  es: Float64Array;
  tail: Float64Array;
  pos: Int32Array;
}

/** Cut keys: earliest start (alpha 0), latest start (1) and their mean. */
const ALPHAS = [0, 1, 0.5] as const;
const EPS = 1e-9;
/**
 * Above this many nodes a set takes the most balanced cut within `LARGE_SET_SLACK` of the best
 * bound and is not searched: the best bound alone often peels one node at a time, which makes
 * planning quadratic. Users' workflows (at most 500 nodes) reach it only in their outer splits.
 */
const LARGE_SET = 256;
const LARGE_SET_SLACK = 0.05;
/** The search stops after this many node visits, whatever the size of the workflow. */
const MAX_SEARCH_VISITS = 200_000;

/**
 * Plans the nodes of `dag` (weights by index, positive) into a sequence of steps that respects
 * every edge. Parallel states are named `par:<n>` in depth-first order.
 */
export function planCriticalPath(dag: IndexedDag, weights: readonly number[], options: CriticalPathPlanOptions): PlanStep[] {
  const n = dag.ids.length;
  if (n === 0) return [];
  const max = Math.max(...weights);
  const w = new Float64Array(n);
  // Normalised and kept positive, so every cut key grows strictly along every edge.
  weights.forEach((x, i) => (w[i] = Math.max(x / max, 1e-6)));
  const pos = new Int32Array(n);
  dag.topo.forEach((v, i) => (pos[v] = i));
  const ctx: Ctx = {
    dag,
    w,
    respectLevels: options.respectLevels,
    width: options.searchWidth ?? 6,
    budget: Math.min((options.searchBudget ?? 100) * n, MAX_SEARCH_VISITS),
    visits: 0,
    stamp: new Int32Array(n),
    nextStamp: 1,
    side: new Int32Array(n),
    slot: new Int32Array(n),
    parent: new Int32Array(n),
    key: new Float64Array(n),
    es: new Float64Array(n),
    tail: new Float64Array(n),
    pos,
  };
  const tree = decompose(ctx, [...dag.topo], true);
  const counter = { n: 0 };
  return toSteps(tree, dag, counter);
}

/** Makespan of a tree under the planner's weights. */
function treeSpan(t: Tree, w: Float64Array): number {
  if (t.kind === 'node') return w[t.v] as number;
  if (t.kind === 'seq') return t.items.reduce((s, x) => s + treeSpan(x, w), 0);
  return Math.max(...t.items.map((x) => treeSpan(x, w)));
}

function decompose(ctx: Ctx, set: number[], search: boolean): Tree {
  ctx.visits += set.length;
  if (set.length === 1) return { kind: 'node', v: set[0] as number };
  const stamp = ctx.nextStamp++;
  for (const v of set) ctx.stamp[v] = stamp;
  const pieces = components(ctx, set, stamp);
  if (pieces.length > 1) return { kind: 'par', items: pieces.map((p) => decompose(ctx, p, search)) };

  const cp = longestPaths(ctx, set, stamp);
  const large = set.length > LARGE_SET;
  // Sorted by each cut key; the first (earliest start) is also the order exact segments use.
  const sorted = (large ? ALPHAS.slice(0, 2) : ALPHAS).map((alpha) => cutCosts(ctx, set, cp, alpha));
  const cuts = large ? [] : candidateCuts(sorted);
  const best = large ? balancedLargeCut(sorted) : cuts[0];
  if (!best) throw new Error('no cut for a connected set of more than one node');
  if (best.cost <= cp * (1 + EPS)) {
    const segments = exactSegments(ctx, set, cp, stamp, sorted[0] as SortedCuts);
    if (segments) return seq(segments.map((s) => decompose(ctx, s, search)));
  }
  // Lossy (an "N" somewhere in here): plan the best few cuts greedily and keep the fastest.
  let chosen = sides(ctx, set, best);
  if (search && !large && best.cost > cp * (1 + EPS) && ctx.visits < ctx.budget) {
    let bestSpan = Infinity;
    for (const [a, b] of distinctCuts(ctx, set, cuts)) {
      const span = treeSpan(decompose(ctx, a, false), ctx.w) + treeSpan(decompose(ctx, b, false), ctx.w);
      if (span < bestSpan - EPS) {
        bestSpan = span;
        chosen = [a, b];
      }
      if (ctx.visits >= ctx.budget) break;
    }
  }
  return seq([decompose(ctx, chosen[0], search), decompose(ctx, chosen[1], search)]);
}

function seq(items: Tree[]): Tree {
  return { kind: 'seq', items: items.flatMap((t) => (t.kind === 'seq' ? t.items : [t])) };
}

/** Weakly connected components of the set (each in topological order, ordered by first node). */
function components(ctx: Ctx, set: number[], stamp: number): number[][] {
  const parent = ctx.parent;
  for (const v of set) parent[v] = v;
  const find = (x: number): number => {
    let r = x;
    while (parent[r] !== r) r = parent[r] as number;
    while (parent[x] !== r) {
      const next = parent[x] as number;
      parent[x] = r;
      x = next;
    }
    return r;
  };
  let count = set.length;
  for (const v of set) {
    for (const s of ctx.dag.succ[v] as number[]) {
      if (ctx.stamp[s] !== stamp) continue;
      const a = find(v);
      const b = find(s);
      if (a !== b) {
        parent[a] = b;
        count -= 1;
      }
    }
  }
  if (count === 1) return [set];
  const groups: number[][] = [];
  const mark = ctx.nextStamp++;
  for (const v of set) {
    const r = find(v);
    if (ctx.side[r] === mark) (groups[ctx.slot[r] as number] as number[]).push(v);
    else {
      ctx.side[r] = mark;
      ctx.slot[r] = groups.length;
      groups.push([v]);
    }
  }
  return groups;
}

/** Fills `es` (earliest start) and `tail` (longest path from the node to a sink, itself included) inside the set; returns its CP. */
function longestPaths(ctx: Ctx, set: number[], stamp: number): number {
  const { dag, w, es, tail } = ctx;
  let cp = 0;
  for (const v of set) {
    let start = 0;
    for (const p of dag.pred[v] as number[]) if (ctx.stamp[p] === stamp) start = Math.max(start, (es[p] as number) + (w[p] as number));
    es[v] = start;
    cp = Math.max(cp, start + (w[v] as number));
  }
  for (let i = set.length - 1; i >= 0; i--) {
    const v = set[i] as number;
    let after = 0;
    for (const s of dag.succ[v] as number[]) if (ctx.stamp[s] === stamp) after = Math.max(after, tail[s] as number);
    tail[v] = (w[v] as number) + after;
  }
  return cp;
}

interface Cut {
  /** The set sorted by the cut's key; the cut puts `order[0..at)` first. */
  order: number[];
  at: number;
  cost: number;
  /** Distance from a balanced cut, for ties. */
  skew: number;
}

/** Threshold cuts on each key, best (lowest bound, then most balanced) first. */
function candidateCuts(sorted: SortedCuts[]): Cut[] {
  const cuts: Cut[] = [];
  for (const { order, cost } of sorted) {
    for (let i = 1; i < order.length; i++) {
      if (Number.isNaN(cost[i])) continue;
      cuts.push({ order, at: i, cost: cost[i] as number, skew: Math.abs(2 * i - order.length) });
    }
  }
  cuts.sort((x, y) => x.cost - y.cost || x.skew - y.skew);
  return cuts;
}

/** A set sorted by one cut key, with the bound of cutting before each position. */
interface SortedCuts {
  order: number[];
  /** `cost[i]`: the bound of the cut before `order[i]`; NaN where no cut is allowed. */
  cost: Float64Array;
}

/**
 * The set sorted by one key, and the bound of cutting before each position (NaN where no cut is
 * allowed: between equal keys, which may hide an edge the cut would reverse, or against Kahn levels
 * when the plan must respect them).
 */
function cutCosts(ctx: Ctx, set: number[], cp: number, alpha: number): SortedCuts {
  const { es, tail, w, pos } = ctx;
  const level = ctx.dag.level;
  const keys = ctx.key;
  const m = set.length;
  for (const v of set) keys[v] = (1 - alpha) * (es[v] as number) + alpha * (cp - (tail[v] as number));
  const order = sortByKey(set, keys);
  const { suffixTail, suffixLevel } = suffixBounds(order, tail, level);
  const cost = new Float64Array(m).fill(Number.NaN);
  let prefixFinish = 0;
  let prefixLevel = -1;
  for (let i = 1; i < m; i++) {
    const u = order[i - 1] as number;
    prefixFinish = Math.max(prefixFinish, (es[u] as number) + (w[u] as number));
    prefixLevel = Math.max(prefixLevel, level[u] as number);
    if ((keys[order[i] as number] as number) <= (keys[u] as number)) continue;
    if (ctx.respectLevels && prefixLevel >= (suffixLevel[i] as number)) continue;
    cost[i] = prefixFinish + (suffixTail[i] as number);
  }
  return { order, cost };
}

/**
 * The cut a large set takes (the two pure keys only: a third sort
 * per split costs more than it finds there), without building and sorting every cut: the most
 * balanced cut within the slack of the best bound; among equally balanced ones the lowest bound,
 * then the first key.
 */
function balancedLargeCut(perKey: SortedCuts[]): Cut | undefined {
  const m = perKey[0]?.order.length ?? 0;
  let bestCost = Infinity;
  for (const { cost } of perKey) for (let i = 1; i < m; i++) if ((cost[i] as number) < bestCost) bestCost = cost[i] as number;
  if (bestCost === Infinity) return undefined;
  const limit = bestCost * (1 + LARGE_SET_SLACK);
  let chosen: Cut | undefined;
  for (const { order, cost } of perKey) {
    for (let i = 1; i < m; i++) {
      const c = cost[i] as number;
      if (!(c <= limit)) continue;
      const skew = Math.abs(2 * i - m);
      if (!chosen || skew < chosen.skew || (skew === chosen.skew && c < chosen.cost)) chosen = { order, at: i, cost: c, skew };
    }
  }
  return chosen;
}

/**
 * The two sides of a cut, each in topological order. `set` is in topological order already (every
 * set the planner splits is), so marking the first side and filtering keeps that order without a sort.
 */
function sides(ctx: Ctx, set: number[], cut: Cut): [number[], number[]] {
  const mark = ctx.nextStamp++;
  for (let i = 0; i < cut.at; i++) ctx.side[cut.order[i] as number] = mark;
  const first: number[] = [];
  const second: number[] = [];
  for (const v of set) (ctx.side[v] === mark ? first : second).push(v);
  return [first, second];
}

/** The best `width` cuts with distinct sides (keys often agree, giving the same cut twice). */
function distinctCuts(ctx: Ctx, set: number[], cuts: Cut[]): Array<[number[], number[]]> {
  const out: Array<[number[], number[]]> = [];
  const seen = new Set<string>();
  for (const cut of cuts) {
    if (out.length >= ctx.width) break;
    const [a, b] = sides(ctx, set, cut);
    const key = a.join(',');
    if (seen.has(key)) continue;
    seen.add(key);
    out.push([a, b]);
  }
  return out;
}

/**
 * Splits the set into every consecutive segment that exact earliest-start cuts allow, when their
 * bounds add up to the set's CP (so the series loses nothing); undefined when there is no such
 * split into two or more segments.
 */
function exactSegments(ctx: Ctx, set: number[], cp: number, stamp: number, byEarliestStart: SortedCuts): number[][] | undefined {
  const { es, w, pos } = ctx;
  const { order, cost } = byEarliestStart;
  const m = order.length;
  // The earliest-start cuts' bounds are already known; a cut not allowed is NaN, which no comparison passes.
  const bounds: number[] = [];
  for (let i = 1; i < m; i++) if ((cost[i] as number) <= cp * (1 + EPS)) bounds.push(i);
  if (bounds.length === 0) return undefined;
  const segments: number[][] = [];
  let from = 0;
  for (const b of [...bounds, m]) {
    segments.push(order.slice(from, b).sort((x, y) => (pos[x] as number) - (pos[y] as number)));
    from = b;
  }
  // Check that the segments' bounds add up to the CP (each cut alone may be lossless while two together are not).
  let total = 0;
  for (const s of segments) {
    const inner = ctx.nextStamp++;
    for (const v of s) ctx.stamp[v] = inner;
    let span = 0;
    // es is free to reuse here: the set's own values are no longer needed once the segments exist.
    for (const v of s) {
      let start = 0;
      for (const p of ctx.dag.pred[v] as number[]) if (ctx.stamp[p] === inner) start = Math.max(start, (es[p] as number) + (w[p] as number));
      es[v] = start;
      span = Math.max(span, start + (w[v] as number));
    }
    total += span;
  }
  for (const v of set) ctx.stamp[v] = stamp;
  return total <= cp * (1 + EPS) ? segments : undefined;
}

function toSteps(tree: Tree, dag: IndexedDag, counter: { n: number }): PlanStep[] {
  if (tree.kind === 'node') return [{ kind: 'node', id: dag.ids[tree.v] as string }];
  if (tree.kind === 'seq') return tree.items.flatMap((t) => toSteps(t, dag, counter));
  const name = `par:${counter.n++}`;
  return [{ kind: 'parallel', name, branches: tree.items.map((t) => toSteps(t, dag, counter)) }];
}

/** For each position of `order`, the largest tail and the smallest level from there to the end. */
function suffixBounds(order: readonly number[], tail: ArrayLike<number>, level: ArrayLike<number>): { suffixTail: Float64Array; suffixLevel: Int32Array } {
  const m = order.length;
  const suffixTail = new Float64Array(m + 1);
  const suffixLevel = new Int32Array(m + 1).fill(2 ** 30);
  for (let i = m - 1; i >= 0; i--) {
    const v = order[i] as number;
    suffixTail[i] = Math.max(suffixTail[i + 1] as number, tail[v] as number);
    suffixLevel[i] = Math.min(suffixLevel[i + 1] as number, level[v] as number);
  }
  return { suffixTail, suffixLevel };
}

/**
 * `set` sorted by `keys`, equal keys kept in `set`'s order (topological: every set the planner splits
 * is). The hot spot of planning large workflows, so no comparator callback: the distinct keys are
 * sorted natively as a `Float64Array`, each node gets its key's rank by binary search, and a
 * counting sort by rank (stable) gives the order.
 */
function sortByKey(set: readonly number[], keys: Float64Array): number[] {
  const m = set.length;
  const values = new Float64Array(m);
  for (let i = 0; i < m; i++) values[i] = keys[set[i] as number] as number;
  const sorted = values.slice().sort();
  let distinct = 0;
  for (let i = 0; i < m; i++) if (i === 0 || (sorted[i] as number) !== (sorted[distinct - 1] as number)) sorted[distinct++] = sorted[i] as number;
  const rank = new Int32Array(m);
  const count = new Int32Array(distinct + 1);
  for (let i = 0; i < m; i++) {
    const x = values[i] as number;
    let lo = 0;
    let hi = distinct - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((sorted[mid] as number) < x) lo = mid + 1;
      else hi = mid;
    }
    rank[i] = lo;
    count[lo + 1] = (count[lo + 1] as number) + 1;
  }
  for (let r = 1; r <= distinct; r++) count[r] = (count[r] as number) + (count[r - 1] as number);
  const order = new Array<number>(m);
  for (let i = 0; i < m; i++) {
    const r = rank[i] as number;
    order[count[r] as number] = set[i] as number;
    count[r] = (count[r] as number) + 1;
  }
  return order;
}

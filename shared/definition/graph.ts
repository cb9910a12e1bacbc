/**
 * Graph algorithms over a workflow's nodes and edges: Kahn levels, cycle finding, reachability,
 * ancestors, and the contraction of `parallel`/`join` nodes. Pure functions on plain ids; they
 * never throw on odd input (unknown endpoints are ignored), so the validator can run them on
 * anything that passed the schema.
 */

/** A directed graph: node ids in a stable order and each node's successors. */
export interface Graph {
  /** Node ids, sorted. */
  nodes: string[];
  /** Successors of each node, sorted, without duplicates. */
  succ: Map<string, string[]>;
  /** Predecessors of each node, sorted, without duplicates. */
  pred: Map<string, string[]>;
}

/** Builds a graph from ids and edges; edges whose endpoints are not in `ids` are dropped. */
export function buildGraph(ids: Iterable<string>, edges: Iterable<{ from: string; to: string }>): Graph {
  const nodes = [...new Set(ids)].sort();
  const known = new Set(nodes);
  const succSets = new Map<string, Set<string>>(nodes.map((n) => [n, new Set<string>()]));
  const predSets = new Map<string, Set<string>>(nodes.map((n) => [n, new Set<string>()]));
  for (const { from, to } of edges) {
    if (!known.has(from) || !known.has(to)) continue;
    succSets.get(from)?.add(to);
    predSets.get(to)?.add(from);
  }
  const sorted = (m: Map<string, Set<string>>) => new Map([...m].map(([k, v]) => [k, [...v].sort()]));
  return { nodes, succ: sorted(succSets), pred: sorted(predSets) };
}

/** Nodes without predecessors, sorted. */
export function roots(graph: Graph): string[] {
  return graph.nodes.filter((n) => (graph.pred.get(n) ?? []).length === 0);
}

/**
 * Kahn's algorithm by levels: level 0 holds the roots, level n the nodes whose predecessors are
 * all in earlier levels. Each level is sorted. Nodes on or behind a cycle are left out, so the
 * levels cover every node iff the graph is acyclic.
 */
export function kahnLevels(graph: Graph): string[][] {
  const indegree = new Map(graph.nodes.map((n) => [n, (graph.pred.get(n) ?? []).length]));
  let current = graph.nodes.filter((n) => indegree.get(n) === 0);
  const levels: string[][] = [];
  while (current.length > 0) {
    levels.push(current);
    const next: string[] = [];
    for (const n of current) {
      for (const s of graph.succ.get(n) ?? []) {
        const d = (indegree.get(s) ?? 0) - 1;
        indegree.set(s, d);
        if (d === 0) next.push(s);
      }
    }
    current = next.sort();
  }
  return levels;
}

/**
 * Finds the cycles of a graph, one per strongly connected component that has a cycle, each as the
 * list of its nodes in edge order starting from its smallest id (a self-loop is `[x]`).
 */
export function findCycles(graph: Graph): string[][] {
  const cycles: string[][] = [];
  for (const component of stronglyConnectedComponents(graph)) {
    const first = component[0];
    if (first === undefined) continue;
    const inside = new Set(component);
    if (component.length === 1 && !(graph.succ.get(first) ?? []).includes(first)) continue;
    cycles.push(cycleThrough(graph, first, inside));
  }
  return cycles.sort((a, b) => (a[0] ?? '').localeCompare(b[0] ?? ''));
}

/** A shortest cycle from `start` back to itself inside one component (breadth-first). */
function cycleThrough(graph: Graph, start: string, inside: Set<string>): string[] {
  const parent = new Map<string, string>();
  const queue = [start];
  for (let i = 0; i < queue.length; i++) {
    const n = queue[i] as string;
    for (const s of graph.succ.get(n) ?? []) {
      if (!inside.has(s)) continue;
      if (s === start) {
        const path = [n];
        for (let p = n; p !== start; ) {
          p = parent.get(p) as string;
          path.push(p);
        }
        return path.reverse();
      }
      if (!parent.has(s)) {
        parent.set(s, n);
        queue.push(s);
      }
    }
  }
  return [start];
}

/** Tarjan's algorithm, iterative (deep graphs must not overflow the stack); components sorted. */
function stronglyConnectedComponents(graph: Graph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const out: string[][] = [];
  let counter = 0;
  for (const root of graph.nodes) {
    if (index.has(root)) continue;
    const work: Array<{ node: string; next: number }> = [{ node: root, next: 0 }];
    index.set(root, counter);
    low.set(root, counter++);
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1] as { node: string; next: number };
      const succ = graph.succ.get(frame.node) ?? [];
      if (frame.next < succ.length) {
        const s = succ[frame.next++] as string;
        if (!index.has(s)) {
          index.set(s, counter);
          low.set(s, counter++);
          stack.push(s);
          onStack.add(s);
          work.push({ node: s, next: 0 });
        } else if (onStack.has(s)) {
          low.set(frame.node, Math.min(low.get(frame.node) ?? 0, index.get(s) ?? 0));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.node, Math.min(low.get(parent.node) ?? 0, low.get(frame.node) ?? 0));
      if (low.get(frame.node) === index.get(frame.node)) {
        const component: string[] = [];
        for (;;) {
          const n = stack.pop() as string;
          onStack.delete(n);
          component.push(n);
          if (n === frame.node) break;
        }
        out.push(component.sort());
      }
    }
  }
  return out;
}

/** Every node reachable from `starts` (the starts included). */
export function reachableFrom(graph: Graph, starts: Iterable<string>): Set<string> {
  return walk(starts, (n) => graph.succ.get(n) ?? []);
}

/** Every strict ancestor of `node` (nodes with a path to it). */
export function ancestors(graph: Graph, node: string): Set<string> {
  const seen = walk(graph.pred.get(node) ?? [], (n) => graph.pred.get(n) ?? []);
  return seen;
}

/** Every strict descendant of the `starts`. */
export function descendants(graph: Graph, starts: Iterable<string>): Set<string> {
  const first = [...starts].flatMap((s) => graph.succ.get(s) ?? []);
  return walk(first, (n) => graph.succ.get(n) ?? []);
}

function walk(starts: Iterable<string>, next: (n: string) => readonly string[]): Set<string> {
  const seen = new Set<string>();
  const queue = [...starts];
  while (queue.length > 0) {
    const n = queue.pop() as string;
    if (seen.has(n)) continue;
    seen.add(n);
    for (const m of next(n)) if (!seen.has(m)) queue.push(m);
  }
  return seen;
}

/**
 * Contracts the nodes in `virtual` (the `parallel`/`join` nodes, which do no work): every path
 * `u -> v1 -> ... -> vk -> w` through virtual nodes becomes an edge `u -> w`. Each contracted
 * edge remembers `via`, the original edge out of `u` it starts with (its index in `edges`), so a
 * condition's route survives. `alwaysLive` lists the real nodes reached from a virtual node that
 * has no real predecessor path (a virtual root): such a node is always live. Acyclic input only.
 */
export function contract(
  edges: readonly { from: string; to: string }[],
  virtual: ReadonlySet<string>,
): { edges: Array<{ from: string; to: string; via: number }>; alwaysLive: Set<string> } {
  const outgoing = new Map<string, number[]>();
  const incoming = new Map<string, number>();
  edges.forEach((e, i) => {
    const list = outgoing.get(e.from);
    if (list) list.push(i);
    else outgoing.set(e.from, [i]);
    incoming.set(e.to, (incoming.get(e.to) ?? 0) + 1);
  });
  const result: Array<{ from: string; to: string; via: number }> = [];
  const alwaysLive = new Set<string>();
  const realTargets = (start: string): Set<string> => {
    const targets = new Set<string>();
    const seen = new Set<string>();
    const queue = [start];
    while (queue.length > 0) {
      const n = queue.pop() as string;
      if (seen.has(n)) continue;
      seen.add(n);
      for (const i of outgoing.get(n) ?? []) {
        const to = (edges[i] as { to: string }).to;
        if (virtual.has(to)) queue.push(to);
        else targets.add(to);
      }
    }
    return targets;
  };
  edges.forEach((e, i) => {
    if (virtual.has(e.from)) {
      if ((incoming.get(e.from) ?? 0) === 0) for (const t of realTargets(e.from)) alwaysLive.add(t);
      return;
    }
    const targets = virtual.has(e.to) ? [...realTargets(e.to)].sort() : [e.to];
    for (const to of targets) result.push({ from: e.from, to, via: i });
  });
  return { edges: result, alwaysLive };
}

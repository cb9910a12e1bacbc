/**
 * The graph of one scope of a definition (the top level, or a map's body) and what a map frame derives from it
 * and the recorded node runs of one item: which nodes a condition's decision made unreachable, the outputs of
 * `parallel`/`join` nodes, the terminal nodes. Pure functions. The top level's executor reads the same facts off
 * the compiled contract (`execution-graph.ts`); a body is indexed here, per scope, because its records live in
 * the item's own partition (ARCHITECTURE.md, "Map").
 */
import type { EdgeDef, NodeDef, WorkflowDefinition } from '../definition/schema';
import type { NodeRun } from '../model/types';
import { whenRouteKey } from '../definition/route-key';

/** The definition indexed for lookups. */
export interface Graph {
  nodes: Map<string, NodeDef>;
  inEdges: Map<string, EdgeDef[]>;
  outEdges: Map<string, EdgeDef[]>;
  /** Node ids in a topological order (ties by definition order). */
  order: string[];
}

/** Indexes a definition. */
export function buildGraph(definition: WorkflowDefinition): Graph {
  const nodes = new Map(definition.nodes.map((n) => [n.id, n] as const));
  const inEdges = new Map<string, EdgeDef[]>(definition.nodes.map((n) => [n.id, []]));
  const outEdges = new Map<string, EdgeDef[]>(definition.nodes.map((n) => [n.id, []]));
  for (const edge of definition.edges) {
    inEdges.get(edge.to)?.push(edge);
    outEdges.get(edge.from)?.push(edge);
  }
  const indegree = new Map(definition.nodes.map((n) => [n.id, inEdges.get(n.id)?.length ?? 0] as const));
  const queue = definition.nodes.filter((n) => indegree.get(n.id) === 0).map((n) => n.id);
  const order: string[] = [];
  while (queue.length > 0) {
    const id = queue.shift()!;
    order.push(id);
    for (const edge of outEdges.get(id) ?? []) {
      const left = (indegree.get(edge.to) ?? 0) - 1;
      indegree.set(edge.to, left);
      if (left === 0) queue.push(edge.to);
    }
  }
  return { nodes, inEdges, outEdges, order };
}

/** True for node types that do no work (`parallel`, `join`). */
export function isVirtual(node: NodeDef | undefined): boolean {
  return node?.type === 'parallel' || node?.type === 'join';
}

/** The route key an edge out of a condition carries. */
export function edgeRouteKey(edge: EdgeDef): string | undefined {
  if (edge.when !== undefined) return whenRouteKey(edge.when);
  if (edge.default === true) return 'default';
  return undefined;
}

/**
 * Nodes that can no longer run given the recorded node runs: a node is dead when it has incoming edges and
 * every one is dead; an edge is dead when its source is dead or skipped, or its source is a condition that
 * decided another route (or failed).
 */
export function deadNodes(graph: Graph, runs: ReadonlyMap<string, NodeRun>): Set<string> {
  const dead = new Set<string>();
  for (const id of graph.order) {
    const run = runs.get(id);
    if (run?.status === 'skipped') {
      dead.add(id);
      continue;
    }
    const incoming = graph.inEdges.get(id) ?? [];
    if (incoming.length > 0 && incoming.every((edge) => edgeDead(graph, runs, dead, edge))) dead.add(id);
  }
  return dead;
}

function edgeDead(graph: Graph, runs: ReadonlyMap<string, NodeRun>, dead: Set<string>, edge: EdgeDef): boolean {
  if (dead.has(edge.from)) return true;
  const source = graph.nodes.get(edge.from);
  if (source?.type !== 'condition') return false;
  const run = runs.get(edge.from);
  if (run?.status === 'failed') return true;
  if (run?.status !== 'succeeded') return false;
  const key = edgeRouteKey(edge);
  return key !== undefined && key !== conditionRoute(run);
}

/** The route a succeeded condition chose (its output is `{ value, route }`). */
export function conditionRoute(run: NodeRun | undefined): string | undefined {
  const output = run?.output as { route?: unknown } | undefined;
  return typeof output?.route === 'string' ? output.route : undefined;
}

/**
 * The output of a `parallel`/`join` node: a map of its succeeded predecessors' outputs by node id (resolving
 * virtual predecessors the same way); a `join` with `mode: any` keeps only the first predecessor to finish.
 */
export function virtualOutput(graph: Graph, runs: ReadonlyMap<string, NodeRun>, nodeId: string): Record<string, unknown> {
  const node = graph.nodes.get(nodeId);
  const finished: { id: string; output: unknown; endedAt: string }[] = [];
  for (const edge of graph.inEdges.get(nodeId) ?? []) {
    const pred = graph.nodes.get(edge.from);
    const run = runs.get(edge.from);
    if (isVirtual(pred)) {
      if (run?.status === 'skipped') continue;
      finished.push({ id: edge.from, output: virtualOutput(graph, runs, edge.from), endedAt: run?.endedAt ?? '' });
    } else if (run?.status === 'succeeded') {
      finished.push({ id: edge.from, output: run.output ?? null, endedAt: run.endedAt ?? '' });
    }
  }
  if (node?.type === 'join' && node.mode === 'any' && finished.length > 0) {
    finished.sort((a, b) => a.endedAt.localeCompare(b.endedAt));
    const first = finished[0]!;
    return { [first.id]: first.output };
  }
  return Object.fromEntries(finished.map((f) => [f.id, f.output]));
}

/** The virtual nodes that must be recorded before `nodeId` starts: its virtual ancestors through virtual nodes. */
export function virtualAncestors(graph: Graph, nodeId: string): string[] {
  const found = new Set<string>();
  const visit = (id: string): void => {
    for (const edge of graph.inEdges.get(id) ?? []) {
      if (isVirtual(graph.nodes.get(edge.from)) && !found.has(edge.from)) {
        found.add(edge.from);
        visit(edge.from);
      }
    }
  };
  visit(nodeId);
  return graph.order.filter((id) => found.has(id));
}

/** Nodes with no outgoing edge: their outputs make the run's output. */
export function terminalNodes(graph: Graph): string[] {
  return graph.order.filter((id) => (graph.outEdges.get(id)?.length ?? 0) === 0);
}

/** The outputs bindings see: succeeded nodes' outputs, and virtual nodes' outputs derived as above. */
export function bindingOutputs(graph: Graph, runs: ReadonlyMap<string, NodeRun>): Record<string, unknown> {
  const outputs: Record<string, unknown> = {};
  const dead = deadNodes(graph, runs);
  for (const id of graph.order) {
    const run = runs.get(id);
    if (isVirtual(graph.nodes.get(id))) {
      if (!dead.has(id)) outputs[id] = virtualOutput(graph, runs, id);
    } else if (run?.status === 'succeeded') outputs[id] = run.output ?? null;
  }
  return outputs;
}

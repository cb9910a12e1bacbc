/**
 * Where each node of a definition lives: the top level, or the body of a `map` (ARCHITECTURE.md, "Map"). Node ids
 * are unique across bodies, so a node id alone names its scope; an item path (`"3"`, `"3.5"` for item 5 of a map
 * inside item 3 of another) names one iteration. Pure functions.
 */
import type { MapNodeDef, NodeDef, WorkflowDefinition } from '../definition/schema';
import { buildGraph, type Graph } from './scope-graph';

/** One scope: the top level or a map body, indexed like a workflow. */
export interface ScopeInfo {
  /** The map whose body this is; undefined at the top level. */
  mapId?: string;
  graph: Graph;
}

/** Every scope of a definition and the scope of every node. */
export interface ScopeIndex {
  /** The top level. */
  top: ScopeInfo;
  /** Body scopes by map id. */
  bodies: Map<string, ScopeInfo>;
  /** Every node (bodies included) by id, with the map it sits in (undefined at the top level). */
  nodes: Map<string, { node: NodeDef; mapId?: string }>;
}

/** Indexes a definition's scopes. */
export function buildScopeIndex(definition: WorkflowDefinition, top: Graph = buildGraph(definition)): ScopeIndex {
  const index: ScopeIndex = { top: { graph: top }, bodies: new Map(), nodes: new Map() };
  const visit = (nodes: readonly NodeDef[], mapId: string | undefined): void => {
    for (const node of nodes) {
      index.nodes.set(node.id, { node, ...(mapId !== undefined ? { mapId } : {}) });
      if (node.type !== 'map') continue;
      index.bodies.set(node.id, { mapId: node.id, graph: buildGraph({ ...definition, nodes: node.body.nodes, edges: node.body.edges }) });
      visit(node.body.nodes, node.id);
    }
  };
  visit(definition.nodes, undefined);
  return index;
}

/** The scope a node sits in. */
export function scopeOf(index: ScopeIndex, nodeId: string): ScopeInfo | undefined {
  const entry = index.nodes.get(nodeId);
  if (!entry) return undefined;
  return entry.mapId === undefined ? index.top : index.bodies.get(entry.mapId);
}

/** The maps enclosing a node, innermost first. */
export function enclosingMaps(index: ScopeIndex, nodeId: string): MapNodeDef[] {
  const out: MapNodeDef[] = [];
  let mapId = index.nodes.get(nodeId)?.mapId;
  while (mapId !== undefined) {
    const entry = index.nodes.get(mapId);
    if (!entry || entry.node.type !== 'map') break;
    out.push(entry.node);
    mapId = entry.mapId;
  }
  return out;
}

/** An item path's parts: `"3.5"` → `[3, 5]`. */
export function pathParts(path: string): number[] {
  return path.split('.').map(Number);
}

/** The path of the enclosing item (`"3.5"` → `"3"`, `"3"` → undefined). */
export function parentPath(path: string | undefined): string | undefined {
  if (path === undefined) return undefined;
  const at = path.lastIndexOf('.');
  return at < 0 ? undefined : path.slice(0, at);
}

/** The item's own index: the last part of its path. */
export function itemIndex(path: string): number {
  return Number(path.slice(path.lastIndexOf('.') + 1));
}

/** The paths of a map's items given the enclosing item path: `"0"…"n-1"`, or `"<parent>.0"…`. */
export function itemPaths(parent: string | undefined, count: number): string[] {
  return Array.from({ length: count }, (_, i) => (parent === undefined ? String(i) : `${parent}.${i}`));
}

export { ITEM_PATH_PATTERN } from '../contract/task-payload';

/** A map node's output: `results` in item order, one entry per item (`null` when it failed), and the failures. */
export interface MapOutput {
  results: unknown[];
  failed: Array<{ index: number; error: unknown }>;
}

/**
 * The output of one item: the output of the body's terminal node, or an object keyed by terminal node id when there
 * are several (succeeded ones only); `null` when every terminal node was skipped.
 */
export function itemOutput(body: Graph, outputs: ReadonlyMap<string, { status: string; output?: unknown }>): unknown {
  const terminals = body.order.filter((id) => (body.outEdges.get(id)?.length ?? 0) === 0);
  if (terminals.length === 1) {
    const run = outputs.get(terminals[0]!);
    return run?.status === 'succeeded' ? (run.output ?? null) : null;
  }
  const out: Record<string, unknown> = {};
  for (const id of terminals) {
    const run = outputs.get(id);
    if (run?.status === 'succeeded') out[id] = run.output ?? null;
  }
  return Object.keys(out).length === 0 ? null : out;
}

/**
 * Where one task of the executor runs: the run, and for a node of a map body the item (its path) whose records it
 * writes. A frame names the store partition of the node's records, the graph of its scope, and how its events and
 * transition keys carry the item (ARCHITECTURE.md, "Map").
 */
import { ERROR_NAMES } from '../contract/error-names';
import { BraidError } from '../errors';
import { findBindings, parseExpression } from '../definition/bindings';
import type { NodeDef } from '../definition/schema';
import type { NodeRun } from '../model/types';
import type { NewRunEvent } from '../store/events';
import { partitionRunId } from '../store/map-items';
import { record, type LoadedRun, type RunStores } from './execution-context';
import { bindingOutputs, type Graph } from './scope-graph';
import { enclosingMaps, itemIndex, pathParts, scopeOf } from './map-scope';

/** The place of one task. */
export interface Frame {
  runId: string;
  /** The partition's run id (`partitionRunId`): the run's own, or the item's. */
  rk: string;
  /** The item path inside a map body. */
  item?: string;
  /** The graph of the node's scope. */
  graph: Graph;
}

/** The task names an item that does not fit the node's place (a programming or contract error; not retried). */
export class FrameMismatchError extends BraidError {
  constructor(message: string) {
    super('frame_mismatch', message);
    this.name = ERROR_NAMES.invalidEvent;
  }
}

/** The frame of `nodeId` at `item`; the item path must have one part per enclosing map. */
export function frameOf(loaded: LoadedRun, nodeId: string, item: string | undefined): { frame: Frame; node: NodeDef } {
  const entry = loaded.scopes.nodes.get(nodeId);
  const scope = scopeOf(loaded.scopes, nodeId);
  if (!entry || !scope) throw new BraidError('unknown_node', `run ${loaded.run.runId} has no node ${nodeId}`);
  const depth = enclosingMaps(loaded.scopes, nodeId).length;
  if ((item === undefined ? 0 : pathParts(item).length) !== depth) {
    throw new FrameMismatchError(`node ${nodeId} sits ${depth} map(s) deep; the task named item ${item ?? '(none)'}`);
  }
  return { frame: { runId: loaded.run.runId, rk: partitionRunId(loaded.run.runId, item), ...(item !== undefined ? { item } : {}), graph: scope.graph }, node: entry.node };
}

export { itemFields, keyOf, recordAllAt, recordAt } from './execution-keys';

/**
 * What a node's bindings see at its frame: `$context` is passed apart; here the outputs of every enclosing scope's
 * nodes (the top level, then each enclosing item's body), the frame's own nodes, and inside a body `$item` and `$index`.
 */
export async function frameOutputs(stores: RunStores, loaded: LoadedRun, nodeId: string, frame: Frame, runs: ReadonlyMap<string, NodeRun>): Promise<Record<string, unknown>> {
  if (frame.item === undefined) return bindingOutputs(frame.graph, runs);
  const maps = enclosingMaps(loaded.scopes, nodeId); // innermost first
  const parts = pathParts(frame.item);
  const outputs: Record<string, unknown> = {};
  const reads = referencesOf(loaded.scopes.nodes.get(nodeId)?.node, new Set(loaded.scopes.nodes.keys()));
  // maps[k] sits in the scope whose item path has parts.length - 1 - k parts (the top level for the outermost).
  // A scope none of whose nodes the bindings read is not listed (most bodies read only their item).
  const levels = await Promise.all(maps.map(async (map, k) => {
    const scope = scopeOf(loaded.scopes, map.id)!;
    if (reads !== undefined && !scope.graph.order.some((id) => reads.has(id))) return {};
    const path = parts.length - 1 - k === 0 ? undefined : parts.slice(0, parts.length - 1 - k).join('.');
    return bindingOutputs(scope.graph, await stores.nodeRuns.list(partitionRunId(loaded.run.runId, path)));
  }));
  for (const level of levels.reverse()) Object.assign(outputs, level);
  Object.assign(outputs, bindingOutputs(frame.graph, runs));
  const innermost = maps[0]!;
  const parent = parts.length === 1 ? undefined : parts.slice(0, -1).join('.');
  const stored = await stores.items.getValue(partitionRunId(loaded.run.runId, parent), innermost.id, parts.at(-1)!);
  outputs.item = stored?.value ?? null;
  outputs.index = parts.at(-1)!;
  return outputs;
}

/** The variables a node's bindings and expression read; `undefined` when one does not parse (read everything). */
export function referencesOf(node: NodeDef | undefined, ids: ReadonlySet<string>): Set<string> | undefined {
  if (!node) return undefined;
  const expressions = [
    ...('inputs' in node && node.inputs ? findBindings(node.inputs).map((b) => b.expression) : []),
    ...(node.type === 'condition' ? [node.expression] : []),
    ...(node.type === 'map' ? [node.items] : []),
  ];
  const refs = new Set<string>();
  for (const expression of expressions) {
    const parsed = parseExpression(expression, ids);
    if (!parsed.ok) return undefined;
    for (const r of parsed.references) refs.add(r);
  }
  return refs;
}

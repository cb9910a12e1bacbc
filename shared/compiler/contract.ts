/**
 * Builds the workflow contract (`shared/contract/node-contract.ts`) from a plan: the data the ASL was
 * rendered from, for the executor to interpret. Pure and deterministic, like the rest of the compiler.
 */
import { buildGraph, kahnLevels } from '../definition/graph';
import { routeKey } from '../definition/route-key';
import type { WorkflowDefinition } from '../definition/schema';
import { CONTRACT_FORMAT, type NodeContract, type VirtualNodeContract, type WorkflowContract } from '../contract/node-contract';
import { planNodes } from './plan-nodes';
import type { ExecutionPlan } from './plan-types';

/** The contract of a validated definition and its plan. */
export function buildContract(def: WorkflowDefinition, plan: Pick<ExecutionPlan, 'nodes' | 'liveness'>): WorkflowContract {
  const graph = buildGraph(def.nodes.map((n) => n.id), def.edges);
  const order = kahnLevels(graph).flat();
  const virtual = new Set(def.nodes.filter((n) => n.type === 'parallel' || n.type === 'join').map((n) => n.id));
  const byId = new Map(def.nodes.map((n) => [n.id, n]));
  const nodes: Record<string, NodeContract | VirtualNodeContract> = {};
  for (const id of order) {
    const node = byId.get(id);
    const live = plan.liveness.get(id) ?? 'always';
    if (node?.type === 'parallel' || node?.type === 'join') {
      nodes[id] = { type: node.type, mode: node.type === 'join' ? (node.mode ?? 'all') : 'all', predecessors: graph.pred.get(id) ?? [], live };
      continue;
    }
    const planned = plan.nodes.get(id);
    if (!planned) continue;
    const routeKeys = planned.type === 'condition'
      ? [...new Set(def.edges.filter((e) => e.from === id).map((e) => routeKey(e)))].sort()
      : undefined;
    nodes[id] = {
      type: planned.type,
      retriers: planned.retriers.map((r) => ({ ...r, errorEquals: [...r.errorEquals] })),
      timeoutSeconds: planned.timeoutSeconds,
      onError: planned.onError,
      tracked: planned.tracked,
      live,
      ...(routeKeys ? { routeKeys } : {}),
      settles: virtualAncestors(graph.pred, virtual, id, order),
    };
  }
  const terminal = order.filter((id) => (graph.succ.get(id) ?? []).length === 0);
  return { format: CONTRACT_FORMAT, order, nodes, terminal };
}

/** The virtual nodes reached backwards from `id` through virtual nodes only, in `order`. */
function virtualAncestors(pred: ReadonlyMap<string, string[]>, virtual: ReadonlySet<string>, id: string, order: readonly string[]): string[] {
  const found = new Set<string>();
  const queue = (pred.get(id) ?? []).filter((p) => virtual.has(p));
  while (queue.length > 0) {
    const v = queue.pop() as string;
    if (found.has(v)) continue;
    found.add(v);
    for (const p of pred.get(v) ?? []) if (virtual.has(p) && !found.has(p)) queue.push(p);
  }
  return order.filter((n) => found.has(n));
}

/**
 * The contract of a definition stored before contracts existed. It was validated when it was published, so
 * this skips the validator (and the JSONata parser it needs), which keeps it out of the functions that only
 * load runs. The contract does not depend on the strategy.
 */
export function contractOfStoredDefinition(def: WorkflowDefinition): WorkflowContract {
  return buildContract(def, planNodes(def));
}

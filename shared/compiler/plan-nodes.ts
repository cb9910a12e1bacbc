/**
 * The node half of a plan, strategy-independent: which executable nodes are tracked, when each node is live
 * (`liveness.ts`), and each node's settings resolved against the workflow defaults (timeout, retriers,
 * `onError`). `plan.ts` arranges these nodes in time; the contract (`contract.ts`) is built from them.
 */
import { DEFAULT_TIMEOUT_SECONDS, EXECUTABLE_TYPES, type NodeDef, type RetryPolicy, type WorkflowDefinition } from '../definition/schema';
import { buildGraph, descendants } from '../definition/graph';
import type { Liveness } from '../contract/node-contract';
import { nodeRetrier, serviceRetrier } from '../contract/retriers';
import { livenessOf } from './liveness';
import type { PlannedNode } from './plan-types';

/** The executable nodes by id, every node's liveness, and the `parallel`/`join` node ids. */
export function planNodes(def: WorkflowDefinition): { nodes: Map<string, PlannedNode>; liveness: Map<string, Liveness>; virtual: Set<string> } {
  const executable = def.nodes.filter((n) => (EXECUTABLE_TYPES as readonly string[]).includes(n.type));
  const virtual = new Set(def.nodes.filter((n) => !(EXECUTABLE_TYPES as readonly string[]).includes(n.type)).map((n) => n.id));
  const fullGraph = buildGraph(def.nodes.map((n) => n.id), def.edges);
  const conditionIds = def.nodes.filter((n) => n.type === 'condition').map((n) => n.id);
  const downstreamOfCondition = descendants(fullGraph, conditionIds);
  const tracked = new Set([...conditionIds, ...downstreamOfCondition].filter((id) => !virtual.has(id)));
  const liveness = livenessOf(def, tracked, virtual);
  const nodes = new Map<string, PlannedNode>();
  for (const n of executable) {
    nodes.set(n.id, {
      id: n.id,
      type: n.type as PlannedNode['type'],
      tracked: tracked.has(n.id),
      live: liveness.get(n.id) ?? 'always',
      ...settings(n, def),
      ...budgetModeOf(n.type, def),
    });
  }
  return { nodes, liveness, virtual };
}

/** The budget mode of a node: set on `agent_call` nodes of workflows that declare a budget policy. */
export function budgetModeOf(type: string, def: WorkflowDefinition): Pick<PlannedNode, 'budget'> {
  if (type !== 'agent_call' || (def.budget === undefined && def.onBudgetExceeded === undefined)) return {};
  return { budget: def.onBudgetExceeded ?? 'fail' };
}

function settings(n: NodeDef, def: WorkflowDefinition): Pick<PlannedNode, 'timeoutSeconds' | 'retriers' | 'onError'> {
  const d = def.defaults ?? {};
  const own = n as { timeoutSeconds?: number; retry?: RetryPolicy; onError?: 'fail' | 'continue' };
  // A map's own timeout bounds its items (enforced by the executor); its tasks take the default.
  const timeoutSeconds =
    n.type === 'map' ? DEFAULT_TIMEOUT_SECONDS
    : n.type === 'human_gate' ? (own.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) : (own.timeoutSeconds ?? d.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS);
  // Retries belong to a map's body nodes: a Retry on the Map would rerun every item, succeeded ones included.
  // A workflow_call takes no retry either: another attempt would be another child run.
  const policy = n.type === 'human_gate' || n.type === 'map' || n.type === 'workflow_call' ? undefined : (own.retry ?? d.retry);
  const onError = own.onError ?? d.onError ?? 'fail';
  const nodeOwn = policy && nodeRetrier({
    maxAttempts: policy.maxAttempts ?? 1,
    intervalSeconds: policy.intervalSeconds ?? 1,
    backoffRate: policy.backoffRate ?? 2,
    ...(policy.maxDelaySeconds !== undefined ? { maxDelaySeconds: policy.maxDelaySeconds } : {}),
    ...(policy.jitter !== undefined ? { jitter: policy.jitter } : {}),
  });
  return { timeoutSeconds, onError, retriers: nodeOwn ? [serviceRetrier(), nodeOwn] : [serviceRetrier()] };
}

/**
 * The plan step of the compiler: from a validated definition to an execution plan that says which
 * node runs when (a tree of sequences and parallel blocks), which nodes are tracked in the `r`
 * routing record, and when each node is live. Rendering ASL from a plan is `render.ts`; a strategy
 * only changes the tree (`levels`, or `critical-path` nesting: `plan-cp-strategy.ts`).
 */
import { budgetModeOf } from './budget-states';
import { routeKey } from '../definition/route-key';
import {
  DEFAULT_TIMEOUT_SECONDS,
  EXECUTABLE_TYPES,
  type NodeDef,
  type RetryPolicy,
  type WorkflowDefinition,
} from '../definition/schema';
import { buildGraph, contract, descendants, kahnLevels } from '../definition/graph';
import type { LiveTest, Liveness } from '../contract/node-contract';
import { nodeRetrier, serviceRetrier, type RetrierContract } from '../contract/retriers';
import { livenessOf } from './liveness';
import { carriedRoutes } from './plan-carry';
import { criticalPathSteps } from './plan-cp-strategy';
import type { DurationHistory } from './plan-weights';

/**
 * How the plan arranges nodes in time: `levels` (one Parallel per Kahn level) or `critical-path`
 * (Parallels nested along the DAG's series-parallel structure, `plan-cp-strategy.ts`).
 */
export type PlanStrategy = 'levels' | 'critical-path';

export type { LiveTest, Liveness };

/** One executable node, with its settings resolved against the workflow defaults. */
export interface PlannedNode {
  id: string;
  type: 'agent_call' | 'tool_call' | 'human_gate' | 'condition';
  /** Writes its route into `r` (conditions and everything downstream of a condition). */
  tracked: boolean;
  /** `always`, or the tests of which at least one must hold for the node to run (else it is skipped). */
  live: Liveness;
  timeoutSeconds: number;
  /** The Task's retriers in ASL order: the service retrier, then the node's own when it retries (`maxAttempts` > 1). */
  retriers: RetrierContract[];
  onError: 'fail' | 'continue';
  /** For an `agent_call` of a workflow with a budget policy: what running over budget does. */
  budget?: 'fail' | 'gate';
}

/** A step of a plan: one node, or a block of branches that run at the same time. */
export type PlanStep = { kind: 'node'; id: string } | { kind: 'parallel'; name: string; branches: PlanStep[][] };

/** An execution plan. */
export interface ExecutionPlan {
  strategy: PlanStrategy;
  /** The executable nodes by id. */
  nodes: Map<string, PlannedNode>;
  /** Liveness of every node, `parallel`/`join` included (`liveness.ts`). */
  liveness: Map<string, Liveness>;
  /** Levels of the contracted graph (executable node ids, sorted within a level). */
  levels: string[][];
  /** The top-level sequence of steps. */
  steps: PlanStep[];
  /**
   * The routes each Parallel carries (by state name), when the strategy prunes them
   * (`plan-carry.ts`, only for very large tracked workflows); absent: every route decided so far.
   */
  carry?: Map<string, string[]>;
}

export { routeKey };

/** Plans a validated definition with the given strategy. */
export function planWorkflow(def: WorkflowDefinition, strategy: PlanStrategy = 'levels', history?: DurationHistory): ExecutionPlan {
  const executable = def.nodes.filter((n) => (EXECUTABLE_TYPES as readonly string[]).includes(n.type));
  const virtual = new Set(def.nodes.filter((n) => !(EXECUTABLE_TYPES as readonly string[]).includes(n.type)).map((n) => n.id));
  const fullGraph = buildGraph(def.nodes.map((n) => n.id), def.edges);
  const conditionIds = def.nodes.filter((n) => n.type === 'condition').map((n) => n.id);
  const downstreamOfCondition = descendants(fullGraph, conditionIds);
  const tracked = new Set([...conditionIds, ...downstreamOfCondition].filter((id) => !virtual.has(id)));
  const liveness = livenessOf(def, tracked, virtual);
  const contracted = contract(def.edges, virtual);

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
  const graph = buildGraph(nodes.keys(), contracted.edges);
  const levels = kahnLevels(graph);
  if (strategy === 'critical-path') {
    const steps = criticalPathSteps(def, graph, levelSteps(levels), history).steps;
    const carry = carriedRoutes({ nodes, steps });
    return { strategy, nodes, liveness, levels, steps, ...(carry ? { carry } : {}) };
  }
  return { strategy, nodes, liveness, levels, steps: levelSteps(levels) };
}

/** The `levels` strategy: a level of one node is that node; a level of several is a Parallel. */
function levelSteps(levels: string[][]): PlanStep[] {
  return levels.map((level, n) =>
    level.length === 1
      ? { kind: 'node', id: level[0] as string }
      : { kind: 'parallel', name: `level:${n}`, branches: level.map((id) => [{ kind: 'node', id }]) },
  );
}

function settings(n: NodeDef, def: WorkflowDefinition): Pick<PlannedNode, 'timeoutSeconds' | 'retriers' | 'onError'> {
  const d = def.defaults ?? {};
  const own = n as { timeoutSeconds?: number; retry?: RetryPolicy; onError?: 'fail' | 'continue' };
  const timeoutSeconds =
    n.type === 'human_gate' ? (own.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) : (own.timeoutSeconds ?? d.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS);
  const policy = n.type === 'human_gate' ? undefined : (own.retry ?? d.retry);
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

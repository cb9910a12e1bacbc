/**
 * The plan step of the compiler: from a validated definition to an execution plan that says which
 * node runs when (a tree of sequences and parallel blocks), which nodes are tracked in the `r`
 * routing record, and when each node is live. Rendering ASL from a plan is `render.ts`; a strategy
 * only changes the tree (`levels`, or `critical-path` nesting: `plan-cp-strategy.ts`).
 */
import { routeKey } from '../definition/route-key';
import {
  DEFAULT_TIMEOUT_SECONDS,
  EXECUTABLE_TYPES,
  type NodeDef,
  type RetryPolicy,
  type WorkflowDefinition,
} from '../definition/schema';
import { buildGraph, contract, descendants, kahnLevels } from '../definition/graph';
import { nodeRetrier, serviceRetrier } from '../contract/retriers';
import { planNodes } from './plan-nodes';
import { carriedRoutes } from './plan-carry';
import { criticalPathSteps } from './plan-cp-strategy';
import type { DurationHistory } from './plan-weights';

export type { ExecutionPlan, LiveTest, Liveness, PlanStep, PlanStrategy, PlannedNode } from './plan-types';
import type { ExecutionPlan, PlanStep, PlanStrategy, PlannedNode } from './plan-types';

export { routeKey };

/** Plans a validated definition with the given strategy. */
export function planWorkflow(def: WorkflowDefinition, strategy: PlanStrategy = 'levels', history?: DurationHistory): ExecutionPlan {
  const { nodes, liveness, virtual } = planNodes(def);
  const contracted = contract(def.edges, virtual);
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

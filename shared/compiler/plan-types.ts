/**
 * The types of an execution plan (what `plan.ts` produces and the strategies, the carry pruning, the simulator
 * and the renderer read), in their own file so the plan modules do not import each other in a circle.
 */
import type { LiveTest, Liveness } from '../contract/node-contract';
import type { RetrierContract } from '../contract/retriers';

/**
 * How the plan arranges nodes in time: `levels` (one Parallel per Kahn level) or `critical-path`
 * (Parallels nested along the DAG's series-parallel structure, `plan-cp-strategy.ts`).
 */
export type PlanStrategy = 'levels' | 'critical-path';

export type { LiveTest, Liveness };

/** One executable node, with its settings resolved against the workflow defaults. */
export interface PlannedNode {
  id: string;
  type: 'agent_call' | 'tool_call' | 'human_gate' | 'condition' | 'map' | 'workflow_call';
  /** Writes its route into `r` (conditions and everything downstream of a condition). */
  tracked: boolean;
  /** `always`, or the tests of which at least one must hold for the node to run (else it is skipped). */
  live: Liveness;
  timeoutSeconds: number;
  /** The Task's retriers in ASL order: the service retrier, then the node's own when it retries (`maxAttempts` > 1). */
  retriers: RetrierContract[];
  onError: 'fail' | 'continue';
  /** A map node's body plan and how its iterations run (`plan-map.ts`). */
  map?: import('./plan-map').PlannedMap;
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


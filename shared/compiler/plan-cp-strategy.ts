/**
 * The `critical-path` strategy as the plan step uses it: weighs the nodes, plans them with
 * `planCriticalPath`, and keeps whichever candidate plan is fastest under those weights, `levels`
 * included, so the strategy never plans slower than `levels` by its own estimate.
 *
 * - Equal weights (no hint, no history): one plan whose cuts all agree with Kahn levels. It orders
 *   no pair of nodes that `levels` leaves unordered, so it is never slower than `levels` whatever
 *   the real durations, and exact wherever the DAG is series-parallel.
 * - Weights from hints or history: the unrestricted plan and the level-agreeing plan are both made;
 *   the faster under the weights wins (ties go to the level-agreeing one, which is safe if the hints
 *   are wrong).
 */
import type { Graph } from '../definition/graph';
import type { WorkflowDefinition } from '../definition/schema';
import { indexDag } from './critical-path';
import type { PlanStep } from './plan-types';
import { planCriticalPath } from './plan-critical-path';
import { simulatePlan } from './plan-simulate';
import { nodeWeights, type DurationHistory, type WeightSource } from './plan-weights';

/** The steps the critical-path strategy chose and why. */
export interface CriticalPathChoice {
  steps: PlanStep[];
  /** Where the weights came from. */
  weights: WeightSource;
  /** Which candidate won: the unrestricted plan, the level-agreeing plan, or plain levels. */
  chosen: 'critical-path' | 'critical-path-levels' | 'levels';
  /** Estimated makespan of the chosen plan under the weights. */
  estimatedSeconds: number;
}

/**
 * Plans the contracted graph of executable nodes with the critical-path strategy.
 * `levelSteps` is the `levels` plan of the same graph, the fallback.
 */
export function criticalPathSteps(def: WorkflowDefinition, graph: Graph, levelSteps: PlanStep[], history?: DurationHistory): CriticalPathChoice {
  const dag = indexDag(graph);
  const { weight, source } = nodeWeights(def, dag.ids, history);
  const w = dag.ids.map((id) => weight.get(id) as number);
  const duration = (id: string) => weight.get(id) as number;
  const candidates: Array<{ chosen: CriticalPathChoice['chosen']; steps: PlanStep[] }> = [
    { chosen: 'critical-path-levels', steps: planCriticalPath(dag, w, { respectLevels: true }) },
  ];
  if (source !== 'equal') candidates.push({ chosen: 'critical-path', steps: planCriticalPath(dag, w, { respectLevels: false }) });
  candidates.push({ chosen: 'levels', steps: levelSteps });
  let best: CriticalPathChoice | undefined;
  for (const c of candidates) {
    const span = simulatePlan(c.steps, duration);
    if (!best || span < best.estimatedSeconds * (1 - 1e-9)) best = { steps: c.steps, weights: source, chosen: c.chosen, estimatedSeconds: span };
  }
  return best as CriticalPathChoice;
}

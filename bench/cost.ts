/**
 * Benchmarks (2) and (3): what a run costs on Step Functions and how large a workflow can be, and
 * how long the compiler takes on very large DAGs. Both use the compiler's plan and render steps
 * directly (definition validation caps users at 500 nodes; the compiler itself does not).
 */
import { estimate, SFN_LIMITS } from '../shared/compiler/estimate';
import { planWorkflow, type ExecutionPlan, type PlanStep } from '../shared/compiler/plan';
import { renderAsl } from '../shared/compiler/render';
import type { WorkflowDefinition } from '../shared/definition/schema';
import { dagWorkflow, randomDag, randomDurations, type DagShape } from './dags';
import { median } from './stats';
import type { Variant } from './scheduling';

/** State transitions and history events of one run where every node runs once and succeeds. */
export function nominalCost(plan: ExecutionPlan): { transitions: number; events: number } {
  // ExecutionStarted/Succeeded; the finalize Task: Entered, Scheduled, Started, Succeeded, Exited.
  let transitions = 1;
  let events = 2 + 5;
  const visit = (steps: readonly PlanStep[]): void => {
    for (const step of steps) {
      if (step.kind === 'parallel') {
        transitions += 1;
        events += 4; // ParallelStateEntered, Started, Succeeded, Exited
        step.branches.forEach(visit);
        continue;
      }
      const node = plan.nodes.get(step.id);
      transitions += 1;
      events += 5;
      if (node?.tracked && node.live !== 'always') {
        transitions += 1; // its :route Choice
        events += 2;
      }
    }
  };
  visit(plan.steps);
  return { transitions, events };
}

/** Plans and renders a definition with a variant's strategy, without validation. */
export function compileDirect(def: WorkflowDefinition, variant: Variant) {
  const plan = planWorkflow(def, variant === 'levels' ? 'levels' : 'critical-path');
  const asl = renderAsl(plan, { executorArn: 'arn:aws:lambda:us-east-1:123456789012:function:braid-executor', comment: `Braid workflow "${def.name}" (${plan.strategy})` });
  return { plan, asl, estimates: estimate(plan, asl) };
}

/**
 * A layered DAG of `n` tool nodes; with `tracked`, a condition feeds every root, so every node is
 * tracked (writes its route into `r`) and the Parallels carry the routes.
 */
export function sizedWorkflow(n: number, variant: Variant, tracked: boolean, shape: DagShape = 'layered'): WorkflowDefinition {
  const dag = randomDag(shape, n, 42);
  const def = dagWorkflow(dag, variant === 'critical-path+hints' ? randomDurations(dag.ids, 'lognormal', 42) : undefined);
  if (!tracked) return def;
  const hasParent = new Set(dag.edges.map((e) => e.to));
  return {
    ...def,
    nodes: [{ id: 'route', type: 'condition', expression: 'true' } as WorkflowDefinition['nodes'][number], ...def.nodes],
    edges: [...dag.ids.filter((id) => !hasParent.has(id)).map((id) => ({ from: 'route', to: id, when: true })), ...def.edges],
  };
}

/** The largest `n` whose worst-case history and definition fit Step Functions' limits (binary search). */
export function largestFitting(variant: Variant, tracked: boolean): { nodes: number; limitedBy: 'history' | 'definition' } {
  const fits = (n: number) => {
    const { estimates } = compileDirect(sizedWorkflow(n, variant, tracked), variant);
    if (estimates.historyEvents > SFN_LIMITS.maxHistoryEvents) return 'history' as const;
    if (estimates.definitionBytes > SFN_LIMITS.maxDefinitionBytes) return 'definition' as const;
    return undefined;
  };
  let lo = 10;
  let hi = 4_000;
  let limitedBy: 'history' | 'definition' = 'history';
  const atHi = fits(hi);
  if (atHi) limitedBy = atHi;
  while (hi - lo > 5) {
    const mid = Math.floor((lo + hi) / 2);
    const over = fits(mid);
    if (over) {
      hi = mid;
      limitedBy = over;
    } else lo = mid;
  }
  return { nodes: lo, limitedBy };
}

/** Median compile time (plan + render + estimate) in ms over `repeats` runs in this process. */
export function compileTime(n: number, variant: Variant, repeats: number, shape: DagShape = 'layered'): { medianMs: number; bytes: number } {
  const def = sizedWorkflow(n, variant, false, shape);
  compileDirect(def, variant); // warm-up
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    const { estimates } = compileDirect(def, variant);
    times.push(performance.now() - t0);
    bytes = estimates.definitionBytes;
  }
  return { medianMs: median(times), bytes };
}

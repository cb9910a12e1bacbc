/**
 * Re-planning a published version with learned node durations: plan it again with the new weights and keep the
 * new plan only when, under those weights, it is predicted to finish at least `minGain` sooner than the plan the
 * version runs today. Only the nesting changes: the node contract is the same, and every state other than the
 * Parallels is the same with the same settings (`aslMinusNesting`); `replanWorkflow` refuses a plan that differs.
 */
import type { WorkflowDefinition } from '../definition/schema';
import type { AslState, AslStateMachine } from './asl-types';
import { compileWorkflow, type CompiledWorkflow } from './compile';
import { planWorkflow } from './plan';
import { simulatePlan } from './plan-simulate';
import { nodeWeights, type DurationHistory } from './plan-weights';

/** Smallest predicted gain worth a new state machine version. */
export const MIN_REPLAN_GAIN = 0.05;

/** Input of `replanWorkflow`. */
export interface ReplanInput {
  definition: WorkflowDefinition;
  executorArn: string;
  /** The weights the running plan was made with (absent: none, hints only). */
  current?: DurationHistory;
  /** The learned durations. */
  learned: DurationHistory;
  /** @default MIN_REPLAN_GAIN */
  minGain?: number;
}

/** What `replanWorkflow` decided. */
export interface ReplanDecision {
  /** Predicted makespans, seconds, under the learned weights. */
  currentSeconds: number;
  plannedSeconds: number;
  /** `1 - planned / current`. */
  gain: number;
  /** The new compiled workflow, when the gain is at least `minGain`. */
  compiled?: CompiledWorkflow;
}

/** Thrown when a re-plan would change more than the nesting: a compiler bug, never shipped. */
export class ReplanChangedSemanticsError extends Error {
  constructor(readonly state: string) {
    super(`re-planning changed state ${state} beyond its nesting`);
    this.name = 'ReplanChangedSemanticsError';
  }
}

/** Plans the definition again with learned durations and says whether the new plan is worth registering. */
export function replanWorkflow(input: ReplanInput): ReplanDecision {
  const { definition: def, executorArn } = input;
  const current = planWorkflow(def, 'critical-path', input.current);
  const next = planWorkflow(def, 'critical-path', input.learned);
  const { weight } = nodeWeights(def, next.nodes.keys(), input.learned);
  const duration = (id: string) => weight.get(id) ?? 1;
  const currentSeconds = simulatePlan(current.steps, duration);
  const plannedSeconds = simulatePlan(next.steps, duration);
  const gain = currentSeconds > 0 ? 1 - plannedSeconds / currentSeconds : 0;
  if (gain < (input.minGain ?? MIN_REPLAN_GAIN)) return { currentSeconds, plannedSeconds, gain };
  const before = compileWorkflow(def, { executorArn, ...(input.current ? { history: input.current } : {}) });
  const compiled = compileWorkflow(def, { executorArn, history: input.learned });
  // The per-node contract (retriers, timeouts, liveness, routes) the executor interprets must not move either.
  if (JSON.stringify(before.contract) !== JSON.stringify(compiled.contract)) throw new ReplanChangedSemanticsError('contract');
  const a = aslMinusNesting(before.asl);
  const b = aslMinusNesting(compiled.asl);
  for (const name of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (JSON.stringify(a[name]) !== JSON.stringify(b[name])) throw new ReplanChangedSemanticsError(name);
  }
  return { currentSeconds, plannedSeconds, gain, compiled };
}

/**
 * Every state of a state machine except its Parallels, by name, without what depends on where it sits: its
 * transition (`Next`/`End`), the top-level `Catch` into `braid:finalize-failed` (a state inside a Parallel
 * leaves that to the Parallel), and bare Pass states that only move on (an untracked `X:continued` ending a
 * branch). What is left is what a node does: its task, retries, timeout, error handling, routes.
 */
export function aslMinusNesting(asl: AslStateMachine): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const visit = (states: Record<string, AslState>): void => {
    for (const [name, state] of Object.entries(states)) {
      if (state.Type === 'Parallel') {
        for (const branch of (state as { Branches: AslStateMachine[] }).Branches) visit(branch.States);
        continue;
      }
      const { Next: _next, End: _end, ...rest } = state as AslState & { Next?: string; End?: boolean; Catch?: Array<{ Next: string }> };
      const catches = (rest as { Catch?: Array<{ Next: string }> }).Catch;
      if (catches) {
        const kept = catches.filter((c) => c.Next !== 'braid:finalize-failed').map(({ Next: _n, ...c }) => c);
        if (kept.length > 0) (rest as { Catch?: unknown }).Catch = kept;
        else delete (rest as { Catch?: unknown }).Catch;
      }
      // A bare Pass only moves on (an untracked node's `:continued` at the end of a branch): a nesting artifact.
      if (rest.Type === 'Pass' && Object.keys(rest).length === 1) continue;
      out[name] = rest;
    }
  };
  visit(asl.States);
  return out;
}

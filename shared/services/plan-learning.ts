/**
 * Plans that learn: after each successful run, record how long each of its nodes took (the workflow's
 * duration stats), and every `REPLAN_EVERY_RUNS` successful runs, plan the run's version again with the
 * medians as the critical-path planner's weights. When the new plan is predicted at least 5% faster
 * (`replanWorkflow`), register it as a new state machine version and point the workflow version at it: runs
 * started from then on use it, runs already started keep theirs. Only the nesting changes, never what the
 * workflow does. Called by the finalizer on each succeeded execution; bounded to one store read and write per
 * run, plus one plan (a few ms for 500 nodes) every `REPLAN_EVERY_RUNS` runs and at most
 * `MAX_REPLANS_PER_VERSION` new state machine versions per workflow version.
 */
import { replanWorkflow } from '../compiler/replan';
import { historyOf } from '../compiler/plan-weights';
import { EXECUTABLE_TYPES } from '../definition/schema';
import type { Orchestrator } from '../ports/orchestrator';
import { medianSeconds, type DurationStatsRepository } from '../store/duration-stats';
import type { NodeRunRepository } from '../store/node-runs';
import type { Store } from '../store/store';
import type { VersionPlanRepository } from '../store/version-plans';

/** Successful runs between two re-planning decisions for a version. */
export const REPLAN_EVERY_RUNS = 3;
/** Most state machine versions re-planning publishes for one workflow version (Step Functions keeps 1,000 per machine). */
export const MAX_REPLANS_PER_VERSION = 20;

/** What learning from one run did. */
export type LearnOutcome =
  /** Not a succeeded run, or already recorded. */
  | 'ignored'
  /** Durations recorded; no re-planning due (or none possible here). */
  | 'recorded'
  /** Re-planned, and the current plan kept (gain under 5%, or a concurrent re-plan won). */
  | 'kept'
  /** A new plan registered for new runs. */
  | 'replanned';

/** What the learner needs. Without `orchestrator` and `executorArn` it only records durations. */
export interface PlanLearnerDeps {
  store: Store;
  nodeRuns: Pick<NodeRunRepository, 'list'>;
  stats: DurationStatsRepository;
  plans: VersionPlanRepository;
  orchestrator?: Pick<Orchestrator, 'register'>;
  executorArn?: string;
}

/** Learns node durations from finished runs and re-plans versions when it pays. */
export interface PlanLearner {
  /** Learns from one run (a no-op unless it succeeded; repeating it is harmless). */
  learn(runId: string): Promise<LearnOutcome>;
}

/** Builds the learner. */
export function createPlanLearner(deps: PlanLearnerDeps): PlanLearner {
  return {
    async learn(runId) {
      const run = await deps.store.runs.get(runId);
      if (!run || run.status !== 'succeeded') return 'ignored';
      const head = await deps.store.workflows.get(run.workflowId);
      const version = head ? await deps.store.workflows.getVersion(head, run.version) : undefined;
      if (!version) return 'ignored';
      const executable = version.definition.nodes.filter((n) => EXECUTABLE_TYPES.includes(n.type)).map((n) => n.id);
      const seconds: Record<string, number> = {};
      for (const node of (await deps.nodeRuns.list(runId)).values()) {
        if (node.status !== 'succeeded' || !node.startedAt || !node.endedAt) continue;
        seconds[node.nodeId] = Math.max(0, (Date.parse(node.endedAt) - Date.parse(node.startedAt)) / 1000);
      }
      const { stats, added } = await deps.stats.record(run.workflowId, runId, seconds, executable);
      if (!added) return 'ignored';
      if (!deps.orchestrator || !deps.executorArn) return 'recorded';
      const plan = await deps.plans.get(run.workflowId, run.version);
      if (!plan?.stateMachineVersionArn) return 'recorded';
      if (stats.runs - plan.plannedAtRuns < REPLAN_EVERY_RUNS || plan.replans >= MAX_REPLANS_PER_VERSION) return 'recorded';
      const learned = medianSeconds(stats);
      const decision = replanWorkflow({
        definition: version.definition,
        executorArn: deps.executorArn,
        ...(plan.planWeights ? { current: historyOf(plan.planWeights) } : {}),
        learned: historyOf(learned),
      });
      if (!decision.compiled) {
        await deps.plans.markConsidered(run.workflowId, run.version, stats.runs);
        return 'kept';
      }
      const machine = await deps.orchestrator.register({ workflowId: run.workflowId, version: run.version, definition: decision.compiled.asl });
      const swapped = await deps.plans.swap(run.workflowId, run.version, {
        fromArn: plan.stateMachineVersionArn, toArn: machine.versionArn, weights: learned, runs: stats.runs,
      });
      return swapped ? 'replanned' : 'kept';
    },
  };
}

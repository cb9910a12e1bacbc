/**
 * Benchmark (1): scheduling quality. Fixed-seed random DAGs are compiled with each strategy and run
 * on the local engine (`aws-local-stepfunctions` through the asl-runner), each node sleeping its
 * duration scaled down; the makespan is divided by the critical path of the same durations.
 * The simulator's prediction (no engine overhead) is reported beside the measurement.
 */
import { createAslRunner } from '../infra/local/asl-runner';
import { buildGraph } from '../shared/definition/graph';
import { compileWorkflow } from '../shared/compiler/compile';
import { criticalPath, indexDag } from '../shared/compiler/critical-path';
import { planWorkflow } from '../shared/compiler/plan';
import { simulatePlan } from '../shared/compiler/plan-simulate';
import { dagWorkflow, randomDag, randomDurations, type DagShape, type DurationKind } from './dags';

/** The strategies compared: `levels`, and `critical-path` without and with duration hints. */
export const VARIANTS = ['levels', 'critical-path', 'critical-path+hints'] as const;
/** One of `VARIANTS`. */
export type Variant = (typeof VARIANTS)[number];

/** One DAG of the suite. */
export interface SuiteCase {
  shape: DagShape;
  nodes: number;
  durations: DurationKind;
  seed: number;
}

/** The suite: every shape, size and distribution, `seeds` DAGs each. */
export function suite(seeds: number, sizes: readonly number[] = [10, 50, 200]): SuiteCase[] {
  const out: SuiteCase[] = [];
  for (const shape of ['layered', 'sparse', 'near-sp'] as const)
    for (const nodes of sizes)
      for (const durations of ['uniform', 'lognormal'] as const)
        for (let s = 1; s <= seeds; s++) out.push({ shape, nodes, durations, seed: s * 7919 + nodes });
  return out;
}

/** The DAG, durations (seconds) and critical path (seconds) of a case. */
export function materialize(c: SuiteCase) {
  const dag = randomDag(c.shape, c.nodes, c.seed);
  const durations = randomDurations(dag.ids, c.durations, c.seed);
  const cp = criticalPath(indexDag(buildGraph(dag.ids, dag.edges)), (id) => durations.get(id) as number).length;
  return { dag, durations, cp };
}

function definitionFor(c: SuiteCase, variant: Variant) {
  const { dag, durations } = materialize(c);
  return dagWorkflow(dag, variant === 'critical-path+hints' ? durations : undefined);
}

function strategyOf(variant: Variant) {
  return variant === 'levels' ? 'levels' : 'critical-path';
}

/** Simulated makespan / CP of a case under a variant (the plan's own prediction, no engine overhead). */
export function simulatedRatio(c: SuiteCase, variant: Variant): number {
  const { durations, cp } = materialize(c);
  const plan = planWorkflow(definitionFor(c, variant), strategyOf(variant));
  return simulatePlan(plan.steps, (id) => durations.get(id) as number) / cp;
}

/**
 * Runs a case on the local engine: each node sleeps `duration * msPerSecond`. Returns the measured
 * makespan (first node start to last node end) divided by the scaled critical path.
 */
export async function measuredRatio(c: SuiteCase, variant: Variant, msPerSecond: number): Promise<number> {
  const { durations, cp } = materialize(c);
  const { asl } = compileWorkflow(definitionFor(c, variant), { executorArn: 'bench-executor', strategy: strategyOf(variant) });
  const runner = createAslRunner(asl);
  let first = Infinity;
  let last = 0;
  const exec = runner.run(
    { runId: 'bench', r: {} },
    {
      invoke: async (_fn, payload) => {
        if (payload.action !== 'execute') return {};
        const start = performance.now();
        first = Math.min(first, start);
        await new Promise((r) => setTimeout(r, (durations.get(payload.nodeId as string) as number) * msPerSecond));
        last = Math.max(last, performance.now());
        return { route: 'ok' };
      },
    },
  );
  const outcome = await Promise.race([
    exec.outcome,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error('bench run did not finish in 120 s')), 120_000).unref()),
  ]);
  if (outcome.status !== 'SUCCEEDED') throw new Error(`bench run ended ${outcome.status}`);
  return (last - first) / (cp * msPerSecond);
}

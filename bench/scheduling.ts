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
import { historyOf } from '../shared/compiler/plan-weights';
import { replanWorkflow } from '../shared/compiler/replan';
import { median } from './stats';
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

/** One run of compiled ASL on the local engine: makespan ÷ scaled critical path, and each node's observed seconds. */
async function runOnEngine(asl: object, durations: Map<string, number>, cp: number, msPerSecond: number): Promise<{ ratio: number; observed: Map<string, number> }> {
  const runner = createAslRunner(asl);
  let first = Infinity;
  let last = 0;
  const observed = new Map<string, number>();
  const exec = runner.run(
    { runId: 'bench', r: {} },
    {
      invoke: async (_fn, payload) => {
        if (payload.action !== 'execute') return {};
        const start = performance.now();
        first = Math.min(first, start);
        await new Promise((r) => setTimeout(r, (durations.get(payload.nodeId as string) as number) * msPerSecond));
        const end = performance.now();
        last = Math.max(last, end);
        observed.set(payload.nodeId as string, (end - start) / msPerSecond);
        return { route: 'ok' };
      },
    },
  );
  const outcome = await Promise.race([
    exec.outcome,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error('bench run did not finish in 120 s')), 120_000).unref()),
  ]);
  if (outcome.status !== 'SUCCEEDED') throw new Error(`bench run ended ${outcome.status}`);
  return { ratio: (last - first) / (cp * msPerSecond), observed };
}

/**
 * Runs a case on the local engine: each node sleeps `duration * msPerSecond`. Returns the measured
 * makespan (first node start to last node end) divided by the scaled critical path.
 */
export async function measuredRatio(c: SuiteCase, variant: Variant, msPerSecond: number): Promise<number> {
  const { durations, cp } = materialize(c);
  const { asl } = compileWorkflow(definitionFor(c, variant), { executorArn: 'bench-executor', strategy: strategyOf(variant) });
  return (await runOnEngine(asl, durations, cp, msPerSecond)).ratio;
}

/**
 * Plans that learn, as Braid does it: the DAG without hints runs `runs` times, each node's observed
 * durations are kept, and the medians re-plan it (`replanWorkflow`: a new plan only for a predicted gain
 * of at least 5%); returns the ratio of one more run, on whichever plan that left, and whether it re-planned.
 */
export async function learnedRatio(c: SuiteCase, msPerSecond: number, runs = 3): Promise<{ ratio: number; replanned: boolean }> {
  const { dag, durations, cp } = materialize(c);
  const def = dagWorkflow(dag);
  let { asl } = compileWorkflow(def, { executorArn: 'bench-executor' });
  const samples = new Map<string, number[]>();
  for (let i = 0; i < runs; i++) {
    const { observed } = await runOnEngine(asl, durations, cp, msPerSecond);
    for (const [id, seconds] of observed) samples.set(id, [...(samples.get(id) ?? []), seconds]);
  }
  const learned = Object.fromEntries([...samples].map(([id, xs]) => [id, median(xs)]));
  const decision = replanWorkflow({ definition: def, executorArn: 'bench-executor', learned: historyOf(learned) });
  if (decision.compiled) asl = decision.compiled.asl;
  return { ratio: (await runOnEngine(asl, durations, cp, msPerSecond)).ratio, replanned: decision.compiled !== undefined };
}

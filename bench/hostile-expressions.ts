/**
 * Benchmark (7): another user's request latency on the local stack (`npm run dev`'s in-process stack) while
 * four hostile runs evaluate expressions that run until their bound stops them. Target: p99 under 200 ms.
 * Run alone with `npx tsx bench/hostile-expressions.ts` (prints the section), or as part of `npm run bench`.
 */
import { BraidHttpClient } from '../client/http-client';
import { createLocalStack, type LocalStack } from '../infra/local/stack';
import { EXPRESSION_LIMITS } from '../shared/expressions/limits';
import { quantile } from './stats';

/** What the measurement gives. */
export interface HostileResult {
  baseline: { samples: number; p50: number; p99: number };
  underLoad: { samples: number; p50: number; p99: number; errors: number };
  hostileRuns: number;
  hostileNodesFinished: number;
  expressionWorkers: number;
}

// Each node's binding loops until JSONata's own 1 s timeout or the node's 2 s budget stops it; the regex
// binding is the classic catastrophic backtracking case (linear on RE2).
const LOOP = '$string(($f := function($n) { $n > 1e15 ? $n : $f($n + 1) }; $f(0)))';
const REGEX = '$contains("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!", /^(a+)+$/)';

function hostileWorkflow(nodes: number) {
  const ids = Array.from({ length: nodes }, (_, i) => `h${i}`);
  return {
    name: 'hostile',
    nodes: ids.map((id) => ({ id, type: 'tool_call', tool: { kind: 'builtin', name: 'echo' }, inputs: { loop: LOOP, re: REGEX }, onError: 'continue' })),
    edges: ids.slice(1).map((id, i) => ({ from: ids[i]!, to: id })),
  };
}

async function readLoop(url: string, token: string, durationMs: number): Promise<{ latencies: number[]; errors: number }> {
  const latencies: number[] = [];
  let errors = 0;
  const end = performance.now() + durationMs;
  while (performance.now() < end) {
    const t0 = performance.now();
    const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    await res.arrayBuffer();
    if (res.status !== 200) errors += 1;
    latencies.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, 20));
  }
  return { latencies, errors };
}

/** Measures `GET /api/v1/workflows` for a bystander, first alone, then while four hostile runs evaluate. */
export async function hostileExpressions(stack: LocalStack, durationMs: number): Promise<HostileResult> {
  const bystanderToken = await stack.token('bystander');
  const bystander = new BraidHttpClient({ url: stack.httpUrl, token: bystanderToken });
  await bystander.createWorkflow({ name: 'mine', nodes: [{ id: 'a', type: 'tool_call', tool: { kind: 'builtin', name: 'echo' } }], edges: [] });
  const url = `${stack.httpUrl}/api/v1/workflows?scope=mine`;
  const baseline = await readLoop(url, bystanderToken, Math.min(2_000, durationMs));
  const hostile = new BraidHttpClient({ url: stack.httpUrl, token: await stack.token('hostile') });
  const wf = await hostile.createWorkflow(hostileWorkflow(8));
  const runs = await Promise.all(Array.from({ length: 4 }, () => hostile.startRun(wf.id, {})));
  const underLoad = await readLoop(url, bystanderToken, durationMs);
  let finished = 0;
  for (const { runId } of runs) {
    const nodes = await hostile.listNodeRuns(runId);
    finished += nodes.filter((n) => n.status === 'failed' || n.status === 'succeeded').length;
    await hostile.cancelRun(runId).catch(() => undefined);
  }
  const stat = (l: number[]) => ({ samples: l.length, p50: quantile(l, 0.5), p99: quantile(l, 0.99) });
  return {
    baseline: stat(baseline.latencies),
    underLoad: { ...stat(underLoad.latencies), errors: underLoad.errors },
    hostileRuns: runs.length,
    hostileNodesFinished: finished,
    expressionWorkers: Number(process.env.BRAID_EXPRESSION_WORKERS) || (await import('node:os')).availableParallelism(),
  };
}

/** The BENCHMARKS.md section. */
export function hostileSection(r: HostileResult, durationMs: number): string {
  const met = r.underLoad.p99 < 200 ? 'met' : 'missed';
  return [
    '## 8. Hostile expressions: another user\'s latency',
    '',
    `Local stack (in memory, loopback). A bystander reads \`GET /api/v1/workflows?scope=mine\` in a loop (one request every 20 ms), alone for 2 s, then for ${durationMs / 1000} s while ${r.hostileRuns} hostile runs evaluate: each run is a chain of 8 nodes whose bindings loop until stopped (JSONata's ${EXPRESSION_LIMITS.timeoutMs} ms timeout, the node's ${EXPRESSION_LIMITS.nodeBudgetMs} ms hard budget) and match \`/^(a+)+$/\` against 33 characters (RE2: linear). Expressions run on ${r.expressionWorkers} expression worker(s) at the lowest CPU priority; ${r.hostileNodesFinished} hostile nodes ended (as \`Braid.BindingFailed\`) during the window. Target: p99 under 200 ms — **${met}**.`,
    '',
    '| phase | requests | errors | p50 ms | p99 ms |',
    '| --- | --- | --- | --- | --- |',
    `| alone | ${r.baseline.samples} | 0 | ${r.baseline.p50.toFixed(1)} | ${r.baseline.p99.toFixed(1)} |`,
    `| 4 hostile runs | ${r.underLoad.samples} | ${r.underLoad.errors} | ${r.underLoad.p50.toFixed(1)} | ${r.underLoad.p99.toFixed(1)} |`,
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const durationMs = 10_000;
  const stack = await createLocalStack({ inMemory: true, logLevel: 'SILENT' });
  try {
    console.log(hostileSection(await hostileExpressions(stack, durationMs), durationMs));
  } finally {
    await stack.close();
  }
  process.exit(0);
}

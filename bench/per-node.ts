/**
 * Benchmark (10): Braid's cost per executed node on the local stack (`createLocalStack`, in memory: dynalite,
 * aws-local-stepfunctions and the executor's real handler), once with dynalite on Braid's event loop
 * (`store: 'in-process'`) and once in a Worker thread (`store: 'worker'`), each on a fresh stack.
 * - Store round trips per executed node: middleware on the stack's document client counts every command sent
 *   inside an executor invocation (an `AsyncLocalStorage` context set by the `wrapExecutor` seam; the emulated
 *   stream's fan-out runs outside it), by operation and by item kind (`RUN/NODE`, `RUN/LOG`, …).
 * - Overhead per node: a chain of 50 builtin `echo` nodes; the step of a node is the time from its Task's
 *   invocation to the next node's. The same ASL runs on the bare engine with no-op tasks; the p50 overhead is
 *   the difference of the p50 steps, and the ratio their quotient.
 * - Throughput: ten chains of 20 `echo` nodes started at once; nodes per second from the first start to the
 *   last `finalize` returning.
 * - Stack start: a fresh in-memory stack started and closed several times in each configuration (tests start
 *   hundreds of stacks, which is why they keep the in-process store).
 * Runs alone with `npx tsx bench/per-node.ts [chain] [runs] [nodesPerRun]`.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { loadavg } from 'node:os';
import { BraidHttpClient } from '../client/http-client';
import { compileWorkflow } from '../shared/compiler/compile';
import type { WorkflowDefinition } from '../shared/definition/schema';
import { createAslRunner } from '../infra/local/asl-runner';
import type { LocalStoreMode } from '../infra/local/dynamo';
import { createLocalStack, LOCAL_EXECUTOR_ARN, type LocalStack } from '../infra/local/stack';
import { fixed, median, quantile, table } from './stats';

/** Round trips by operation and by item kind, inside executor invocations of one action. */
export interface CallCounts {
  total: number;
  byOperation: Record<string, number>;
  byKind: Record<string, number>;
}

/** What one measurement found. */
export interface PerNodeResult {
  /** Where dynalite ran. */
  store: LocalStoreMode;
  chainNodes: number;
  /** Executor round trips of the chain's `execute` tasks, per node. */
  chainCalls: CallCounts;
  /** Executor round trips of every other task of the chain's run (`finalize`), in all. */
  chainOtherCalls: number;
  /** Every command any function sent during the chain's run (API start and polls excluded), per node. */
  chainAllCallsPerNode: number;
  /** Steps between consecutive node Tasks, ms. */
  braidSteps: number[];
  engineSteps: number[];
  /** Time inside the executor's `execute` handler, ms. */
  handlerMs: number[];
  /**
   * `cpuMsPerNode`: every thread of this process (Braid's functions, the engine, and dynalite wherever it runs);
   * `mainCpuMsPerNode`: the main thread alone (`NaN` where Node lacks `process.threadCpuUsage`).
   */
  concurrent: { runs: number; nodesPerRun: number; wallMs: number; callsPerNode: number; cpuMsPerNode: number; mainCpuMsPerNode: number };
  /** The machine's 1-minute load average when the measurement ended (the machine is shared). */
  load: number;
  /** Nodes/s of the unmeasured warm-up rounds of the concurrent workload, in order (the first on a cold stack). */
  warmRates: number[];
}

/** Unmeasured rounds of the concurrent workload before the measurements (see `perNode`). */
const WARM_ROUNDS = 2;

const context = new AsyncLocalStorage<{ action: string }>();

/** The item kind of a key: partition prefix / sort-key prefix (`RUN/NODE`, `RUN/LOG`, `WF/V`). */
function kindOf(key: { PK?: unknown; SK?: unknown } | undefined): string {
  const pk = typeof key?.PK === 'string' ? key.PK.split('#')[0] : '?';
  const sk = typeof key?.SK === 'string' ? (key.SK.split('#')[0] as string) : '?';
  return `${pk}/${sk}`;
}

/** Item kinds one command touches. */
function kindsOf(input: Record<string, any>): string[] {
  if (input.Key) return [kindOf(input.Key)];
  if (input.Item) return [kindOf(input.Item)];
  if (input.KeyConditionExpression) {
    const v = input.ExpressionAttributeValues ?? {};
    const pk = String(v[':pk'] ?? '?').split('#')[0];
    const sk = String(v[':sk'] ?? v[':from'] ?? '?').split('#')[0];
    return [`${pk}/${sk}*`];
  }
  if (input.RequestItems) {
    const kinds = new Set<string>();
    for (const entry of Object.values(input.RequestItems as Record<string, any>)) {
      if (Array.isArray(entry)) for (const r of entry) kinds.add(kindOf(r.PutRequest?.Item ?? r.DeleteRequest?.Key));
      else for (const k of entry.Keys ?? []) kinds.add(kindOf(k));
    }
    return [[...kinds].sort().join('+')];
  }
  return ['?'];
}

/** Counts commands on the stack's table client: every one, and those sent inside executor invocations by action. */
function instrument(stack: LocalStack) {
  const byAction = new Map<string, CallCounts>();
  let all = 0;
  stack.store.table.client.middlewareStack.add((next: (a: any) => Promise<any>, ctx: { commandName?: string }) => async (args: { input: Record<string, any> }) => {
    all += 1;
    const tag = context.getStore();
    if (tag) {
      const counts = byAction.get(tag.action) ?? { total: 0, byOperation: {}, byKind: {} };
      byAction.set(tag.action, counts);
      counts.total += 1;
      const op = (ctx.commandName ?? '?').replace(/Command$/, '');
      counts.byOperation[op] = (counts.byOperation[op] ?? 0) + 1;
      for (const kind of kindsOf(args.input)) counts.byKind[`${op} ${kind}`] = (counts.byKind[`${op} ${kind}`] ?? 0) + 1;
    }
    return next(args);
  }, { step: 'initialize', name: 'benchPerNodeCount', priority: 'low' });
  return {
    reset() { byAction.clear(); all = 0; },
    action: (action: string): CallCounts => byAction.get(action) ?? { total: 0, byOperation: {}, byKind: {} },
    actions: () => [...byAction.keys()],
    all: () => all,
  };
}

/** A chain of `n` echo nodes, each reading the previous one's output. */
export function echoChain(n: number, name = `bench-chain-${n}`): WorkflowDefinition {
  const id = (i: number) => `n${String(i).padStart(3, '0')}`;
  return {
    name,
    nodes: Array.from({ length: n }, (_, i) => ({
      id: id(i), type: 'tool_call' as const, tool: { kind: 'builtin' as const, name: 'echo' },
      inputs: i === 0 ? { step: '$context.start' } : { step: i, from: `$${id(i - 1)}.step` },
    })),
    edges: Array.from({ length: n - 1 }, (_, i) => ({ from: id(i), to: id(i + 1) })),
  } as WorkflowDefinition;
}

/** Steps between consecutive invocation starts, in invocation order. */
function steps(starts: readonly number[]): number[] {
  const sorted = [...starts].sort((a, b) => a - b);
  return sorted.slice(1).map((t, i) => t - (sorted[i] as number));
}

/** The same ASL on the bare engine, every Task a no-op: the steps between node Tasks. */
async function engineSteps(definition: WorkflowDefinition): Promise<number[]> {
  const { asl } = compileWorkflow(definition, { executorArn: LOCAL_EXECUTOR_ARN });
  const runner = createAslRunner(asl);
  const starts: number[] = [];
  const execution = runner.run({ runId: 'bench', input: { start: 0 } }, {
    invoke: async (_fn, payload) => {
      if (payload.action === 'execute') starts.push(performance.now());
      return { route: 'ok' };
    },
  });
  const outcome = await execution.outcome;
  if (outcome.status !== 'SUCCEEDED') throw new Error(`the no-op run ended ${outcome.status}`);
  return steps(starts);
}

/** The main thread's CPU time, µs (`NaN` where Node lacks `process.threadCpuUsage`). */
function mainThreadCpu(): number {
  const usage = typeof process.threadCpuUsage === 'function' ? process.threadCpuUsage() : undefined;
  return usage ? usage.user + usage.system : Number.NaN;
}

/** Measures on a fresh stack with dynalite where `store` says. */
export async function perNode(chain = 50, runs = 10, nodesPerRun = 20, store: LocalStoreMode = 'worker'): Promise<PerNodeResult> {
  const invocations: Array<{ runId: string; action: string; start: number; end: number }> = [];
  const stack = await createLocalStack({
    inMemory: true, logLevel: 'SILENT', store,
    wrapExecutor: (executor) => async (event) => {
      const e = event as { action?: string; runId?: string };
      const start = performance.now();
      try {
        return await context.run({ action: String(e.action) }, () => executor(event));
      } finally {
        invocations.push({ runId: String(e.runId), action: String(e.action), start, end: performance.now() });
      }
    },
  });
  try {
    const counter = instrument(stack);
    const http = new BraidHttpClient({ url: stack.httpUrl, token: await stack.token('bench-user') });
    const finished = async (runIds: string[], deadlineMs: number): Promise<number> => {
      const deadline = performance.now() + deadlineMs;
      for (;;) {
        const done = invocations.filter((i) => i.action === 'finalize' && runIds.includes(i.runId));
        if (new Set(done.map((d) => d.runId)).size === runIds.length) return Math.max(...done.map((d) => d.end));
        if (performance.now() > deadline) throw new Error(`runs did not finish within ${deadlineMs} ms`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const expectSucceeded = async (runId: string) => {
      const run = await http.getRun(runId);
      if (run.status !== 'succeeded') throw new Error(`run ${runId} ended ${run.status}: ${JSON.stringify(run.error)}`);
    };

    // Warm-up: one run of each measured version, so no measured node pays a cold path (module loads, the version's
    // definition, read once per process and version: a warm Lambda container that has run the workflow before).
    const chainWf = await http.createWorkflow(echoChain(chain));
    const concurrentWf = await http.createWorkflow(echoChain(nodesPerRun, `bench-concurrent-${nodesPerRun}`));
    const warmRuns = [(await http.startRun(chainWf.id, { start: 0 })).runId, (await http.startRun(concurrentWf.id, { start: 0 })).runId];
    await finished(warmRuns, 10 * 60_000);
    // Then the concurrent workload, unmeasured, WARM_ROUNDS times: on a fresh stack V8 is still compiling the stack's
    // and dynalite's hot paths (dynalite in a new isolate with the worker store) for the first few hundred nodes,
    // which a dev server that has been up for a minute, or a warm Lambda container, has long done. Their rates are
    // reported beside the measured ones.
    /** `runs` runs of the concurrent workflow started at once; resolves with their ids and when the last one ended. */
    const concurrentRound = async (): Promise<{ runIds: string[]; end: number }> => {
      const runIds = await Promise.all(Array.from({ length: runs }, async (_, i) => (await http.startRun(concurrentWf.id, { start: i })).runId));
      return { runIds, end: await finished(runIds, 10 * 60_000) };
    };
    const warmRates: number[] = [];
    for (let round = 0; round < WARM_ROUNDS; round++) {
      const from = performance.now();
      warmRates.push((runs * nodesPerRun) / ((await concurrentRound()).end - from) * 1000);
    }

    // The 50-node chain, alone.
    counter.reset();
    const chainRun = (await http.startRun(chainWf.id, { start: 0 })).runId;
    await finished([chainRun], 10 * 60_000);
    const allCalls = counter.all();
    await expectSucceeded(chainRun);
    const mine = invocations.filter((i) => i.runId === chainRun && i.action === 'execute');
    const chainCalls = counter.action('execute');
    const chainOtherCalls = counter.actions().filter((a) => a !== 'execute').reduce((n, a) => n + counter.action(a).total, 0);

    // Ten concurrent runs.
    counter.reset();
    const cpuBefore = process.cpuUsage();
    const mainCpuBefore = mainThreadCpu();
    const started = performance.now();
    const { runIds, end } = await concurrentRound();
    const cpu = process.cpuUsage(cpuBefore);
    const mainCpu = mainThreadCpu() - mainCpuBefore;
    for (const id of runIds) await expectSucceeded(id);
    const concurrentCalls = counter.action('execute').total;

    return {
      store,
      chainNodes: chain,
      chainCalls: perNodeCounts(chainCalls, chain),
      chainOtherCalls,
      chainAllCallsPerNode: allCalls / chain,
      braidSteps: steps(mine.map((i) => i.start)),
      engineSteps: await engineSteps(echoChain(chain)),
      handlerMs: mine.map((i) => i.end - i.start),
      concurrent: { runs, nodesPerRun, wallMs: end - started, callsPerNode: concurrentCalls / (runs * nodesPerRun), cpuMsPerNode: (cpu.user + cpu.system) / 1000 / (runs * nodesPerRun), mainCpuMsPerNode: mainCpu / 1000 / (runs * nodesPerRun) },
      load: loadavg()[0] ?? Number.NaN,
      warmRates,
    };
  } finally {
    await stack.close();
  }
}

function perNodeCounts(c: CallCounts, n: number): CallCounts {
  const per = (r: Record<string, number>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v / n]));
  return { total: c.total / n, byOperation: per(c.byOperation), byKind: per(c.byKind) };
}

/**
 * Figures measured before issue 18's changes: this bench on main's code (96b78f3) in a worktree of the same
 * machine, at 15:10 on 2026-12-01 (load average 2.3), in the minute before the "after" run written to
 * BENCHMARKS.md. An earlier run of that code at load 0.3 gave 20.04 round trips, a 28.8 ms p50 step and 43.7 nodes/s.
 */
export const BEFORE = {
  date: '2026-12-01 15:10, main at 96b78f3, load average 2.3',
  roundTrips: 20.04,
  p50StepMs: 35.1,
  p50EngineMs: 0.03,
  p50HandlerMs: 34.3,
  nodesPerSecond: 42.4,
  cpuMsPerNode: 23.6,
};

/** Milliseconds to start and to close a fresh in-memory stack as the tests start theirs, after one unmeasured start. */
export interface StackStartResult {
  store: LocalStoreMode;
  startMs: number[];
  closeMs: number[];
}

/** Starts and closes `times` in-memory stacks (no WebSocket API, as `test/support/local-stack.ts` starts them). */
export async function stackStarts(store: LocalStoreMode, times = 7): Promise<StackStartResult> {
  const result: StackStartResult = { store, startMs: [], closeMs: [] };
  for (let i = 0; i <= times; i++) {
    const t0 = performance.now();
    const stack = await createLocalStack({ inMemory: true, live: false, logLevel: 'SILENT', store });
    const t1 = performance.now();
    await stack.close();
    if (i === 0) continue;
    result.startMs.push(t1 - t0);
    result.closeMs.push(performance.now() - t1);
  }
  return result;
}

/** Both configurations, `repeats` times each, alternating, each on a fresh stack. */
export interface PerNodeComparison {
  inProcess: PerNodeResult[];
  worker: PerNodeResult[];
  starts: { inProcess: StackStartResult; worker: StackStartResult };
}

/**
 * Measures the in-process store and the worker store `repeats` times each, alternating (so a busy minute of the shared
 * machine weighs on both), then the stack starts of both.
 */
export async function perNodeComparison(chain = 50, runs = 10, nodesPerRun = 20, repeats = 5): Promise<PerNodeComparison> {
  const inProcess: PerNodeResult[] = [];
  const worker: PerNodeResult[] = [];
  for (let i = 0; i < repeats; i++) {
    inProcess.push(await perNode(chain, runs, nodesPerRun, 'in-process'));
    worker.push(await perNode(chain, runs, nodesPerRun, 'worker'));
  }
  return { inProcess, worker, starts: { inProcess: await stackStarts('in-process'), worker: await stackStarts('worker') } };
}

/**
 * The repetitions of one configuration as one result: every step of every chain pooled (their medians and p90),
 * the median repetition's throughput and CPU, the first repetition's round trips (they do not vary).
 */
function pooled(results: readonly PerNodeResult[]): PerNodeResult & { nodesPerSecondEach: number[]; overheadEach: number[] } {
  const first = results[0] as PerNodeResult;
  const rate = (r: PerNodeResult) => (r.concurrent.runs * r.concurrent.nodesPerRun) / (r.concurrent.wallMs / 1000);
  const byRate = [...results].sort((a, b) => rate(a) - rate(b));
  const mid = byRate[Math.floor((byRate.length - 1) / 2)] as PerNodeResult;
  return {
    ...first,
    braidSteps: results.flatMap((r) => r.braidSteps),
    engineSteps: results.flatMap((r) => r.engineSteps),
    handlerMs: results.flatMap((r) => r.handlerMs),
    concurrent: { ...mid.concurrent, cpuMsPerNode: median(results.map((r) => r.concurrent.cpuMsPerNode)), mainCpuMsPerNode: median(results.map((r) => r.concurrent.mainCpuMsPerNode)) },
    load: Math.max(...results.map((r) => r.load)),
    nodesPerSecondEach: results.map(rate),
    overheadEach: results.map((r) => median(r.braidSteps) - median(r.engineSteps)),
  };
}

/** The BENCHMARKS.md section. */
export function perNodeSection(comparison: PerNodeComparison): string {
  const c = { ...comparison, inProcess: pooled(comparison.inProcess), worker: pooled(comparison.worker) };
  const repeats = comparison.worker.length;
  const both = [c.inProcess, c.worker] as const;
  const figures = both.map((r) => {
    const braid = median(r.braidSteps);
    const engine = median(r.engineSteps);
    return { braid, engine, overhead: braid - engine, nodesPerSecond: (r.concurrent.runs * r.concurrent.nodesPerRun) / (r.concurrent.wallMs / 1000) };
  });
  const [ip, wk] = figures as [typeof figures[0], typeof figures[0]];
  const r = c.worker;
  const mark = (ok: boolean) => (ok ? 'met' : '**missed**');
  const marks = (test: (f: typeof ip) => boolean) => `in-process ${mark(test(ip))}, worker ${mark(test(wk))}`;
  const row = (measure: string, value: (r: PerNodeResult, f: typeof ip) => string, before = '', target = ''): string[] =>
    [measure, value(c.inProcess, ip), value(c.worker, wk), before, target];
  const kinds = Object.entries(r.chainCalls.byKind).sort((a, b) => b[1] - a[1]);
  const start = (s: StackStartResult) => `${fixed(median(s.startMs), 0)} (close ${fixed(median(s.closeMs), 0)})`;
  return [
    '## 10. Per node: store round trips, overhead, throughput',
    '',
    `Local stack (\`createLocalStack\`, in memory: dynalite, aws-local-stepfunctions, the executor's real handler; \`bench/per-node.ts\`), measured ${repeats} times each, alternating, each on a fresh stack, in a process of its own (so the heap and workers of the bench's other sections do not weigh on it): dynalite on Braid's event loop (\`store: 'in-process'\`, what the tests use) and in a Worker thread (\`store: 'worker'\`, what \`npm run dev\` uses). A chain of ${r.chainNodes} builtin \`echo\` nodes, each binding the previous node's output, after one warm-up run of each measured workflow (a warm process has read the version once) and ${WARM_ROUNDS} unmeasured rounds of the concurrent workload below (V8 has compiled the stack's and dynalite's hot paths, as in a dev server that has been up for a minute; their rates are in the table: the first round runs on a cold stack). Round trips: every DynamoDB command sent inside an executor \`execute\` invocation (an \`AsyncLocalStorage\` context set around each invocation; the emulated stream's fan-out runs outside it), divided by the nodes. Step: from one node's Task invocation to the next one's; the same ASL on the bare engine with no-op tasks gives the engine's own step. Throughput: ${r.concurrent.runs} chains of ${r.concurrent.nodesPerRun} \`echo\` nodes started at once, from the first start request to the last \`finalize\` task returning. Stack start: an in-memory stack without the WebSocket API (as the tests start theirs) started then closed ${c.starts.worker.startMs.length} times after one unmeasured start, medians. Steps are pooled over the repetitions (their p50 and p90); throughput and CPU are the median repetition's.`,
    '',
    table(['measure', 'in-process store', 'worker store', `before (${BEFORE.date || 'not measured'}; in-process)`, 'target'], [
      row('store round trips per executed node (chain)', (x) => fixed(x.chainCalls.total, 2), fixed(BEFORE.roundTrips, 2), `≤ 6 (${mark(both.every((x) => x.chainCalls.total <= 6))})`),
      row('store round trips per executed node (concurrent runs)', (x) => fixed(x.concurrent.callsPerNode, 2)),
      row('p50 step per node, Braid (ms)', (_, f) => fixed(f.braid, 1), fixed(BEFORE.p50StepMs, 1)),
      row('p50 step per node, engine with no-op tasks (ms)', (_, f) => fixed(f.engine, 2), fixed(BEFORE.p50EngineMs, 2)),
      row('p50 Braid overhead per node (ms)', (_, f) => fixed(f.overhead, 1), fixed(BEFORE.p50StepMs - BEFORE.p50EngineMs, 1), `≤ 15 (${marks((f) => f.overhead <= 15)})`),
      [`p50 Braid overhead per node, each of the ${repeats} repetitions (ms)`, c.inProcess.overheadEach.map((v) => fixed(v, 1)).join(' / '), c.worker.overheadEach.map((v) => fixed(v, 1)).join(' / '), '', ''],
      row('ratio Braid ÷ engine (p50 steps)', (_, f) => fixed(f.braid / f.engine, 0), fixed(BEFORE.p50StepMs / BEFORE.p50EngineMs, 0)),
      row('p90 step per node, Braid (ms)', (x) => fixed(quantile(x.braidSteps, 0.9), 1)),
      row('p50 time in the executor handler per node (ms)', (x) => fixed(median(x.handlerMs), 1), fixed(BEFORE.p50HandlerMs, 1)),
      row('CPU time per node, whole process (ms): every function, the engine and dynalite', (x) => fixed(x.concurrent.cpuMsPerNode, 1), fixed(BEFORE.cpuMsPerNode, 1)),
      row('CPU time per node, main thread (ms): what is left on Braid\'s event loop', (x) => fixed(x.concurrent.mainCpuMsPerNode, 1)),
      row(`nodes/s, ${r.concurrent.runs} concurrent ${r.concurrent.nodesPerRun}-node runs (median repetition)`, (_, f) => fixed(f.nodesPerSecond, 1), fixed(BEFORE.nodesPerSecond, 1), `≥ 100 (${marks((f) => f.nodesPerSecond >= 100)})`),
      [`nodes/s, each of the ${repeats} repetitions`, c.inProcess.nodesPerSecondEach.map((v) => fixed(v, 1)).join(' / '), c.worker.nodesPerSecondEach.map((v) => fixed(v, 1)).join(' / '), '', ''],
      ...Array.from({ length: WARM_ROUNDS }, (_, round) => [
        `nodes/s, unmeasured warm-up round ${round + 1} on each fresh stack${round === 0 ? ' (cold)' : ''}, median of the repetitions`,
        fixed(median(comparison.inProcess.map((x) => x.warmRates[round] as number)), 1), fixed(median(comparison.worker.map((x) => x.warmRates[round] as number)), 1), '', '',
      ]),
      ['stack start, in memory (ms)', start(c.starts.inProcess), start(c.starts.worker), '', ''],
      row('1-minute load average, highest at the end of a repetition', (x) => fixed(x.load, 1)),
    ]),
    '',
    `The machine's 2 cores are shared with other sessions, so rerun \`npx tsx bench/per-node.ts\` on a quiet machine before comparing times (round trips do not depend on load or on where dynalite runs). The engine's own step with no-op tasks is a few hundredths of a millisecond, so the ratio mostly says that nearly all of a node's time on the laptop is Braid's. With the worker store, dynalite's request parsing, validation and LevelDB work run on the second core, the way DynamoDB is a remote service in AWS; the main-thread row is what stays on Braid's event loop.`,
    '',
    `Per run besides its nodes (worker store): ${r.chainOtherCalls} executor round trips (\`finalize\`); every function together (API start, executor, finalizer, stream fan-out) sent ${fixed(r.chainAllCallsPerNode, 1)} commands per node of the chain.`,
    '',
    'Where the round trips of one executed node go (chain, worker store, per node: operation and item kind, `RUN/NODE` = `RUN#…`/`NODE#…`, a `*` marks a query of that prefix):',
    '',
    table(['operation', 'item kind', 'per node'], kinds.map(([k, v]) => {
      const [op, kind] = k.split(' ');
      return [op ?? '', `\`${kind ?? ''}\``, fixed(v, 2)];
    })),
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [chain, runs, perRun, repeats] = process.argv.slice(2).map(Number);
  perNodeComparison(chain || 50, runs || 10, perRun || 20, repeats || 5).then((r) => {
    console.log(perNodeSection(r));
    process.exit(0);
  }, (error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}

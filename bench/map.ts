/**
 * Benchmark (7): a map of N echo items on the local stack (`createLocalStack`, in memory: dynalite and
 * aws-local-stepfunctions, the executor's real handler): wall time from start to the run's success, and store calls
 * (DynamoDB commands sent by every function of the stack) per item. Runs alone with `npx tsx bench/map.ts [items]`.
 */
import { BraidHttpClient } from '../client/http-client';
import { createLocalStack, type LocalStack } from '../infra/local/stack';
import { fixed, table } from './stats';

/** One measured map run. */
export interface MapBenchResult {
  items: number;
  maxConcurrency: number;
  wallMs: number;
  storeCalls: number;
}

/** Counts every DynamoDB command the stack sends from now on. */
function countStoreCalls(stack: LocalStack): () => number {
  let calls = 0;
  stack.store.table.client.middlewareStack.add((next) => async (args) => {
    calls += 1;
    return next(args);
  }, { step: 'initialize', name: `benchCount${Date.now()}` });
  return () => calls;
}

/** Runs a map of `items` echo items at `maxConcurrency` and measures it. */
export async function mapRun(stack: LocalStack, items: number, maxConcurrency: number): Promise<MapBenchResult> {
  const token = await stack.token('bench-user');
  const http = new BraidHttpClient({ url: stack.httpUrl, token });
  const workflow = await http.createWorkflow({
    name: `bench-map-${items}`,
    nodes: [{ id: 'each', type: 'map', items: '$context.list', maxConcurrency, maxItems: items, body: {
      nodes: [{ id: 'echo', type: 'tool_call', tool: { kind: 'builtin', name: 'echo' }, inputs: { n: '$item', i: '$index' } }], edges: [] } }],
    edges: [],
  });
  const calls = countStoreCalls(stack);
  const before = calls();
  const started = performance.now();
  const { runId } = await http.startRun(workflow.id, { list: Array.from({ length: items }, (_, i) => ({ i })) });
  const deadline = started + 30 * 60_000;
  for (;;) {
    const run = await http.getRun(runId);
    if (run.status === 'succeeded') break;
    if (run.status !== 'running' && run.status !== 'waiting') throw new Error(`map run ended ${run.status}: ${JSON.stringify(run.error)}`);
    if (performance.now() > deadline) throw new Error('map run did not finish within 30 minutes');
    await new Promise((r) => setTimeout(r, 100));
  }
  const wallMs = performance.now() - started;
  return { items, maxConcurrency, wallMs, storeCalls: calls() - before };
}

/** The BENCHMARKS.md section. */
export function mapSection(results: MapBenchResult[]): string {
  return [
    '## 8. Map: N echo items',
    '',
    'Local stack (`createLocalStack`, in memory, loopback): one `map` node over N items whose body is one builtin `echo`. Wall time from `POST …/run` to the run reading `succeeded` (polled every 100 ms); store calls are every DynamoDB command any function sent meanwhile (status polls included), divided by N. On AWS the items task, each item and the collect task are Lambda invocations; store calls per item is what scales the cost.',
    '',
    table(['items', 'maxConcurrency', 'wall s', 'items/s', 'store calls', 'store calls / item'], results.map((r) => [
      String(r.items), String(r.maxConcurrency), fixed(r.wallMs / 1000, 1), fixed(r.items / (r.wallMs / 1000), 1), String(r.storeCalls), fixed(r.storeCalls / r.items, 1),
    ])),
  ].join('\n');
}

/** Runs the map benchmark on a fresh stack. */
export async function mapBench(items = 1_000, maxConcurrency = 40): Promise<string> {
  const stack = await createLocalStack({ inMemory: true, logLevel: 'SILENT' });
  try {
    return mapSection([await mapRun(stack, items, maxConcurrency)]);
  } finally {
    await stack.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  mapBench(Number(process.argv[2] ?? 1_000), Number(process.argv[3] ?? 40)).then((text) => {
    console.log(text);
    process.exit(0);
  }, (error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}

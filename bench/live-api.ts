/**
 * Benchmarks (5) and (6) on the local stack (`createLocalStack`, in memory, loopback only):
 * live progress latency (a node transition's recorded time to a subscribed client's receipt, with
 * 1 and 100 subscribers) and sustained run-status reads (requests/s and latency percentiles).
 */
import { BraidHttpClient } from '../client/http-client';
import { LiveClient } from '../client/ws-client';
import { createLocalStack, type LocalStack } from '../infra/local/stack';
import type { RunEvent } from '../shared/model/types';
import { quantile } from './stats';

/** Latency percentiles in ms. */
export interface Latency {
  samples: number;
  p50: number;
  p99: number;
}

/** Starts an in-memory local stack with quiet logs. */
export function startStack(): Promise<LocalStack> {
  return createLocalStack({ inMemory: true, logLevel: 'SILENT' });
}

/** A run of a `sleep` node (time to subscribe) then `steps` echo-and-sleep nodes in a chain. */
function liveWorkflow(steps: number, headStartMs: number) {
  const nodes = [
    { id: 'wait', type: 'tool_call', tool: { kind: 'builtin', name: 'sleep' }, inputs: { ms: headStartMs } },
    ...Array.from({ length: steps }, (_, i) => ({ id: `s${i}`, type: 'tool_call', tool: { kind: 'builtin', name: 'sleep' }, inputs: { ms: 20 } })),
  ];
  const edges = nodes.slice(1).map((n, i) => ({ from: (nodes[i] as { id: string }).id, to: n.id }));
  return { name: 'bench-live', nodes, edges };
}

async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const end = performance.now() + ms;
  while (!check()) {
    if (performance.now() > end) throw new Error(`${what} not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * Starts a run, subscribes `subscribers` clients during its head start, and measures, for every
 * event recorded after all of them were subscribed, receipt time minus the event's `at`.
 */
export async function liveLatency(stack: LocalStack, subscribers: number, steps = 15): Promise<Latency> {
  const token = await stack.token('bench-user');
  const http = new BraidHttpClient({ url: stack.httpUrl, token });
  const workflow = await http.createWorkflow(liveWorkflow(steps, 1_500 + subscribers * 20));
  const { runId } = await http.startRun(workflow.id, {});
  const received: Array<{ event: RunEvent; at: number }> = [];
  const ready = new Set<number>();
  const clients: LiveClient[] = [];
  let subscribedAt = Infinity;
  let terminal = 0;
  for (let i = 0; i < subscribers; i++) {
    const client = new LiveClient({ url: stack.wsUrl as string, token });
    client.subscribe(runId, {
      onEvent: (event) => {
        received.push({ event, at: Date.now() });
        ready.add(i);
        if (event.type.startsWith('run.') && event.type !== 'run.started') terminal += 1;
      },
      onError: (e) => {
        throw new Error(`subscription error ${e.code}`);
      },
    });
    clients.push(client);
  }
  try {
    await until(() => ready.size === subscribers, 30_000, 'every client caught up');
    subscribedAt = Date.now();
    await until(() => terminal === subscribers, 60_000, 'every client saw the run end');
  } finally {
    for (const c of clients) c.close();
  }
  const latencies = received.filter((r) => Date.parse(r.event.at) > subscribedAt).map((r) => r.at - Date.parse(r.event.at));
  return { samples: latencies.length, p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99) };
}

/** Status reads of one finished run from `concurrency` loops for `durationMs` (bounded in time). */
export async function statusReads(stack: LocalStack, concurrency: number, durationMs: number): Promise<Latency & { requestsPerSecond: number; errors: number }> {
  const token = await stack.token('bench-reader');
  const http = new BraidHttpClient({ url: stack.httpUrl, token });
  const workflow = await http.createWorkflow({ name: 'bench-read', nodes: [{ id: 'a', type: 'tool_call', tool: { kind: 'builtin', name: 'echo' } }], edges: [] });
  const { runId } = await http.startRun(workflow.id, {});
  await until(() => true, 0, 'start');
  const url = `${stack.httpUrl}/api/v1/workflows/runs/${encodeURIComponent(runId)}`;
  const headers = { authorization: `Bearer ${token}` };
  const latencies: number[] = [];
  let errors = 0;
  const start = performance.now();
  const end = start + durationMs;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        const res = await fetch(url, { headers });
        await res.arrayBuffer();
        if (res.status !== 200) errors += 1;
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  return { samples: latencies.length, p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), requestsPerSecond: latencies.length / elapsed, errors };
}

/**
 * Benchmarks (5) and (6) on the local stack (`createLocalStack`, in memory, loopback only):
 * live progress latency (a node transition's recorded time to a subscribed client's receipt, with
 * 1 and 100 subscribers, and the store writes the live path makes per event), many subscribers across
 * many runs, and sustained run-status reads (requests/s and latency percentiles).
 */
import { BraidHttpClient } from '../client/http-client';
import { LiveClient, TERMINAL_EVENT_TYPES } from '../client/ws-client';
import { createLocalStack, type LocalStack, type LocalStackOptions } from '../infra/local/stack';
import type { RunEvent } from '../shared/model/types';
import { quantile } from './stats';

/** Latency percentiles in ms. */
export interface Latency {
  samples: number;
  p50: number;
  p99: number;
}

/** Live latency, and the store writes the live path (fan-out marks, subscriptions, connections) made per event. */
export interface LiveLatency extends Latency {
  /** Events of the run delivered while the writes were counted. */
  events: number;
  /** Live-path writes (items `RUN#…/FANOUT`, `RUN#…/SUB#…`, `CONN#…`) while those events were delivered, per event. */
  writesPerEvent: number;
}

/** Counts the table client's writes to live-path items while `counting` is on. */
function countLiveWrites(stack: LocalStack): { start(): void; stop(): number } {
  let on = false;
  let writes = 0;
  const isLive = (key: Record<string, unknown> | undefined) => {
    const pk = String(key?.PK ?? '');
    const sk = String(key?.SK ?? '');
    return sk === 'FANOUT' || sk.startsWith('SUB#') || pk.startsWith('CONN#');
  };
  const middlewareStack = stack.table.client.middlewareStack as unknown as { add(m: unknown, o: object): void };
  middlewareStack.add(
    (next: (args: { input: Record<string, unknown> }) => Promise<unknown>, context: { commandName?: string }) => async (args: { input: Record<string, unknown> }) => {
      if (on && /^(Put|Update|Delete)/.test(context.commandName ?? '') && isLive((args.input.Key ?? args.input.Item) as Record<string, unknown> | undefined)) writes += 1;
      return next(args);
    },
    { step: 'initialize', name: 'benchLiveWrites', override: true },
  );
  return {
    start() { on = true; writes = 0; },
    stop() { on = false; return writes; },
  };
}

/** Starts an in-memory local stack with quiet logs. */
export function startStack(options: Pick<LocalStackOptions, 'livePoster'> = {}): Promise<LocalStack> {
  return createLocalStack({ inMemory: true, logLevel: 'SILENT', ...options });
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
export async function liveLatency(stack: LocalStack, subscribers: number, steps = 15): Promise<LiveLatency> {
  const writes = countLiveWrites(stack);
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
    writes.start();
    await until(() => terminal === subscribers, 60_000, 'every client saw the run end');
  } finally {
    for (const c of clients) c.close();
  }
  const liveWrites = writes.stop();
  const timed = received.filter((r) => Date.parse(r.event.at) > subscribedAt);
  const latencies = timed.map((r) => r.at - Date.parse(r.event.at));
  // Writes are counted from the moment all were subscribed: divide by the events delivered from then on.
  const events = new Set(received.filter((r) => r.at >= subscribedAt).map((r) => r.event.seq)).size;
  return { samples: latencies.length, p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), events, writesPerEvent: events > 0 ? liveWrites / events : 0 };
}

/** What `liveCapacity` saw. */
export interface LiveCapacity extends Latency {
  runs: number;
  subscriptions: number;
  /** Seconds it took to connect and subscribe every client (in waves of 50). */
  connectSeconds: number;
  /** Events delivered to clients' callbacks in all. */
  delivered: number;
  /** Refused subscriptions, reconnects, internal server errors, and clients whose events were not their run's log in order. */
  errors: number;
}

/**
 * `runs` runs with `perRun` clients each (one connection per client), connected in waves of 50 during the
 * runs' head start; every client must receive its run's whole log, once, in order. Latency: receipt minus
 * the event's `at`, for events recorded after the receiving client had caught up.
 */
export async function liveCapacity(stack: LocalStack, runs: number, perRun: number, steps = 5): Promise<LiveCapacity> {
  const token = await stack.token('bench-capacity');
  const http = new BraidHttpClient({ url: stack.httpUrl, token });
  const workflow = await http.createWorkflow(liveWorkflow(steps, 3_000 + runs * perRun * 20));
  const runIds: string[] = [];
  for (let i = 0; i < runs; i++) runIds.push((await http.startRun(workflow.id, {})).runId);
  let refused = 0;
  let finished = 0;
  let delivered = 0;
  const received: Array<{ at: number; event: RunEvent }> = [];
  const seen: number[][] = [];
  const clients: LiveClient[] = [];
  const t0 = performance.now();
  let subscribedAt = Infinity;
  try {
    const all = runIds.flatMap((runId) => Array.from({ length: perRun }, () => runId));
    for (let from = 0; from < all.length; from += 50) {
      const wave = all.slice(from, from + 50).map((runId) => {
        const client = new LiveClient({ url: stack.wsUrl as string, token, maxReconnectMs: 1_000 });
        const mine: number[] = [];
        let readyAt = Infinity;
        seen.push(mine);
        client.subscribe(runId, {
          onEvent: (event) => {
            mine.push(event.seq);
            const now = Date.now();
            readyAt = Math.min(readyAt, now);
            // Timed: events recorded after this client had caught up (others may still be connecting).
            if (Date.parse(event.at) > readyAt) received.push({ at: now, event });
            delivered += 1;
            if (TERMINAL_EVENT_TYPES.includes(event.type)) finished += 1;
          },
          onError: () => {
            refused += 1;
            finished += 1;
          },
        });
        clients.push(client);
        return mine;
      });
      await until(() => wave.every((mine) => mine.length > 0), 60_000, 'a wave of clients caught up');
    }
    subscribedAt = Date.now();
    await until(() => finished === runs * perRun, 180_000, 'every client saw its run end');
  } finally {
    for (const c of clients) c.close();
  }
  const connectSeconds = (subscribedAt - (Date.now() - (performance.now() - t0))) / 1000;
  let errors = refused + clients.reduce((n, c) => n + c.reconnects + c.internalErrors, 0);
  for (const mine of seen) if (!mine.every((seq, i) => seq === i + 1)) errors += 1;
  const latencies = received.map((r) => r.at - Date.parse(r.event.at));
  return {
    runs, subscriptions: runs * perRun, connectSeconds, delivered, errors,
    samples: latencies.length, p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99),
  };
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

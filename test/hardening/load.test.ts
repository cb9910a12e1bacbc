/**
 * Load on the local stack (loopback only, bounded): many concurrent runs, each watched by several WebSocket
 * subscribers. Nothing is lost (every subscriber gets every event of its run once, in order) and memory stays
 * steady across two equal rounds (heap after a forced GC, reported). `BRAID_LOAD_RUNS` and
 * `BRAID_LOAD_SUBSCRIBERS` raise the size.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestStack, type TestStack } from '../support/local-stack';
import { createWorkflow, getEvents, startRun, waitFor, waitForRun } from '../runs/helpers';

const RUNS = Number(process.env.BRAID_LOAD_RUNS) || 8;
const SUBSCRIBERS = Number(process.env.BRAID_LOAD_SUBSCRIBERS) || 2;
const echo = { kind: 'builtin', name: 'echo' } as const;
const FAN = {
  name: 'load',
  nodes: [
    { id: 'a', type: 'tool_call', tool: echo, inputs: { q: '$context.q' } },
    { id: 'b', type: 'tool_call', tool: echo, inputs: { q: '$a.q' } },
    { id: 'c', type: 'tool_call', tool: echo },
    { id: 'd', type: 'tool_call', tool: echo },
    { id: 'e', type: 'tool_call', tool: echo, inputs: { b: '$b.q' } },
  ],
  edges: [{ from: 'a', to: 'b' }, { from: 'a', to: 'c' }, { from: 'a', to: 'd' }, { from: 'b', to: 'e' }, { from: 'c', to: 'e' }, { from: 'd', to: 'e' }],
};

/** Forces a full GC (exposing it at run time), then reads the heap. */
function heapAfterGc(): number {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

let stack: TestStack;
let workflowId: string;
beforeAll(async () => {
  stack = await startTestStack({ live: true });
  workflowId = await createWorkflow(stack, 'loader', FAN);
});
afterAll(async () => {
  await stack?.close();
});

interface Subscriber {
  socket: WebSocket;
  seqs: number[];
}

/**
 * What a client makes of the frames (`client/ws-client.ts`): the server sends at least once and catch-up may
 * interleave with live pushes, so drop a seq already held, hold what comes ahead, deliver in seq order.
 */
function delivered(seqs: readonly number[]): number[] {
  const out: number[] = [];
  const ahead = new Set<number>();
  for (const seq of seqs) {
    const last = out.at(-1) ?? 0;
    if (seq <= last) continue;
    ahead.add(seq);
    for (let next = last + 1; ahead.delete(next); next += 1) out.push(next);
  }
  return out;
}

async function subscriber(token: string): Promise<Subscriber> {
  const socket = new WebSocket(`${stack.wsUrl}/?token=${encodeURIComponent(token)}`);
  const sub: Subscriber = { socket, seqs: [] };
  socket.on('message', (data) => {
    const message = JSON.parse(String(data)) as { type: string; seq?: number };
    if (message.type.includes('.') && typeof message.seq === 'number') sub.seqs.push(message.seq);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  return sub;
}

/** One round: `RUNS` runs at once, `SUBSCRIBERS` sockets each; returns how many events the clients delivered. */
async function round(token: string): Promise<number> {
  const results = await Promise.all(Array.from({ length: RUNS }, async (_, i) => {
    const subs = await Promise.all(Array.from({ length: SUBSCRIBERS }, () => subscriber(token)));
    const runId = await startRun(stack, 'loader', workflowId, { input: { q: i } });
    for (const s of subs) s.socket.send(JSON.stringify({ action: 'subscribe', runId }));
    const run = await waitForRun(stack, 'loader', runId, ['succeeded', 'failed'], 30_000 + RUNS * SUBSCRIBERS * 500);
    // The run reads `succeeded` a moment before its `run.succeeded` event is appended (the state is written first):
    // wait for the event, as a client following the run would.
    const events = await waitFor(async () => {
      const all = await getEvents(stack, 'loader', runId);
      return all.at(-1)?.type === `run.${run.status}` ? all : undefined;
    }, `run ${runId}'s final event`, 15_000);
    const last = events.at(-1)?.seq ?? 0;
    await Promise.all(subs.map((s) => waitFor(async () => (delivered(s.seqs).at(-1) === last ? true : undefined), `subscriber of ${runId} to reach seq ${last}`, 30_000)));
    for (const s of subs) s.socket.close();
    return { run, events, subs };
  }));
  let total = 0;
  for (const { run, events, subs } of results) {
    expect(run.status).toBe('succeeded');
    expect(events.map((e) => e.seq)).toStrictEqual(events.map((_, i) => i + 1));
    for (const s of subs) expect(delivered(s.seqs), 'lost events').toStrictEqual(events.map((e) => e.seq));
    // Events the clients delivered (the raw frames vary: the server may send an event twice).
    total += subs.reduce((n, s) => n + delivered(s.seqs).length, 0);
  }
  return total;
}

describe('load', () => {
  it(`${RUNS} concurrent runs × ${SUBSCRIBERS} subscribers, twice: nothing lost, heap steady`, { timeout: 120_000 + RUNS * SUBSCRIBERS * 2_000 }, async () => {
    // Prepare
    const token = await stack.token('loader');
    const before = heapAfterGc();

    // Act
    const started = Date.now();
    const first = await round(token);
    const afterFirst = heapAfterGc();
    const second = await round(token);
    const afterSecond = heapAfterGc();
    const seconds = (Date.now() - started) / 1000;

    // Assess
    expect(second).toBe(first);
    const mb = (n: number) => Math.round((n / 1_048_576) * 10) / 10;
    console.info(`[load] ${2 * RUNS} runs, ${first + second} events pushed to ${2 * RUNS * SUBSCRIBERS} subscribers in ${seconds.toFixed(1)} s; heap ${mb(before)} MB before, ${mb(afterFirst)} MB after round 1, ${mb(afterSecond)} MB after round 2`);
    // Steady: the second round may not grow the heap by more than a third of what the first round added, plus 8 MB of slack.
    expect(afterSecond - afterFirst).toBeLessThan(Math.max(0, afterFirst - before) / 3 + 8 * 1_048_576);
  });
});

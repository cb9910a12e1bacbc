/**
 * Fault injection over many simulated runs: the store fails before commit, times out after commit (the
 * ambiguous case) or throttles; the orchestrator and the connection poster fail before or after taking effect.
 * A client retries what the API calls retryable (503 / `Braid.Transient`) with its idempotency key. Afterwards
 * (faults off): every run ended within its timeouts, its records agree with its gap-free log, no tool call was
 * repeated for one attempt, and every subscriber's client delivered every event once, in order.
 * `BRAID_FAULT_RUNS` raises the number of runs, `BRAID_FAULT_SEED` replays a seed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toErrorResponse } from '../../functions/http/error-response';
import type { WorkflowDefinition } from '../../shared/definition/schema';
import { isEventMessage, type ServerMessage } from '../../shared/live/messages';
import { TERMINAL_RUN_STATUSES, type RunStatus } from '../../shared/model/types';
import { startHttpToolServer, type HttpToolServerHandle } from '../support/http-tool-server';
import { waitFor } from '../runs/helpers';
import { assertConsistentRun } from './run-harness';
import { startFaultyRuntime, type FaultyRuntime } from './fault-wiring';

const RUNS = Number(process.env.BRAID_FAULT_RUNS) || 16;
const SEED = Number(process.env.BRAID_FAULT_SEED) || 20_301;
const PROFILE = {
  store: { throttle: 0.01, before: 0.01, after: 0.01 },
  orchestrator: { before: 0.04, after: 0.04 },
  poster: { before: 0.05, after: 0.03 },
  seed: SEED,
};

let tool: HttpToolServerHandle;
let rt: FaultyRuntime;
const linear = (url: string): WorkflowDefinition => ({
  name: 'linear',
  nodes: [
    { id: 'a', type: 'tool_call', tool: { kind: 'builtin', name: 'echo' }, inputs: { q: '$context.q' } },
    { id: 't', type: 'tool_call', tool: { kind: 'http', url, method: 'POST' }, inputs: { q: '$a.q' }, retry: { maxAttempts: 3 } },
    { id: 'c', type: 'condition', expression: '$context.q' },
    { id: 'y', type: 'tool_call', tool: { kind: 'builtin', name: 'echo' } },
    { id: 'n', type: 'tool_call', tool: { kind: 'builtin', name: 'echo' } },
  ],
  edges: [{ from: 'a', to: 't' }, { from: 't', to: 'c' }, { from: 'c', to: 'y', when: 1 }, { from: 'c', to: 'n', default: true }],
});
const GATED: WorkflowDefinition = {
  name: 'gated',
  nodes: [
    { id: 'ask', type: 'human_gate', prompt: 'go?', timeoutSeconds: 60 },
    { id: 'after', type: 'tool_call', tool: { kind: 'builtin', name: 'echo' }, inputs: { by: '$ask.by' } },
  ],
  edges: [{ from: 'ask', to: 'after' }],
};

beforeAll(async () => {
  tool = await startHttpToolServer();
  rt = await startFaultyRuntime(PROFILE, ['a', 't', 'c', 'y', 'n', 'ask', 'after', 'braid:finalize']);
});
afterAll(async () => {
  await rt?.close();
  await tool?.close();
});

/** Retries what the API would answer 503; returns the value or the final HTTP status. */
async function client<T>(call: () => Promise<T>): Promise<{ value?: T; status: number; retries: number }> {
  for (let retries = 0; ; retries += 1) {
    try {
      return { value: await call(), status: 200, retries };
    } catch (error) {
      const { status } = toErrorResponse(error);
      if (status !== 503 || retries >= 12) return { status, retries };
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
}

/**
 * What a client makes of the frames a connection received (`client/ws-client.ts`): it drops a seq it holds,
 * holds what comes ahead of a missing one, and delivers in seq order. Returns the delivered seqs.
 */
function delivered(conn: string, runId?: string): number[] {
  const out: number[] = [];
  const ahead = new Set<number>();
  for (const m of (rt.received.get(conn) ?? []).map((f) => JSON.parse(f) as ServerMessage)) {
    if (!isEventMessage(m) || (runId !== undefined && m.runId !== runId)) continue;
    const last = out.at(-1) ?? 0;
    if (m.seq <= last) continue;
    ahead.add(m.seq);
    for (let next = last + 1; ahead.delete(next); next += 1) out.push(next);
  }
  return out;
}

/** The last seq a client delivered on the connection: what it resubscribes from. */
function lastSeq(conn: string): number {
  return delivered(conn).at(-1) ?? 0;
}

describe('fault injection', () => {
  it(`${RUNS} runs under store, orchestrator and poster faults: nothing lost, nothing repeated`, { timeout: 120_000 }, async () => {
    // Prepare
    const wfLinear = await rt.publish('alice', linear(tool.url));
    const wfGated = await rt.publish('alice', GATED);
    rt.setFaults(true);
    const statuses: number[] = [];

    // Act
    const started = await Promise.all(Array.from({ length: RUNS }, async (_, i) => {
      const workflowId = i % 3 === 2 ? wfGated : wfLinear;
      const conn = `conn-${i}`;
      await client(() => rt.live.connect(conn, 'alice'));
      const start = await client(() => rt.runs.start({ userId: 'alice' }, workflowId, { input: { q: i % 2 }, idempotencyKey: `k-${i}` }));
      statuses.push(start.status);
      const runId = start.value?.runId;
      if (!runId) return undefined;
      // A failed subscribe reaches a real client as API Gateway's "Internal server error", after which it subscribes
      // again from the last seq it delivered (`client/ws-client.ts`): do the same.
      for (let tries = 1; ; tries += 1) {
        const ok = await rt.live.handleMessage(conn, JSON.stringify({ action: 'subscribe', runId, after: lastSeq(conn) })).then(() => true, () => false);
        if (ok || tries >= 12) break;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      if (workflowId === wfGated) {
        // The gate opens, or the run ends before it (a node out of service retries): no wait is left to time out.
        await waitFor(async () => {
          if ((await rt.clean.gates.get(runId, 'ask'))?.status) return true;
          const run = await rt.clean.store.runs.get(runId);
          return run && (TERMINAL_RUN_STATUSES as readonly RunStatus[]).includes(run.status) ? true : undefined;
        }, `gate of ${runId} to open (or the run to end)`);
        const decided = await client(() => rt.gates.decide({ userId: 'alice' }, runId, 'ask', 'approve', {}));
        statuses.push(decided.status);
      }
      return { runId, conn, gated: workflowId === wfGated };
    }));
    const runs = started.filter((r): r is NonNullable<typeof r> => r !== undefined);
    const ended = await Promise.all(runs.map((r) => waitFor(async () => {
      const run = await rt.clean.store.runs.get(r.runId);
      return run && (TERMINAL_RUN_STATUSES as readonly RunStatus[]).includes(run.status) ? run : undefined;
    }, `run ${r.runId} to end`, 30_000).catch(async (error: unknown) => {
      const [run, nodes, log, gate] = await Promise.all([rt.clean.store.runs.get(r.runId), rt.clean.nodeRuns.list(r.runId), rt.clean.events.list(r.runId), rt.clean.gates.get(r.runId, 'ask')]);
      throw new Error(`${String(error)}\n${JSON.stringify({ run, nodes: [...nodes.values()], events: log.events.map((e) => `${e.seq} ${e.type} ${e.nodeId ?? ''}`), gate }, null, 1)}`);
    })));
    rt.setFaults(false);
    await rt.stream.idle();
    // A fan-out batch the stream dropped left the run's mark behind: the next fan-out of the run sends it again.
    for (const r of runs) await rt.live.fanOut(r.runId);

    // Assess
    expect(statuses.filter((s) => s === 500), `500s under faults: ${statuses.join(',')}`).toStrictEqual([]);
    expect(runs.length, 'a start failed for good').toBe(RUNS);
    for (const [i, r] of runs.entries()) {
      const events = await assertConsistentRun(rt.clean, r.runId);
      const run = ended[i]!;
      if (run.status === 'succeeded') {
        const nodes = await rt.clean.nodeRuns.list(r.runId);
        for (const node of nodes.values()) expect(['succeeded', 'skipped'], `${r.runId}/${node.nodeId}`).toContain(node.status);
      }
      // The server sends at least once and catch-up may interleave with live pushes; the client orders by seq.
      expect(delivered(r.conn, r.runId), `subscriber of ${r.runId} missed events`).toStrictEqual(events.map((e) => e.seq));
    }
    const keys = tool.requests.map((q) => String(q.headers['idempotency-key']));
    expect(keys.length - new Set(keys).size, 'a tool call was repeated for the same attempt').toBe(0);
    const succeeded = ended.filter((r) => r.status === 'succeeded').length;
    const failures = ended.filter((r) => r.status !== 'succeeded').map((r) => `${r.status}:${r.error?.name}:${r.error?.message?.slice(0, 80)}`);
    // A run may fail only because a node ran out of service retries under the injected faults.
    for (const f of failures) expect(f, 'a run failed for a reason other than exhausted transient retries').toMatch(/^failed:Braid\.Transient:/);
    console.info(`[faults] seed ${SEED}: ${runs.length} runs, ${succeeded} succeeded, failed ${JSON.stringify(failures)}, injected store ${JSON.stringify(rt.faults.store.counts)} of ${rt.faults.store.calls} calls, orchestrator ${JSON.stringify(rt.faults.orchestrator.counts)}, poster ${JSON.stringify(rt.faults.poster.counts)}, dropped stream batches ${rt.droppedBatches}`);
  });
});

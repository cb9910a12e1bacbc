/**
 * Exactly-once transitions: the executor's deliveries arrive twice, concurrently, out of order, and after the
 * run ended (a fast-check scheduler interleaves their store calls). Each (run, node, attempt) gets one terminal
 * record that never changes, node and run statuses never go backwards, `seq` has no gaps, each transition is
 * logged once, and deliveries after the end change nothing. `BRAID_FUZZ_RUNS` raises the number of cases.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkflowDefinition } from '../../shared/definition/schema';
import { TERMINAL_NODE_STATUSES, TERMINAL_RUN_STATUSES } from '../../shared/model/types';
import { assertConsistentRun, startRunHarness, type RunHarness } from './run-harness';
import { fuzzRuns, fuzzTimeout } from './fuzz-arbitraries';

const FLOW: WorkflowDefinition = {
  name: 'flow',
  nodes: [
    { id: 'a', type: 'tool_call', tool: { kind: 'builtin', name: 'echo' }, inputs: { q: '$context.q' } },
    { id: 'c', type: 'condition', expression: '$context.q' },
    { id: 'b', type: 'tool_call', tool: { kind: 'builtin', name: 'echo' }, inputs: { from: '$a.q' } },
    { id: 'x', type: 'tool_call', tool: { kind: 'builtin', name: 'echo' } },
    { id: 'f', type: 'tool_call', tool: { kind: 'builtin', name: 'fail' }, inputs: { times: 1 }, retry: { maxAttempts: 3 } },
  ],
  edges: [{ from: 'a', to: 'c' }, { from: 'c', to: 'b', when: 1 }, { from: 'c', to: 'x', default: true }, { from: 'a', to: 'f' }],
};
const NODES = ['a', 'c', 'b', 'x', 'f'] as const;

type Delivery = { action: 'execute'; nodeId: (typeof NODES)[number]; attempt: number } | { action: 'finalize'; error?: { Error: string; Cause: string } };

const delivery: fc.Arbitrary<Delivery> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ action: fc.constant('execute' as const), nodeId: fc.constantFrom(...NODES), attempt: fc.nat(2) }) },
  { weight: 1, arbitrary: fc.record({ action: fc.constant('finalize' as const) }, { requiredKeys: ['action'] }) },
  { weight: 1, arbitrary: fc.constant<Delivery>({ action: 'finalize', error: { Error: 'Braid.NodeFailed', Cause: '{"errorMessage":"boom"}' } }) },
);

/** Error names a delivery may end with (the ASL contract plus the run-finished signal). */
const EXPECTED_ERRORS = new Set(['Braid.NodeFailed', 'Braid.BindingFailed', 'Braid.RunFinished', 'Braid.Superseded', 'States.Timeout']);
const TERMINAL = new Set<string>([...TERMINAL_NODE_STATUSES]);

let h: RunHarness;
beforeAll(async () => { h = await startRunHarness(); });
afterAll(async () => { await h?.close(); });

describe('exactly-once transitions', () => {
  // The scheduler serializes every store call, and each delivery also takes and releases its node's claim: allow 90 s.
  it('duplicate, concurrent, out-of-order and late deliveries leave one consistent history', { timeout: fuzzTimeout(90_000) }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.array(fc.array(delivery, { minLength: 1, maxLength: 3 }), { minLength: 2, maxLength: 6 }),
        async (s, groups) => {
          // Prepare
          const { runId } = await h.seedRun(FLOW);
          const deliver = async (d: Delivery): Promise<string> => {
            try {
              const out = d.action === 'execute' ? await h.execution.execute(runId, d.nodeId, d.attempt) : await h.execution.finalize(runId, d.error);
              return `route:${out.route}`;
            } catch (error) {
              const name = error instanceof Error ? error.name : String(error);
              expect(EXPECTED_ERRORS.has(name), `${name}: ${String((error as Error).message)}`).toBe(true);
              return `error:${name}`;
            }
          };
          const nodeHistory = new Map<string, string[]>();
          const attemptSeen = new Map<string, string>();
          const runHistory: string[] = [];
          const snapshot = async () => {
            const nodes = await h.stores.nodeRuns.list(runId);
            for (const id of NODES) {
              const list = nodeHistory.get(id) ?? [];
              list.push(nodes.get(id)?.status ?? 'pending');
              nodeHistory.set(id, list);
              for (const a of nodes.get(id)?.attempts ?? []) {
                const key = `${id}#${a.attempt}`;
                const before = attemptSeen.get(key);
                if (before && before !== 'running') expect(a.status, `attempt ${key} changed after it ended`).toBe(before);
                attemptSeen.set(key, a.status);
              }
            }
            runHistory.push((await h.stores.store.runs.get(runId))?.status ?? 'missing');
          };

          // Act
          h.setHook(() => s.schedule(Promise.resolve(), 'store call').then(() => undefined));
          try {
            for (const group of groups) {
              // Every delivery of a group is sent twice, all at once.
              await s.waitFor(Promise.all([...group, ...group].map((d) => s.schedule(Promise.resolve(), d.action).then(() => deliver(d)))));
              h.setHook(undefined);
              await snapshot();
              h.setHook(() => s.schedule(Promise.resolve(), 'store call').then(() => undefined));
            }
          } finally {
            h.setHook(undefined);
          }
          await deliver({ action: 'finalize' });
          const ended = await assertConsistentRun(h.stores, runId);
          await snapshot();
          for (const d of groups.flat()) await deliver(d);
          await snapshot();

          // Assess
          const after = await assertConsistentRun(h.stores, runId);
          expect(after.length, 'a delivery after the end logged something').toBe(ended.length);
          for (const [id, list] of nodeHistory) {
            const first = list.findIndex((x) => TERMINAL.has(x));
            if (first >= 0) expect(new Set(list.slice(first)).size, `node ${id} left a final status: ${list.join(' > ')}`).toBe(1);
          }
          const runFinal = runHistory.findIndex((x) => (TERMINAL_RUN_STATUSES as readonly string[]).includes(x));
          expect(runFinal, 'finalize did not end the run').toBeGreaterThanOrEqual(0);
          expect(new Set(runHistory.slice(runFinal)).size, `run left its final status: ${runHistory.join(' > ')}`).toBe(1);
        },
      ),
      { numRuns: fuzzRuns(12) },
    );
  });
});

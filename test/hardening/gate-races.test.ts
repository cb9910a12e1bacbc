/**
 * Gate races, model-based: approve, reject, cancel, the gate's timeout, and duplicate and concurrent decisions
 * by different people, fired together while a fast-check scheduler interleaves their store calls in random
 * orders. Exactly one decision wins, the task token is used at most once, every loser gets a clear 409, and
 * the run's records agree with its event log. `BRAID_FUZZ_RUNS` raises the number of cases.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toErrorResponse } from '../../functions/http/error-response';
import type { WorkflowDefinition } from '../../shared/definition/schema';
import { assertConsistentRun, startRunHarness, type RunHarness } from './run-harness';
import { fuzzRuns, fuzzTimeout } from './fuzz-arbitraries';

const GATED: WorkflowDefinition = {
  name: 'gated',
  nodes: [
    { id: 'ask', type: 'human_gate', prompt: 'Ship it?', timeoutSeconds: 60 },
    { id: 'after', type: 'tool_call', tool: { kind: 'builtin', name: 'echo' } },
  ],
  edges: [{ from: 'ask', to: 'after' }],
};

type Command =
  | { kind: 'approve' | 'reject'; as: 'alice' | 'bob' | 'carol' }
  | { kind: 'cancel'; as: 'alice' | 'bob' }
  | { kind: 'timeout' };

const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constantFrom('approve' as const, 'reject' as const), as: fc.constantFrom('alice' as const, 'bob' as const, 'carol' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cancel' as const), as: fc.constantFrom('alice' as const, 'bob' as const) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'timeout' as const }) },
);

/** Conflict reasons a losing decision may carry. */
const LOSER_REASONS = new Set(['already_decided', 'gate_closed', 'gate_timed_out', 'run_finished', 'task_closed', 'task_timed_out']);

let h: RunHarness;
beforeAll(async () => { h = await startRunHarness(); });
afterAll(async () => { await h?.close(); });

describe('gate races', () => {
  it('exactly one decision wins, the token is used at most once, losers get 409', { timeout: fuzzTimeout(180_000) }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), fc.array(command, { minLength: 2, maxLength: 5 }), async (s, commands) => {
        // Prepare
        const { runId } = await h.seedRun(GATED);
        const token = `tok-${runId}`;
        h.orchestrator.issueToken(runId, token);
        await h.execution.gate(runId, 'ask', 0, token);
        const run = async (c: Command): Promise<{ status: number; reason?: string; skipped?: boolean }> => {
          try {
            if (c.kind === 'timeout') {
              // The engine times the task out only while its token is still open.
              if (h.orchestrator.ledger.tokens.get(token)?.state !== 'open') return { status: 0, skipped: true };
              h.orchestrator.timeOutTokens(runId);
              h.advance(61_000);
              await h.execution.finalize(runId, { Error: 'States.Timeout', Cause: 'the gate task timed out' });
            } else if (c.kind === 'cancel') {
              await h.runs.cancel({ userId: c.as }, runId);
            } else {
              await h.gates.decide({ userId: c.as }, runId, 'ask', c.kind, { comment: `${c.kind} by ${c.as}` });
            }
            return { status: 200 };
          } catch (error) {
            const res = toErrorResponse(error);
            return { status: res.status, reason: (res.body.error as { reason?: string } | undefined)?.reason };
          }
        };

        // Act
        h.setHook(() => s.schedule(Promise.resolve(), 'store call').then(() => undefined));
        let outcomes: Awaited<ReturnType<typeof run>>[];
        try {
          outcomes = await s.waitFor(Promise.all(commands.map((c) => s.schedule(Promise.resolve(), c.kind).then(() => run(c)))));
        } finally {
          h.setHook(undefined);
        }

        // Assess
        const gate = await h.stores.gates.get(runId, 'ask');
        const story = JSON.stringify({ commands, outcomes, gate: { status: gate?.status, by: gate?.decidedBy }, sends: h.orchestrator.ledger.sends.filter((x) => x.taskToken === token) });
        const decisions = commands.map((c, i) => ({ c, o: outcomes[i]! })).filter((x) => x.c.kind === 'approve' || x.c.kind === 'reject');
        for (const { o } of outcomes.map((o, i) => ({ o, c: commands[i] }))) expect(o.status, JSON.stringify(o)).not.toBe(500);
        const winners = decisions.filter((d) => d.o.status === 200);
        expect(winners.length, story).toBeLessThanOrEqual(1);
        commands.forEach((c, i) => {
          // Cancelling takes the starter, an editor or the owner: bob (approver) may decide but not cancel.
          if (c.kind === 'cancel' && c.as === 'bob') expect(outcomes[i]?.status, story).toBe(403);
          if (c.kind === 'cancel' && c.as === 'alice') expect([200, 409], story).toContain(outcomes[i]?.status);
        });
        for (const d of decisions) {
          const c = d.c as Extract<Command, { as: string }>;
          if (c.as === 'carol') expect(d.o.status).toBe(403);
          else if (d.o.status !== 200) {
            expect(d.o.status, JSON.stringify(d.o)).toBe(409);
            expect(LOSER_REASONS.has(d.o.reason ?? ''), `unclear reason ${d.o.reason}`).toBe(true);
          }
        }
        const winner = winners[0]?.c as Extract<Command, { as: string }> | undefined;
        if (winner) {
          expect(gate?.status).toBe(winner.kind === 'approve' ? 'approved' : 'rejected');
          expect(gate?.decidedBy).toBe(winner.as);
        }
        if (gate?.status === 'approved' || gate?.status === 'rejected') expect(winner, `the gate was decided but its decider was told it lost: ${story}`).toBeDefined();
        const sends = h.orchestrator.ledger.sends.filter((x) => x.taskToken === token);
        expect(sends.filter((x) => x.accepted).length, 'token completed twice').toBeLessThanOrEqual(1);
        // A loser may finish the winner's interrupted follow-up (and find the token spent), never send its own decision.
        const recorded = gate?.status === 'approved' ? 'success' : gate?.status === 'rejected' ? 'failure' : undefined;
        for (const x of sends) expect(x.kind, `a send that is not the recorded decision: ${story}`).toBe(recorded);
        const acted = commands.some((c) => c.kind === 'timeout' || (c.kind === 'cancel' ? c.as === 'alice' : c.as !== 'carol'));
        if (acted) expect(gate?.status, story).not.toBe('waiting');
        await assertConsistentRun(h.stores, runId);
      }),
      { numRuns: fuzzRuns(40) },
    );
  });
});

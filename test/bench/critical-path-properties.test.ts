import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createAslRunner } from '../../infra/local/asl-runner';
import { compileWorkflow } from '../../shared/compiler/compile';
import { routeKey } from '../../shared/compiler/plan';
import type { WorkflowDefinition } from '../../shared/definition/schema';
import { randomDag } from '../support/asl-arbitraries';
import { aslErrors, recorder, withDeadline, TEST_EXECUTOR, type Behaviour } from '../support/asl-harness';

/** The nodes that must run by the contract's liveness rule, every node succeeding. */
function expectedToRun(def: WorkflowDefinition, routes: Record<string, string>): string[] {
  const type = new Map(def.nodes.map((n) => [n.id, n.type]));
  const memo = new Map<string, boolean>();
  const live = (id: string): boolean => {
    const known = memo.get(id);
    if (known !== undefined) return known;
    const incoming = def.edges.filter((e) => e.to === id);
    const result = incoming.length === 0 || incoming.some((e) => live(e.from) && (type.get(e.from) !== 'condition' || routes[e.from] === routeKey(e)));
    memo.set(id, result);
    return result;
  };
  return def.nodes.filter((n) => n.type !== 'parallel' && n.type !== 'join' && live(n.id)).map((n) => n.id).sort();
}

describe('critical-path strategy: properties on the local engine', () => {
  it('with random duration hints, random DAGs with conditions run exactly their live nodes, each after its predecessors', async () => {
    await fc.assert(
      fc.asyncProperty(randomDag(10), fc.array(fc.integer({ min: 1, max: 100 }), { minLength: 10, maxLength: 10 }), async ({ def, routes }, seconds) => {
        // Prepare: hints on executable nodes make the planner nest (the core's property test runs without hints)
        const hinted: WorkflowDefinition = {
          ...def,
          nodes: def.nodes.map((n, i) => (n.type === 'parallel' || n.type === 'join' ? n : ({ ...n, expectedSeconds: seconds[i] } as typeof n))),
        };
        const { asl } = compileWorkflow(hinted, { executorArn: TEST_EXECUTOR, strategy: 'critical-path' });
        expect(aslErrors(asl)).toBe('');
        const runner = createAslRunner(asl);
        const behaviours: Record<string, Behaviour> = {};
        for (const [id, route] of Object.entries(routes)) behaviours[id] = () => ({ route });
        for (const n of def.nodes) {
          if (n.type === 'human_gate') {
            behaviours[n.id] = (_p, meta) => {
              setTimeout(() => runner.sendTaskSuccess(meta.taskToken as string, { route: 'ok' }), 1);
              return {};
            };
          }
        }
        const rec = recorder(behaviours, 1);
        // Act
        const outcome = await withDeadline(runner.run({ runId: 'p', r: {} }, { invoke: rec.invoke }).outcome, 5_000, 'run');
        // Assess
        expect(outcome.status).toBe('SUCCEEDED');
        expect([...rec.ran()].sort()).toStrictEqual(expectedToRun(def, routes));
        const calls = new Map(rec.calls.filter((c) => c.nodeId !== undefined).map((c) => [c.nodeId as string, c]));
        for (const e of def.edges) {
          const from = calls.get(e.from);
          const to = calls.get(e.to);
          if (from && to) expect(to.start).toBeGreaterThanOrEqual(from.end as number);
        }
      }),
      { numRuns: 25 },
    );
  }, 60_000);
});

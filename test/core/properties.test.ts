import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileWorkflow } from '../../shared/compiler/compile';
import { CompileError } from '../../shared/compiler/errors';
import { routeKey } from '../../shared/compiler/plan';
import { ISSUE_CODES } from '../../shared/definition/issues';
import { validateDefinition } from '../../shared/definition/validate';
import type { WorkflowDefinition } from '../../shared/definition/schema';
import { createAslRunner } from '../../infra/local/asl-runner';
import { aslErrors, recorder, withDeadline, TEST_EXECUTOR, type Behaviour } from '../support/asl-harness';
import { mutate, mutations, randomDag } from '../support/asl-arbitraries';

/** The nodes that must run, by the contract's liveness rule (any live incoming edge), with every node succeeding. */
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

/** Strict ancestors of each node in the full graph. */
function ancestorsOf(def: WorkflowDefinition, id: string): Set<string> {
  const seen = new Set<string>();
  const queue = def.edges.filter((e) => e.to === id).map((e) => e.from);
  while (queue.length > 0) {
    const n = queue.pop() as string;
    if (seen.has(n)) continue;
    seen.add(n);
    queue.push(...def.edges.filter((e) => e.to === n).map((e) => e.from));
  }
  return seen;
}

describe('properties', () => {
  it('random valid DAGs compile to valid ASL whose execution runs each live node after all its predecessors', async () => {
    await fc.assert(
      fc.asyncProperty(randomDag(9), async ({ def, routes }) => {
        // Prepare
        expect(validateDefinition(def).errors).toStrictEqual([]);
        const { asl } = compileWorkflow(def, { executorArn: TEST_EXECUTOR });
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
        for (const [id, call] of calls) {
          for (const a of ancestorsOf(def, id)) {
            const before = calls.get(a);
            if (before) expect(call.start).toBeGreaterThanOrEqual(before.end as number);
          }
        }
        expect(rec.calls.at(-1)?.stateName).toBe('braid:finalize');
      }),
      { numRuns: 25 },
    );
  }, 60_000);

  it('random mutations of valid definitions give structured results, never a throw', () => {
    const codes = new Set<string>(ISSUE_CODES);
    fc.assert(
      fc.property(randomDag(6), mutations(), ({ def }, ms) => {
        // Prepare
        const mutated = mutate(def, ms);
        // Act
        const result = validateDefinition(mutated);
        // Assess
        expect(result.valid).toBe(result.errors.length === 0);
        for (const issue of [...result.errors, ...result.warnings]) {
          expect(codes.has(issue.code)).toBe(true);
          expect(issue.path === '' || issue.path.startsWith('/')).toBe(true);
          expect(typeof issue.message).toBe('string');
        }
        if (result.valid) {
          try {
            compileWorkflow(result.definition as WorkflowDefinition, { executorArn: TEST_EXECUTOR });
          } catch (error) {
            expect(error).toBeInstanceOf(CompileError);
          }
        }
      }),
      { numRuns: 400 },
    );
  });
});

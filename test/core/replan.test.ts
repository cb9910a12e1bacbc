import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileWorkflow } from '../../shared/compiler/compile';
import { planWorkflow } from '../../shared/compiler/plan';
import { historyOf } from '../../shared/compiler/plan-weights';
import { aslMinusNesting, replanWorkflow } from '../../shared/compiler/replan';
import type { WorkflowDefinition } from '../../shared/definition/schema';
import { randomDag } from '../support/asl-arbitraries';
import { TEST_EXECUTOR } from '../support/asl-harness';
import { assertRunsLiveNodesInOrder } from '../support/asl-property-run';

const tool = (id: string, extra: object = {}) => ({ id, type: 'tool_call', tool: { kind: 'builtin', name: 'echo' }, ...extra });

/**
 * `a` feeds a long chain `l1 → l2` and two short nodes `s1`, `s2`, which all meet in `z`. With equal weights
 * the level-agreeing plan waits for `s1` and `l1` together before `l2` and `s2`; with `l1`, `l2` known to be
 * slow, the learned plan runs the chain beside the short nodes. Retries, a timeout and `onError: continue`
 * make the semantics check meaningful.
 */
const definition = {
  name: 'learns',
  nodes: [
    tool('a'),
    tool('l1', { retry: { maxAttempts: 3, intervalSeconds: 2 } }),
    tool('l2', { timeoutSeconds: 90 }),
    tool('s1', { onError: 'continue' }),
    tool('s2'),
    tool('z'),
  ],
  edges: [
    { from: 'a', to: 'l1' }, { from: 'l1', to: 'l2' }, { from: 'l2', to: 'z' },
    { from: 'a', to: 's1' }, { from: 's1', to: 's2' }, { from: 's2', to: 'z' },
    { from: 'a', to: 'x' }, { from: 'x', to: 'z' },
  ],
} as unknown as WorkflowDefinition;
definition.nodes.push(tool('x') as never);

describe('re-planning with learned durations', () => {
  it('registers a plan only for a gain of at least 5%, with the same states and settings minus the nesting', () => {
    // Prepare
    const learned = historyOf({ a: 1, l1: 1, l2: 30, s1: 10, s2: 10, x: 25, z: 1 });
    // Act
    const decision = replanWorkflow({ definition, executorArn: TEST_EXECUTOR, learned });
    const again = replanWorkflow({ definition, executorArn: TEST_EXECUTOR, current: learned, learned });
    // Assess
    expect(decision.gain).toBeGreaterThanOrEqual(0.05);
    expect(decision.compiled).toBeDefined();
    const before = compileWorkflow(definition, { executorArn: TEST_EXECUTOR });
    expect(decision.compiled?.asl).not.toStrictEqual(before.asl);
    expect(aslMinusNesting(decision.compiled!.asl)).toStrictEqual(aslMinusNesting(before.asl));
    expect(decision.compiled?.contract).toStrictEqual(before.contract);
    expect(planWorkflow(definition, 'critical-path', learned).nodes).toStrictEqual(planWorkflow(definition, 'critical-path').nodes);
    expect(again.gain).toBe(0);
    expect(again.compiled).toBeUndefined();
  });

  it('keeps the plan when the learned durations predict less than 5%', () => {
    // Prepare: every node alike, as the equal-weight plan assumed
    const learned = historyOf({ a: 2, l1: 2, l2: 2, s1: 2, s2: 2, x: 2, z: 2 });
    // Act
    const decision = replanWorkflow({ definition, executorArn: TEST_EXECUTOR, learned });
    // Assess
    expect(decision.gain).toBeLessThan(0.05);
    expect(decision.compiled).toBeUndefined();
  });

  it('never changes what a random workflow with conditions does: same states minus nesting, same nodes run in order', async () => {
    await fc.assert(
      fc.asyncProperty(randomDag(10), fc.array(fc.integer({ min: 1, max: 100 }), { minLength: 10, maxLength: 10 }), async ({ def, routes }, seconds) => {
        // Prepare
        const learned = historyOf(Object.fromEntries(def.nodes.map((n, i) => [n.id, seconds[i] as number])));
        // Act: minGain 0 forces the new plan (and its semantics check) whatever the gain
        const decision = replanWorkflow({ definition: def, executorArn: TEST_EXECUTOR, learned, minGain: -1 });
        // Assess
        const before = compileWorkflow(def, { executorArn: TEST_EXECUTOR });
        expect(aslMinusNesting(decision.compiled!.asl)).toStrictEqual(aslMinusNesting(before.asl));
        expect(decision.compiled?.contract).toStrictEqual(before.contract);
        await assertRunsLiveNodesInOrder(decision.compiled!.asl, def, routes);
      }),
      { numRuns: 15 }, // the suite's fixed seed (test/support/property-seed.ts); BRAID_FUZZ_SEED=random explores
    );
  }, 60_000);
});

/**
 * Plans that learn, end to end on the local stack: three succeeded runs record their nodes' durations, the
 * finalizer re-plans the version with the medians (a gain well over 5% here), and the next run starts on the
 * new plan and does the same work; a new version of the workflow is compiled with the learned weights.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDurationStatsRepository } from '../../shared/store/duration-stats';
import { createVersionPlanRepository } from '../../shared/store/version-plans';
import { REPLAN_EVERY_RUNS } from '../../shared/services/plan-learning';
import { createWorkflow, getNodes, startRun, waitFor, waitForRun, type TestStack, startRunStack } from './helpers';

const sleep = (id: string, ms: number) => ({ id, type: 'tool_call', tool: { kind: 'builtin', name: 'sleep' }, inputs: { ms } });

/** `a` feeds a slow chain `l1 → l2`, a short chain `s1 → s2` and `x`, which meet in `z` (see test/core/replan.test.ts). */
const definition = {
  name: 'learns',
  nodes: [sleep('a', 5), sleep('l1', 5), sleep('l2', 400), sleep('s1', 150), sleep('s2', 150), sleep('x', 350), sleep('z', 5)],
  edges: [
    { from: 'a', to: 'l1' }, { from: 'l1', to: 'l2' }, { from: 'l2', to: 'z' },
    { from: 'a', to: 's1' }, { from: 's1', to: 's2' }, { from: 's2', to: 'z' },
    { from: 'a', to: 'x' }, { from: 'x', to: 'z' },
  ],
};

describe('plans that learn', () => {
  let stack: TestStack;
  beforeAll(async () => { stack = await startRunStack(); });
  afterAll(async () => { await stack?.close(); });

  it(`re-plans a version after ${REPLAN_EVERY_RUNS} succeeded runs, for new runs only, without changing what runs`, async () => {
    // Prepare
    const workflowId = await createWorkflow(stack, 'alice', definition);
    const plans = createVersionPlanRepository(stack.table);
    const stats = createDurationStatsRepository(stack.table);
    const before = await plans.get(workflowId, 1);
    // Act
    for (let i = 0; i < REPLAN_EVERY_RUNS; i += 1) {
      const runId = await startRun(stack, 'alice', workflowId);
      await waitForRun(stack, 'alice', runId, ['succeeded'], 30_000);
    }
    const after = await waitFor(async () => {
      const plan = await plans.get(workflowId, 1);
      return plan && plan.plannedAtRuns >= REPLAN_EVERY_RUNS ? plan : undefined;
    }, 'the re-planning decision', 20_000);
    const fourth = await startRun(stack, 'alice', workflowId);
    await waitForRun(stack, 'alice', fourth, ['succeeded'], 30_000);
    // Assess
    expect(before).toMatchObject({ plannedAtRuns: 0, replans: 0 });
    expect(before?.planWeights).toBeUndefined();
    expect(after.replans).toBe(1);
    expect(Object.keys(after.planWeights ?? {}).sort()).toStrictEqual(['a', 'l1', 'l2', 's1', 's2', 'x', 'z']);
    expect(after.planWeights?.l2).toBeGreaterThan(after.planWeights?.s1 as number);
    const learned = await stats.get(workflowId);
    expect(learned?.runs).toBeGreaterThanOrEqual(REPLAN_EVERY_RUNS);
    expect(learned?.nodes.l2?.length).toBeGreaterThanOrEqual(REPLAN_EVERY_RUNS);
    const nodes = await getNodes(stack, 'alice', fourth);
    expect(Object.values(nodes).map((n: any) => n.status)).toStrictEqual(Array(7).fill('succeeded'));
    // The new plan runs the slow chain beside the short one: l2 starts before s2 ends.
    expect(Date.parse(nodes.l2.startedAt)).toBeLessThan(Date.parse(nodes.s2.endedAt));
  }, 90_000);

  it('compiles a new version of a workflow that has run with its learned weights', async () => {
    // Prepare: a workflow with recorded durations
    const workflowId = await createWorkflow(stack, 'alice', definition);
    const runId = await startRun(stack, 'alice', workflowId);
    await waitForRun(stack, 'alice', runId, ['succeeded'], 30_000);
    const stats = createDurationStatsRepository(stack.table);
    await waitFor(async () => ((await stats.get(workflowId))?.runs === 1 ? true : undefined), 'the durations', 30_000);
    // Act
    const res = await stack.call('PUT', `/api/v1/workflows/${workflowId}`, { as: 'alice', body: definition });
    // Assess
    expect(res.status, res.text).toBe(200);
    const plan = await createVersionPlanRepository(stack.table).get(workflowId, 2);
    expect(plan?.plannedAtRuns).toBe(1);
    expect(Object.keys(plan?.planWeights ?? {}).sort()).toStrictEqual(['a', 'l1', 'l2', 's1', 's2', 'x', 'z']);
    expect(res.body).not.toHaveProperty('planWeights');
  }, 60_000);
});

/**
 * Plans that learn, end to end on the local stack: succeeded runs record their nodes' durations, the finalizer
 * re-plans the version with the medians (a gain well over 5% here) every `REPLAN_EVERY_RUNS` runs, and the next
 * run starts on the new plan and does the same work; a new version of the workflow is compiled with the learned
 * weights.
 *
 * Determinism: measured durations depend on the machine's load, so the test records all but one of the runs the
 * re-planning looks at with the definition's own sleep durations (`SLEPT`), through the same repository the
 * finalizer writes. With a majority of equal samples per node the medians are exactly those, whatever the real
 * run measured, so the decision (and the plan) is the same on every machine.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDurationStatsRepository } from '../../shared/store/duration-stats';
import { createVersionPlanRepository } from '../../shared/store/version-plans';
import { REPLAN_EVERY_RUNS } from '../../shared/services/plan-learning';
import { aslMinusNesting } from '../../shared/compiler/replan';
import type { AslStateMachine } from '../../shared/compiler/asl-types';
import { createWorkflow, getNodes, startRun, waitFor, waitForRun, type TestStack, startRunStack } from './helpers';

const sleep = (id: string, ms: number) => ({ id, type: 'tool_call', tool: { kind: 'builtin', name: 'sleep' }, inputs: { ms } });
/** What each node sleeps, in seconds. */
const SLEPT = { a: 0.005, l1: 0.005, l2: 0.4, s1: 0.15, s2: 0.15, x: 0.35, z: 0.005 };

/** `a` feeds a slow chain `l1 → l2`, a short chain `s1 → s2` and `x`, which meet in `z` (see test/core/replan.test.ts). */
const definition = {
  name: 'learns',
  nodes: Object.entries(SLEPT).map(([id, seconds]) => sleep(id, Math.round(seconds * 1000))),
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
    // Prepare: record every plan registered, and which one each run starts on (the local orchestrator registers a
    // re-plan under the version's ARN, so the ARN alone does not tell the plans apart)
    const registered: { versionArn: string; definition: object }[] = [];
    const startedOn = new Map<string, number>();
    const { register, start } = { register: stack.orchestrator.register.bind(stack.orchestrator), start: stack.orchestrator.start.bind(stack.orchestrator) };
    stack.orchestrator.register = async (input) => {
      const machine = await register(input);
      registered.push({ versionArn: machine.versionArn, definition: input.definition });
      return machine;
    };
    stack.orchestrator.start = async (input) => {
      startedOn.set(input.runId, registered.findLastIndex((r) => r.versionArn === input.versionArn));
      return start(input);
    };
    const workflowId = await createWorkflow(stack, 'alice', definition);
    const plans = createVersionPlanRepository(stack.table);
    const stats = createDurationStatsRepository(stack.table);
    const before = await plans.get(workflowId, 1);
    const keep = Object.keys(SLEPT);
    for (let i = 1; i < REPLAN_EVERY_RUNS; i += 1) await stats.record(workflowId, `recorded-${i}`, SLEPT, keep);
    // Act: the real run that completes the count
    const third = await startRun(stack, 'alice', workflowId);
    await waitForRun(stack, 'alice', third, ['succeeded']);
    const after = await waitFor(async () => {
      const plan = await plans.get(workflowId, 1);
      return plan && plan.plannedAtRuns >= REPLAN_EVERY_RUNS ? plan : undefined;
    }, 'the re-planning decision');
    const fourth = await startRun(stack, 'alice', workflowId);
    await waitForRun(stack, 'alice', fourth, ['succeeded']);
    // Assess
    expect(before).toMatchObject({ plannedAtRuns: 0, replans: 0 });
    expect(before?.planWeights).toBeUndefined();
    expect(after.replans).toBe(1);
    expect(after.planWeights).toStrictEqual(SLEPT);
    const learned = await stats.get(workflowId);
    expect(learned?.runs).toBeGreaterThanOrEqual(REPLAN_EVERY_RUNS);
    expect(learned?.nodes.l2?.length).toBeGreaterThanOrEqual(REPLAN_EVERY_RUNS);
    const nodes = await getNodes(stack, 'alice', fourth);
    expect(Object.values(nodes).map((n: any) => n.status)).toStrictEqual(Array(7).fill('succeeded'));
    // The run that triggered the re-plan ran on the first plan; the next one on the new plan: the same states, nested anew.
    expect(registered).toHaveLength(2);
    expect(startedOn.get(third)).toBe(0);
    expect(startedOn.get(fourth)).toBe(1);
    expect(registered[1]?.definition).not.toStrictEqual(registered[0]?.definition);
    expect(aslMinusNesting(registered[1]?.definition as AslStateMachine)).toStrictEqual(aslMinusNesting(registered[0]?.definition as AslStateMachine));
  }, 90_000);

  it('compiles a new version of a workflow that has run with its learned weights', async () => {
    // Prepare: a workflow with recorded durations
    const workflowId = await createWorkflow(stack, 'alice', definition);
    const runId = await startRun(stack, 'alice', workflowId);
    await waitForRun(stack, 'alice', runId, ['succeeded']);
    const stats = createDurationStatsRepository(stack.table);
    await waitFor(async () => ((await stats.get(workflowId))?.runs === 1 ? true : undefined), 'the durations');
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

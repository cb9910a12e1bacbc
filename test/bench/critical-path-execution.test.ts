import { describe, expect, it } from 'vitest';
import { createAslRunner } from '../../infra/local/asl-runner';
import { compileWorkflow } from '../../shared/compiler/compile';
import { planWorkflow } from '../../shared/compiler/plan';
import { dagWorkflow, randomDag, randomDurations } from '../../bench/dags';
import type { WorkflowDefinition } from '../../shared/definition/schema';
import { aslErrors, cond, recorder, tool, withDeadline, workflow, TEST_EXECUTOR, type Behaviour, type Call } from '../support/asl-harness';

const SERVICE_RETRY = {
  ErrorEquals: ['Lambda.ClientExecutionTimeoutException', 'Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException', 'Braid.Transient'],
  IntervalSeconds: 1,
  MaxAttempts: 3,
  BackoffRate: 2,
  JitterStrategy: 'FULL',
};

/** Compiles with the critical-path strategy and runs once; `slow` nodes take `slowMs`. */
async function run(def: WorkflowDefinition, behaviours: Record<string, Behaviour> = {}, slow: Record<string, number> = {}) {
  const { asl } = compileWorkflow(def, { executorArn: TEST_EXECUTOR, strategy: 'critical-path' });
  expect(aslErrors(asl)).toBe('');
  const runner = createAslRunner(asl);
  const delayed: Record<string, Behaviour> = { ...behaviours };
  for (const [id, ms] of Object.entries(slow)) {
    const inner = behaviours[id];
    delayed[id] = async (payload, meta) => {
      await new Promise((r) => setTimeout(r, ms));
      return inner ? inner(payload, meta) : { route: 'ok' };
    };
  }
  const rec = recorder(delayed, 2);
  const outcome = await withDeadline(runner.run({ runId: 'run-1', r: {} }, { invoke: rec.invoke }).outcome, 30_000, 'run');
  return { asl, rec, outcome };
}

const call = (calls: Call[], nodeId: string): Call => calls.find((c) => c.nodeId === nodeId) as Call;

describe('critical-path strategy on the local engine', () => {
  it('compiles a fast chain beside a slow node to one Parallel with a branch per chain', () => {
    // Prepare
    const def = workflow([tool('a', { expectedSeconds: 1 }), tool('b', { expectedSeconds: 9 }), tool('c', { expectedSeconds: 1 })], ['a->c']);
    const task = (id: string, end: object) => ({
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: { FunctionName: 'fn', Payload: { action: 'execute', 'runId.$': '$$.Execution.Input.runId', nodeId: id, 'attempt.$': '$$.State.RetryCount', 'drive.$': '$$.Execution.RedriveCount' } },
      TimeoutSeconds: 300,
      ResultPath: null,
      Retry: [SERVICE_RETRY],
      ...end,
    });
    // Act
    const { asl } = compileWorkflow(def, { executorArn: 'fn', strategy: 'critical-path' });
    // Assess
    expect(asl.Comment).toBe('Braid workflow "test" (critical-path)');
    expect(asl.StartAt).toBe('par:0');
    expect(asl.States['par:0']).toStrictEqual({
      Type: 'Parallel',
      Branches: [
        { StartAt: 'a', States: { a: task('a', { Next: 'c' }), c: task('c', { End: true }) } },
        { StartAt: 'b', States: { b: task('b', { End: true }) } },
      ],
      ResultPath: null,
      Next: 'braid:finalize',
    });
  });

  it('starts a node as soon as its own predecessors finish, not when its level does', async () => {
    // Prepare: a -> c, and b beside them, which ends only after c has ended; with levels, c would wait for b and the
    // run could never finish (the ordering is forced, not left to timings)
    let cDone: () => void = () => undefined;
    const cEnded = new Promise<void>((resolve) => (cDone = resolve));
    const def = workflow([tool('a'), tool('b'), tool('c')], ['a->c']);
    // Act
    const { rec, outcome } = await run(def, {
      b: async () => { await cEnded; return { route: 'ok' }; },
      c: () => { cDone(); return { route: 'ok' }; },
    });
    // Assess
    expect(outcome.status).toBe('SUCCEEDED');
    expect(call(rec.calls, 'c').start).toBeGreaterThanOrEqual(call(rec.calls, 'a').end as number);
    expect(call(rec.calls, 'c').start).toBeLessThan(call(rec.calls, 'b').end as number);
  });

  it('carries routes decided inside nested Parallels to every later Choice', async () => {
    // Prepare: the condition and its branches nest beside a slow node x; `after` reads yes's route
    const def = workflow(
      [tool('x', { expectedSeconds: 5 }), cond('c', '$context.flag', { expectedSeconds: 1 }), tool('yes'), tool('no'), tool('after'), tool('end')],
      [{ from: 'c', to: 'yes', when: true }, { from: 'c', to: 'no', default: true }, 'yes->after', 'x->end', 'after->end', 'no->end'],
    );
    // Act
    const { asl, rec, outcome } = await run(def, { c: () => ({ route: 'w:true' }) }, { x: 50 });
    // Assess
    expect(JSON.stringify(asl)).toContain('"par:1"');
    expect(outcome).toStrictEqual({
      status: 'SUCCEEDED',
      output: { runId: 'run-1', r: { after: { k: 'ok' }, c: { k: 'w:true' }, end: { k: 'ok' }, no: { k: 'skip' }, yes: { k: 'ok' } } },
    });
    expect(rec.ran().sort()).toStrictEqual(['after', 'c', 'end', 'x', 'yes']);
    expect(call(rec.calls, 'end').start).toBeGreaterThanOrEqual(call(rec.calls, 'x').end as number);
  });

  it('skips what a condition did not choose, inside and after the nesting', async () => {
    // Prepare: the same workflow, the condition takes the default edge
    const def = workflow(
      [tool('x', { expectedSeconds: 5 }), cond('c', '$context.flag', { expectedSeconds: 1 }), tool('yes'), tool('no'), tool('after'), tool('end')],
      [{ from: 'c', to: 'yes', when: true }, { from: 'c', to: 'no', default: true }, 'yes->after', 'x->end', 'after->end', 'no->end'],
    );
    // Act
    const { rec, outcome } = await run(def, { c: () => ({ route: 'default' }) });
    // Assess
    expect(outcome).toStrictEqual({
      status: 'SUCCEEDED',
      output: { runId: 'run-1', r: { after: { k: 'skip' }, c: { k: 'default' }, end: { k: 'ok' }, no: { k: 'ok' }, yes: { k: 'skip' } } },
    });
    expect(rec.ran().sort()).toStrictEqual(['c', 'end', 'no', 'x']);
  });

  it('prunes carried routes in a large tracked workflow and still routes every node right', async () => {
    // Prepare: 400 nodes behind a condition, with hints (deep nesting); the condition routes to some roots only
    const dag = randomDag('layered', 400, 42);
    const hints = randomDurations(dag.ids, 'lognormal', 42);
    const roots = dag.ids.filter((id) => !dag.edges.some((e) => e.to === id));
    const base = dagWorkflow(dag, hints);
    const def: WorkflowDefinition = {
      ...base,
      nodes: [cond('c'), ...base.nodes],
      edges: [...roots.map((id, i) => ({ from: 'c', to: id, when: i % 2 === 0 ? 'even' : 'odd' })), ...base.edges],
    };
    const plan = planWorkflow(def, 'critical-path');
    // Act
    const { rec, outcome } = await run(def, { c: () => ({ route: 'w:"even"' }) });
    // Assess: a node runs iff a path of live edges reaches it
    expect(plan.carry).toBeDefined();
    expect(outcome.status).toBe('SUCCEEDED');
    const live = new Set(roots.filter((_, i) => i % 2 === 0));
    for (const id of dag.ids) if (dag.edges.some((e) => e.to === id && live.has(e.from))) live.add(id);
    expect(rec.ran().sort()).toStrictEqual(['c', ...live].sort());
  });
});

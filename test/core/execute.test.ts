import { describe, expect, it } from 'vitest';
import { compileWorkflow } from '../../shared/compiler/compile';
import type { NodeContract } from '../../shared/contract/node-contract';
import { willRetry } from '../../shared/contract/retriers';
import type { WorkflowDefinition } from '../../shared/definition/schema';
import { createAslRunner, type AslRunOptions } from '../../infra/local/asl-runner';
import { braidError, cond, gate, pollUntil, recorder, tool, withDeadline, workflow, TEST_EXECUTOR, type Behaviour, type Call } from '../support/asl-harness';

/** Compiles a definition and starts one execution with a recording invoke. */
function start(def: WorkflowDefinition, behaviours: Record<string, Behaviour> = {}, options: Partial<AslRunOptions> & { delayMs?: number } = {}) {
  const { asl } = compileWorkflow(def, { executorArn: TEST_EXECUTOR });
  const runner = createAslRunner(asl);
  const rec = recorder(behaviours, options.delayMs ?? 5);
  const exec = runner.run({ runId: 'run-1', r: {} }, { invoke: rec.invoke, ...options });
  return { runner, rec, exec };
}

/** A barrier for `n` parties: each call resolves once all `n` have called. */
function rendezvous(n: number): () => Promise<void> {
  let arrived = 0;
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return () => {
    arrived += 1;
    if (arrived === n) open();
    return opened;
  };
}

const only = (calls: Call[], nodeId: string): Call => {
  const found = calls.filter((c) => c.nodeId === nodeId);
  expect(found).toHaveLength(1);
  return found[0] as Call;
};

describe('executing compiled ASL on the local engine', () => {
  it('runs a linear workflow in order, then finalize', async () => {
    // Prepare
    const { rec, exec } = start(workflow([tool('a'), tool('b'), tool('c')], ['a->b', 'b->c']));
    // Act
    const outcome = await withDeadline(exec.outcome, 30_000, 'run');
    // Assess
    expect(outcome).toStrictEqual({ status: 'SUCCEEDED', output: { runId: 'run-1', r: {} } });
    expect(rec.calls.map((c) => c.stateName)).toStrictEqual(['a', 'b', 'c', 'braid:finalize']);
    expect(rec.calls.map((c) => c.payload)).toStrictEqual([
      { action: 'execute', runId: 'run-1', nodeId: 'a', attempt: 0, drive: 0 },
      { action: 'execute', runId: 'run-1', nodeId: 'b', attempt: 0, drive: 0 },
      { action: 'execute', runId: 'run-1', nodeId: 'c', attempt: 0, drive: 0 },
      { action: 'finalize', runId: 'run-1', attempt: 0 },
    ]);
    for (let i = 1; i < rec.calls.length; i++) expect(rec.calls[i]!.start).toBeGreaterThanOrEqual(rec.calls[i - 1]!.end!);
  });

  it('runs a diamond with B and C concurrently and D after both', async () => {
    // Prepare: B and C each finish only once both have started (a rendezvous), so a run that did them one after the
    // other could never finish: concurrency is shown by the run succeeding, not by timings on a loaded machine
    const bothStarted = rendezvous(2);
    const meet: Behaviour = async () => { await bothStarted(); return { route: 'ok' }; };
    const { rec, exec } = start(workflow([tool('A'), tool('B'), tool('C'), tool('D')], ['A->B', 'A->C', 'B->D', 'C->D']), { B: meet, C: meet });
    // Act
    const outcome = await withDeadline(exec.outcome, 30_000, 'run');
    // Assess
    expect(outcome.status).toBe('SUCCEEDED');
    const [a, b, c, d] = ['A', 'B', 'C', 'D'].map((id) => only(rec.calls, id)) as [Call, Call, Call, Call];
    expect(b.start).toBeGreaterThanOrEqual(a.end!);
    expect(c.start).toBeGreaterThanOrEqual(a.end!);
    expect(b.start).toBeLessThan(c.end!);
    expect(c.start).toBeLessThan(b.end!);
    expect(d.start).toBeGreaterThanOrEqual(Math.max(b.end!, c.end!));
  });

  it('skips the branch not taken and still runs the join after it', async () => {
    // Prepare: c -> yes (when "go"), c -> no (default); both -> join -> after
    const def = workflow(
      [cond('c'), tool('yes'), tool('no'), { id: 'j', type: 'join' }, tool('after')],
      [{ from: 'c', to: 'yes', when: 'go' }, { from: 'c', to: 'no', default: true }, 'yes->j', 'no->j', 'j->after'],
    );
    const { rec, exec } = start(def, { c: () => ({ route: 'w:"go"' }) });
    // Act
    const outcome = await withDeadline(exec.outcome, 30_000, 'run');
    // Assess
    expect(rec.ran()).toStrictEqual(['c', 'yes', 'after']);
    expect(outcome).toStrictEqual({
      status: 'SUCCEEDED',
      output: { runId: 'run-1', r: { c: { k: 'w:"go"' }, yes: { k: 'ok' }, no: { k: 'skip' }, after: { k: 'ok' } } },
    });
  });

  it('skips everything behind a condition that matched no edge', async () => {
    const def = workflow([cond('c'), tool('x'), tool('y')], [{ from: 'c', to: 'x', when: 1 }, 'x->y']);
    const { rec, exec } = start(def, { c: () => ({ route: 'none' }) });
    const outcome = await withDeadline(exec.outcome, 30_000, 'run');
    expect(rec.ran()).toStrictEqual(['c']);
    expect(outcome).toMatchObject({ status: 'SUCCEEDED', output: { r: { x: { k: 'skip' }, y: { k: 'skip' } } } });
  });

  it('retries a node that fails twice, with the attempt number in the payload', async () => {
    // Prepare
    const def = workflow([tool('flaky', { retry: { maxAttempts: 3 } })], []);
    const behaviour: Behaviour = (_p, meta) => {
      if (meta.attempt < 2) throw braidError('Braid.NodeFailed', 'boom');
      return { route: 'ok' };
    };
    const { rec, exec } = start(def, { flaky: behaviour }, { retryIntervalOverrides: { flaky: 1 } });
    // Act
    const outcome = await withDeadline(exec.outcome, 30_000, 'run');
    // Assess
    expect(outcome.status).toBe('SUCCEEDED');
    expect(rec.calls.filter((c) => c.nodeId === 'flaky').map((c) => [c.payload.attempt, c.error])).toStrictEqual([
      [0, 'Braid.NodeFailed'],
      [1, 'Braid.NodeFailed'],
      [2, undefined],
    ]);
  });

  it.each([
    // [retry.maxAttempts, the error of each attempt until one succeeds ('ok')]
    [2, ['Braid.Transient', 'Braid.NodeFailed', 'ok']],
    [2, ['Braid.NodeFailed', 'Braid.Transient', 'Braid.NodeFailed']],
    [1, ['Braid.Transient', 'Braid.Transient', 'Braid.Transient', 'Braid.Transient']],
    [3, ['States.Timeout', 'Braid.Transient', 'Braid.NodeFailed', 'Braid.Transient', 'Braid.NodeFailed']],
    [3, ['Braid.NodeFailed', 'Braid.BindingFailed']],
  ] as const)('counts retries as willRetry predicts (maxAttempts %i, %j)', async (maxAttempts, errors) => {
    // Prepare
    const def = workflow([tool('n', { retry: { maxAttempts } })], []);
    const { contract } = compileWorkflow(def, { executorArn: 'executor' });
    const node = contract.nodes.n as NodeContract;
    const { rec, exec } = start(def, {
      n: (_p, m) => {
        const error = errors[m.attempt];
        if (error === undefined || error === 'ok') return { route: 'ok' };
        throw braidError(error);
      },
    }, { retryIntervalOverrides: { n: 1 } });
    // Act
    const outcome = await withDeadline(exec.outcome, 30_000, 'run');
    // Assess: the engine made exactly the attempts willRetry predicts, attempt by attempt
    const made = rec.calls.filter((c) => c.nodeId === 'n').length;
    let predicted = 1;
    while (predicted < errors.length && errors[predicted - 1] !== 'ok' && willRetry(node, errors.slice(0, predicted - 1), errors[predicted - 1] as string)) predicted += 1;
    expect(made).toBe(predicted);
    expect(outcome.status).toBe(errors[made - 1] === 'ok' ? 'SUCCEEDED' : 'FAILED');
  });

  it('does not retry Braid.BindingFailed, and fails the execution with the node\'s error (no catch-all: redrive reruns the node)', async () => {
    // Prepare
    const def = workflow([tool('a', { retry: { maxAttempts: 5 } }), tool('b')], ['a->b']);
    const { rec, exec } = start(def, { a: () => { throw braidError('Braid.BindingFailed', 'no $x'); } }, { retryIntervalOverrides: { a: 1 } });
    // Act
    const outcome = await withDeadline(exec.outcome, 30_000, 'run');
    // Assess
    expect(outcome).toStrictEqual({ status: 'FAILED', error: 'Braid.BindingFailed', cause: 'no $x' });
    expect(rec.calls.map((c) => c.stateName)).toStrictEqual(['a']);
  });

  it('retries Braid.Transient with the service retrier, even without a node policy', async () => {
    const def = workflow([tool('a')], []);
    const { rec, exec } = start(def, { a: (_p, m) => { if (m.attempt === 0) throw braidError('Braid.Transient'); return { route: 'ok' }; } }, { retryIntervalOverrides: { a: 1 } });
    const outcome = await withDeadline(exec.outcome, 30_000, 'run');
    expect(outcome.status).toBe('SUCCEEDED');
    expect(rec.calls.filter((c) => c.nodeId === 'a')).toHaveLength(2);
  });

  it('goes on after a failed node with onError continue, recording the error route', async () => {
    // Prepare: tracked (behind a condition) and untracked nodes that fail with continue
    const def = workflow(
      [tool('u', { onError: 'continue' }), cond('c'), tool('t', { onError: 'continue' }), tool('after')],
      ['u->c', { from: 'c', to: 't', default: true }, 't->after'],
    );
    const failing = () => { throw braidError('Braid.NodeFailed'); };
    const { rec, exec } = start(def, { u: failing, c: () => ({ route: 'default' }), t: failing });
    // Act
    const outcome = await withDeadline(exec.outcome, 30_000, 'run');
    // Assess
    expect(rec.ran()).toStrictEqual(['u', 'c', 't', 'after']);
    expect(outcome).toStrictEqual({
      status: 'SUCCEEDED',
      output: { runId: 'run-1', r: { c: { k: 'default' }, t: { k: 'error' }, after: { k: 'ok' } } },
    });
    expect(rec.calls.at(-1)!.stateName).toBe('braid:finalize');
  });

  it('aborts mid-run: the running node finishes, no later node starts', async () => {
    // Prepare
    let release: (() => void) | undefined;
    const blocked = new Promise<void>((r) => (release = r));
    const { rec, exec } = start(workflow([tool('a'), tool('b'), tool('c')], ['a->b', 'b->c']), { b: async () => { await blocked; return { route: 'ok' }; } });
    await pollUntil(() => rec.calls.find((c) => c.nodeId === 'b'), 20_000, 'b started');
    // Act
    exec.abort();
    release?.();
    const outcome = await withDeadline(exec.outcome, 30_000, 'abort');
    await pollUntil(() => rec.calls.find((c) => c.nodeId === 'b')?.end, 20_000, 'b finished');
    // An absence window, not a wait for a condition: the engine's event log ends at the abort, so no later event can
    // serve as a barrier. A loaded machine cannot make this fail (it can only hide a bug).
    await new Promise((r) => setTimeout(r, 50));
    // Assess
    expect(outcome).toStrictEqual({ status: 'ABORTED' });
    expect(rec.calls.map((c) => c.stateName)).toStrictEqual(['a', 'b']);
  });

  it('waits at a gate until it is completed from outside', async () => {
    // Prepare
    const { runner, rec, exec } = start(workflow([tool('a'), gate('g'), tool('b')], ['a->g', 'g->b']));
    const waiting = await pollUntil(() => runner.waitingTokens()[0], 20_000, 'gate waiting');
    const gateCall = only(rec.calls, 'g');
    // Act (that b waits for the decision is shown by its start time, after the decision, not by waiting a while)
    const beforeDecision = rec.ran();
    const decidedAt = performance.now();
    runner.sendTaskSuccess(waiting.taskToken, { route: 'ok' });
    const outcome = await withDeadline(exec.outcome, 30_000, 'run');
    // Assess
    expect(beforeDecision).toStrictEqual(['a', 'g']);
    expect(gateCall.payload).toStrictEqual({ action: 'gate', runId: 'run-1', nodeId: 'g', attempt: 0, drive: 0, taskToken: waiting.taskToken });
    expect(waiting.stateName).toBe('g');
    expect(only(rec.calls, 'b').start).toBeGreaterThanOrEqual(decidedAt);
    expect(outcome.status).toBe('SUCCEEDED');
  });

  it('fails the run when a gate is rejected from outside', async () => {
    const { runner, rec, exec } = start(workflow([gate('g'), tool('b')], ['g->b']));
    const waiting = await pollUntil(() => runner.waitingTokens()[0], 20_000, 'gate waiting');
    runner.sendTaskFailure(waiting.taskToken, 'Braid.GateRejected', 'alice said no');
    const outcome = await withDeadline(exec.outcome, 30_000, 'run');
    expect(outcome).toStrictEqual({ status: 'FAILED', error: 'Braid.GateRejected', cause: 'alice said no' });
    expect(rec.calls.map((c) => c.stateName)).toStrictEqual(['g']);
  });

  it('routes on a tracked gate: its decision feeds the r record', async () => {
    const def = workflow([cond('c'), gate('g'), tool('after')], [{ from: 'c', to: 'g', when: true }, 'g->after']);
    const { runner, exec } = start(def, { c: () => ({ route: 'w:true' }) });
    const waiting = await pollUntil(() => runner.waitingTokens()[0], 20_000, 'gate waiting');
    runner.sendTaskSuccess(waiting.taskToken, { route: 'ok' });
    const outcome = await withDeadline(exec.outcome, 30_000, 'run');
    expect(outcome).toMatchObject({ status: 'SUCCEEDED', output: { r: { c: { k: 'w:true' }, g: { k: 'ok' }, after: { k: 'ok' } } } });
  });
});

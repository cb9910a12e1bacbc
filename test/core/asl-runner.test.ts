import { describe, expect, it } from 'vitest';
import { compileWorkflow } from '../../shared/compiler/compile';
import { createAslRunner, TaskTokenError } from '../../infra/local/asl-runner';
import { braidError, gate, pollUntil, recorder, tool, withDeadline, workflow, TEST_EXECUTOR } from '../support/asl-harness';

const compiled = (...args: Parameters<typeof workflow>) => compileWorkflow(workflow(...args), { executorArn: TEST_EXECUTOR }).asl;

describe('createAslRunner', () => {
  it('passes the context object: Execution.Id and Name resolve in paths', async () => {
    // Prepare
    const runner = createAslRunner({
      StartAt: 'T',
      States: {
        T: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { FunctionName: 'f', Payload: { 'id.$': '$$.Execution.Id', 'name.$': '$$.Execution.Name', 'token.$': '$$.Task.Token' } },
          End: true,
        },
      },
    });
    const rec = recorder();
    // Act
    const exec = runner.run({}, { invoke: rec.invoke, context: { Execution: { Name: 'run-7' } } });
    const outcome = await withDeadline(exec.outcome, 30_000, 'run');
    // Assess
    expect(outcome).toStrictEqual({ status: 'SUCCEEDED', output: { ExecutedVersion: '$LATEST', Payload: { route: 'ok' }, StatusCode: 200 } });
    expect(rec.calls[0]!.payload).toStrictEqual({
      id: 'arn:aws:states:local:000000000000:execution:braid-local:run-7',
      name: 'run-7',
      token: 'placeholder',
      attempt: 0,
    });
    expect(exec.executionName).toBe('run-7');
  });

  it('reuses one machine for concurrent runs with independent attempt counters', async () => {
    // Prepare
    const runner = createAslRunner(compiled([tool('a', { retry: { maxAttempts: 2 } })], []));
    const rec = recorder({ a: (p, m) => { if (p.runId === 'x' && m.attempt === 0) throw braidError('Braid.NodeFailed'); return { route: 'ok' }; } });
    // Act
    const x = runner.run({ runId: 'x', r: {} }, { invoke: rec.invoke, retryIntervalOverrides: { a: 1 } });
    const y = runner.run({ runId: 'y', r: {} }, { invoke: rec.invoke });
    const outcomes = await withDeadline(Promise.all([x.outcome, y.outcome]), 30_000, 'runs');
    // Assess
    expect(outcomes.map((o) => o.status)).toStrictEqual(['SUCCEEDED', 'SUCCEEDED']);
    const attempts = (runId: string) => rec.calls.filter((c) => c.nodeId === 'a' && c.payload.runId === runId).map((c) => c.attempt);
    expect(attempts('x')).toStrictEqual([0, 1]);
    expect(attempts('y')).toStrictEqual([0]);
  });

  it('rejects unknown and already-used task tokens', async () => {
    // Prepare
    const runner = createAslRunner(compiled([gate('g')], []));
    const exec = runner.run({ runId: 'r', r: {} }, { invoke: recorder().invoke });
    const { taskToken } = await pollUntil(() => runner.waitingTokens()[0], 20_000, 'gate waiting');
    runner.sendTaskSuccess(taskToken, { route: 'ok' });
    await withDeadline(exec.outcome, 30_000, 'run');
    // Act
    const unknown = (() => { try { runner.sendTaskSuccess('nope', {}); } catch (e) { return e; } return undefined; })();
    const reused = (() => { try { runner.sendTaskFailure(taskToken, 'X', 'y'); } catch (e) { return e; } return undefined; })();
    // Assess
    expect(unknown).toBeInstanceOf(TaskTokenError);
    expect((unknown as TaskTokenError).reason).toBe('unknown');
    expect((reused as TaskTokenError).reason).toBe('finished');
  });

  it('rejects pending token waits on abort', async () => {
    // Prepare
    const runner = createAslRunner(compiled([gate('g'), tool('b')], ['g->b']));
    const rec = recorder();
    const exec = runner.run({ runId: 'r', r: {} }, { invoke: rec.invoke });
    const { taskToken } = await pollUntil(() => runner.waitingTokens()[0], 20_000, 'gate waiting');
    // Act
    exec.abort();
    const outcome = await withDeadline(exec.outcome, 30_000, 'abort');
    // Assess
    expect(outcome).toStrictEqual({ status: 'ABORTED' });
    expect(runner.waitingTokens()).toStrictEqual([]);
    expect(() => runner.sendTaskSuccess(taskToken, { route: 'ok' })).toThrow(TaskTokenError);
    expect(rec.ran()).toStrictEqual(['g']);
  });

  it('clamps a one-year gate timeout instead of timing out at once', async () => {
    // Prepare: 31,536,000 s would overflow the engine's timer (Node fires an overflowed timer after 1 ms); beside it a
    // gate that times out after 1 s, whose timeout is the barrier: timers fire in due order, so by then an overflowed
    // one-year timer would have fired
    const runner = createAslRunner(compiled([gate('g', 31_536_000), gate('short', 1, { onError: 'continue' })], []));
    const exec = runner.run({ runId: 'r', r: {} }, { invoke: recorder().invoke });
    const { taskToken } = await pollUntil(() => runner.waitingTokens().find((t) => t.stateName === 'g'), 20_000, 'gate waiting');
    // Act
    await pollUntil(() => (runner.waitingTokens().some((t) => t.stateName === 'short') ? undefined : true), 20_000, 'the short gate to time out');
    const stillWaiting = runner.waitingTokens().length;
    runner.sendTaskSuccess(taskToken, { route: 'ok' });
    const outcome = await withDeadline(exec.outcome, 30_000, 'run');
    // Assess
    expect(stillWaiting).toBe(1);
    expect(outcome.status).toBe('SUCCEEDED');
  });

  it('times a gate out, forgets its token, and lets onError continue go on', async () => {
    // Prepare
    const runner = createAslRunner(compiled([gate('g', 1, { onError: 'continue' }), tool('b')], ['g->b']));
    const rec = recorder();
    const exec = runner.run({ runId: 'r', r: {} }, { invoke: rec.invoke });
    const { taskToken } = await pollUntil(() => runner.waitingTokens()[0], 20_000, 'gate waiting');
    // Act
    const outcome = await withDeadline(exec.outcome, 30_000, 'run');
    // Assess
    expect(outcome.status).toBe('SUCCEEDED');
    expect(rec.ran()).toStrictEqual(['g', 'b']);
    expect(() => runner.sendTaskSuccess(taskToken, { route: 'ok' })).toThrow(TaskTokenError);
  });

  it('turns a thrown non-Error into an Error named "Error"', async () => {
    const runner = createAslRunner(compiled([tool('a')], []));
    const exec = runner.run({ runId: 'r', r: {} }, { invoke: async () => { throw 'plain string'; } });
    const outcome = await withDeadline(exec.outcome, 30_000, 'run');
    expect(outcome).toMatchObject({ status: 'FAILED', error: 'Error' });
  });

  it('runs at most 40 Parallel branches at a time (engine limit)', async () => {
    // Prepare: one level of 45 nodes
    const nodes = Array.from({ length: 45 }, (_, i) => tool(`n${String(i).padStart(2, '0')}`));
    const runner = createAslRunner(compiled(nodes, []));
    let running = 0;
    let peak = 0;
    // Every branch holds until the test releases them, so the peak does not depend on how fast a loaded machine
    // starts branches compared with how fast they end.
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    const invoke = async () => {
      running++;
      peak = Math.max(peak, running);
      await released;
      running--;
      return { route: 'ok' };
    };
    // Act
    const exec = runner.run({ runId: 'r', r: {} }, { invoke });
    await pollUntil(() => (running === 40 ? true : undefined), 20_000, '40 branches running');
    release();
    const outcome = await withDeadline(exec.outcome, 30_000, 'run');
    // Assess
    expect(outcome.status).toBe('SUCCEEDED');
    expect(peak).toBe(40);
  });

  it('streams the engine event log', async () => {
    const runner = createAslRunner(compiled([tool('a')], []));
    const exec = runner.run({ runId: 'r', r: {} }, { invoke: recorder().invoke });
    const types: string[] = [];
    for await (const event of exec.events) types.push(event.type);
    expect(types[0]).toBe('ExecutionStarted');
    expect(types.at(-1)).toBe('ExecutionSucceeded');
    expect(types).toContain('StateEntered');
  });
});

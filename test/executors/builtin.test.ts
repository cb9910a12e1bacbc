import { describe, expect, it, vi } from 'vitest';
import type { NodeDef } from '../../shared/definition/schema';
import { executeNode, MAX_OUTPUT_BYTES, NodeFailedError, NotExecutableError, OutputTooLargeError, toErrorInfo } from '../../shared/executors';

function builtin(name: 'echo' | 'sleep' | 'fail'): NodeDef {
  return { id: 'b', type: 'tool_call', tool: { kind: 'builtin', name } };
}

function ctx(overrides: { attempt?: number; signal?: AbortSignal; deadlineMs?: number } = {}) {
  return {
    runId: 'r1',
    nodeId: 'b',
    attempt: overrides.attempt ?? 0,
    signal: overrides.signal ?? new AbortController().signal,
    deadline: Date.now() + (overrides.deadlineMs ?? 5_000),
  };
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe('builtin tools', () => {
  it('echo returns its inputs', async () => {
    // Act
    const result = await executeNode(builtin('echo'), { a: 1, b: ['x'] }, ctx());

    // Assess
    expect(result).toStrictEqual({ output: { a: 1, b: ['x'] } });
  });

  it('sleep waits inputs.ms, then returns its inputs', async () => {
    // Prepare: a fake setTimeout, so "not before 120 ms" is a fact of the timer, not of a loaded machine's clock
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      let settled = false;
      const result = executeNode(builtin('sleep'), { ms: 120 }, ctx()).finally(() => (settled = true));

      // Act
      await vi.advanceTimersByTimeAsync(119);
      const settledEarly = settled;
      await vi.advanceTimersByTimeAsync(1);

      // Assess
      expect(settledEarly).toBe(false);
      expect((await result).output).toStrictEqual({ ms: 120 });
    } finally {
      vi.useRealTimers();
    }
  });

  it('sleep stops at once when the attempt is aborted', async () => {
    // Prepare: a sleep far longer than the test's timeout, so only the abort can end it
    const controller = new AbortController();
    const sleeping = failure(executeNode(builtin('sleep'), { ms: 600_000 }, ctx({ signal: controller.signal, deadlineMs: 700_000 })));

    // Act
    controller.abort();
    const error = await sleeping;

    // Assess
    expect(error).toBeInstanceOf(NodeFailedError);
    expect((error as NodeFailedError).details).toStrictEqual({ aborted: true });
  });

  it('sleep fails with a timeout at the node deadline', async () => {
    // Act
    const error = await failure(executeNode(builtin('sleep'), { ms: 600_000 }, ctx({ deadlineMs: 80 })));

    // Assess
    expect((error as NodeFailedError).name).toBe('Braid.NodeFailed');
    expect((error as NodeFailedError).details).toStrictEqual({ timedOut: true });
  });

  it('sleep rejects a missing or out-of-range ms', async () => {
    // Act
    const error = await failure(executeNode(builtin('sleep'), { ms: -1 }, ctx()));

    // Assess
    expect((error as NodeFailedError).details).toStrictEqual({ input: 'ms' });
  });

  it('fail fails attempts below inputs.times with Braid.NodeFailed', async () => {
    // Act
    const errors = await Promise.all([0, 1].map((attempt) => failure(executeNode(builtin('fail'), { times: 2 }, ctx({ attempt })))));

    // Assess
    expect(errors.map((e) => (e as Error).name)).toStrictEqual(['Braid.NodeFailed', 'Braid.NodeFailed']);
  });

  it('fail returns its inputs once the attempt reaches inputs.times', async () => {
    // Act
    const result = await executeNode(builtin('fail'), { times: 2, v: 'x' }, ctx({ attempt: 2 }));

    // Assess
    expect(result.output).toStrictEqual({ times: 2, v: 'x' });
  });

  it('fail with inputs.errors fails attempt i as errors[i] says, then succeeds', async () => {
    // Act
    const outcomes = await Promise.all([0, 1, 2, 3].map((attempt) =>
      executeNode(builtin('fail'), { errors: ['transient', 'node', 'transient'] }, ctx({ attempt })).then((r) => r.output, (e: Error) => e.name)));
    // Assess
    expect(outcomes).toStrictEqual(['Braid.Transient', 'Braid.NodeFailed', 'Braid.Transient', { errors: ['transient', 'node', 'transient'] }]);
  });

  it.each([
    [{ errors: ['oops'] }, 'errors'],
    [{ errors: 'node' }, 'errors'],
    [{ errors: ['node'], times: 1 }, 'errors'],
    [{ times: -1 }, 'times'],
  ])('fail refuses bad inputs %j', async (inputs, input) => {
    // Act
    const error = await failure(executeNode(builtin('fail'), inputs, ctx({ attempt: 5 })));
    // Assess
    expect(error).toBeInstanceOf(NodeFailedError);
    expect((error as NodeFailedError).details).toStrictEqual({ input });
  });

  it('fail without times fails every attempt', async () => {
    // Act
    const error = await failure(executeNode(builtin('fail'), {}, ctx({ attempt: 9 })));

    // Assess
    expect(error).toBeInstanceOf(NodeFailedError);
  });

  it('rejects an output over 256 KiB with Braid.OutputTooLarge', async () => {
    // Act
    const error = await failure(executeNode(builtin('echo'), { blob: 'x'.repeat(MAX_OUTPUT_BYTES) }, ctx()));

    // Assess
    expect(error).toBeInstanceOf(OutputTooLargeError);
    expect((error as OutputTooLargeError).name).toBe('Braid.OutputTooLarge');
  });

  it('does not start an attempt whose signal is already aborted', async () => {
    // Prepare
    const controller = new AbortController();
    controller.abort();

    // Act
    const error = await failure(executeNode(builtin('echo'), {}, ctx({ signal: controller.signal })));

    // Assess
    expect((error as NodeFailedError).details).toStrictEqual({ aborted: true });
  });

  it('does not run gates, parallel or join nodes', async () => {
    // Prepare
    const gate: NodeDef = { id: 'g', type: 'human_gate', prompt: 'ok?', timeoutSeconds: 60 };

    // Act
    const error = await failure(executeNode(gate, {}, ctx()));

    // Assess
    expect(error).toBeInstanceOf(NotExecutableError);
  });

  it('records an executor error as its name, message and details', async () => {
    // Prepare
    const error = await failure(executeNode(builtin('fail'), { times: 1, message: 'planned' }, ctx()));

    // Act
    const info = toErrorInfo(error);

    // Assess
    expect(info).toStrictEqual({ name: 'Braid.NodeFailed', message: 'planned', details: { attempt: 0 } });
  });

  it('records an unexpected error as Braid.NodeFailed', () => {
    // Act
    const info = toErrorInfo(new TypeError('x is undefined'));

    // Assess
    expect(info).toStrictEqual({ name: 'Braid.NodeFailed', message: 'x is undefined' });
  });
});

import { describe, expect, it } from 'vitest';
import { compileWorkflow } from '../../shared/compiler/compile';
import { serviceRetrier } from '../../shared/compiler/task-state';
import type { NodeDef } from '../../shared/definition/schema';
import { createAslRunner } from '../../infra/local/asl-runner';
import { aslErrors, braidError, cond, gate, recorder, tool, withDeadline, workflow, TEST_EXECUTOR } from '../support/asl-harness';

function map(id: string, items: string, nodes: NodeDef[], edges: Array<{ from: string; to: string; when?: unknown }> = [], extra: Record<string, unknown> = {}): NodeDef {
  return { id, type: 'map', items, body: { nodes, edges }, ...extra } as NodeDef;
}

const SERVICE_RETRY = serviceRetrier();
const RUN_ID = { 'runId.$': '$$.Execution.Input.runId' };
const invoke = (payload: Record<string, unknown>) => ({ FunctionName: TEST_EXECUTOR, Payload: payload });

describe('map: compile', () => {
  it('renders items task, Map over item paths with the body, item done/failed tasks and collect', () => {
    // Prepare
    const def = workflow([map('m', '$context.list', [tool('x', { retry: { maxAttempts: 2 } })], [], { maxItems: 50, maxConcurrency: 4 })], []);
    // Act
    const { asl, estimates } = compileWorkflow(def, { executorArn: TEST_EXECUTOR });
    // Assess
    const itemTask = (extra: Record<string, unknown>) => ({
      Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: invoke({ action: 'map-item', ...RUN_ID, nodeId: 'm', 'item.$': '$.item', ...extra }),
      TimeoutSeconds: 300, ResultPath: '$.done', OutputPath: '$.done.Payload.route', Retry: [SERVICE_RETRY], End: true,
    });
    expect(asl.States).toStrictEqual({
      m: {
        Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke',
        Parameters: invoke({ action: 'map-items', ...RUN_ID, nodeId: 'm', 'attempt.$': '$$.State.RetryCount', 'drive.$': '$$.Execution.RedriveCount' }),
        TimeoutSeconds: 300, ResultSelector: { 'items.$': '$.Payload.items' }, ResultPath: '$.r.m', Retry: [SERVICE_RETRY], Next: 'm:map',
      },
      'm:map': {
        Type: 'Map', ItemsPath: '$.r.m.items', ItemSelector: { 'runId.$': '$.runId', 'item.$': '$$.Map.Item.Value', r: {} },
        ItemProcessor: {
          ProcessorConfig: { Mode: 'INLINE' },
          StartAt: 'x',
          States: {
            x: {
              Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke',
              Parameters: invoke({ action: 'execute', ...RUN_ID, nodeId: 'x', 'item.$': '$.item', 'attempt.$': '$$.State.RetryCount', 'drive.$': '$$.Execution.RedriveCount' }),
              TimeoutSeconds: 300, ResultPath: null,
              Retry: [SERVICE_RETRY, { ErrorEquals: ['Braid.NodeFailed', 'States.Timeout'], IntervalSeconds: 1, MaxAttempts: 1, BackoffRate: 2 }],
              Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'm:item-failed' }], Next: 'm:item-done',
            },
            'm:item-done': itemTask({}),
            'm:item-failed': itemTask({ 'error.$': '$.error' }),
          },
        },
        MaxConcurrency: 4, ResultPath: null, Next: 'm:collect',
      },
      'm:collect': {
        Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke',
        Parameters: invoke({ action: 'map-collect', ...RUN_ID, nodeId: 'm' }),
        TimeoutSeconds: 300, ResultSelector: { 'k.$': '$.Payload.route' }, ResultPath: '$.r.m', Retry: [SERVICE_RETRY], Next: 'braid:finalize',
      },
      'braid:finalize': expect.anything(),
    });
    expect(aslErrors(asl)).toBe('');
    expect(estimates.historyEvents).toBeLessThan(25_000);
  });

  it('goes distributed when the worst case would not fit the history (10,000 items by default), inline when small', () => {
    // Prepare
    const big = workflow([map('m', '$context.list', [tool('x'), gate('g', 60)], [{ from: 'x', to: 'g' }])], []);
    const small = workflow([map('m', '$context.list', [tool('x')], [], { maxItems: 100 })], []);
    // Act
    const bigAsl = compileWorkflow(big, { executorArn: TEST_EXECUTOR });
    const smallAsl = compileWorkflow(small, { executorArn: TEST_EXECUTOR });
    // Assess
    const mode = (asl: typeof bigAsl.asl) => (asl.States['m:map'] as { ItemProcessor: { ProcessorConfig: unknown } }).ItemProcessor.ProcessorConfig;
    expect(mode(bigAsl.asl)).toStrictEqual({ Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' });
    expect(mode(smallAsl.asl)).toStrictEqual({ Mode: 'INLINE' });
    expect(bigAsl.estimates.historyEvents).toBeLessThan(25_000);
    expect(bigAsl.estimates.stateTransitions).toBeGreaterThan(10_000 * 2);
    expect(aslErrors(bigAsl.asl)).toBe('');
  });

  it('nests maps, tracks conditions in a body and takes onError: continue; the ASL is valid', () => {
    const def = workflow([
      tool('a'),
      map('outer', '$a.list', [
        cond('c', '$item.ok'),
        map('inner', '$item.children', [tool('leaf', { inputs: { v: '$item' } })], [], { maxItems: 10 }),
        tool('after', { onError: 'continue' }),
      ], [{ from: 'c', to: 'inner', when: true }, { from: 'inner', to: 'after' }], { maxItems: 20, onError: 'continue' }),
      tool('z'),
    ], ['a->outer', 'outer->z']);
    const { asl } = compileWorkflow(def, { executorArn: TEST_EXECUTOR });
    expect(aslErrors(asl)).toBe('');
    const body = (asl.States['outer:map'] as { ItemProcessor: { States: Record<string, { Type: string }> } }).ItemProcessor.States;
    expect(Object.keys(body).sort()).toStrictEqual(['after', 'after:continued', 'after:route', 'after:skip', 'c', 'inner', 'inner:collect', 'inner:map', 'inner:route', 'inner:skip', 'outer:item-done', 'outer:item-failed']);
  });
});

describe('map: runs on the local engine', () => {
  it('runs every item through the body with per-item attempts, and a failed item reaches item-failed', async () => {
    // Prepare
    const def = workflow([map('m', '$context.list', [tool('x', { retry: { maxAttempts: 2 } }), tool('y')], [{ from: 'x', to: 'y' }], { maxItems: 20, maxConcurrency: 3 })], []);
    const runner = createAslRunner(compileWorkflow(def, { executorArn: TEST_EXECUTOR }).asl);
    const rec = recorder({
      m: (p) => (p.action === 'map-items' ? { route: 'ok', items: ['0', '1', '2', '3', '4'] } : { route: 'ok' }),
      x: (p, meta) => {
        if (p.item === '1' && meta.attempt === 0) throw braidError('Braid.NodeFailed');
        if (p.item === '3') throw braidError('Braid.NodeFailed');
        return { route: 'ok' };
      },
    }, 1);
    // Act
    const exec = runner.run({ runId: 'r1', r: {} }, { invoke: rec.invoke, retryIntervalOverrides: { x: 1 } });
    const outcome = await withDeadline(exec.outcome, 30_000, 'run');
    // Assess
    expect(outcome.status).toBe('SUCCEEDED');
    const xs = rec.calls.filter((c) => c.nodeId === 'x').map((c) => `${String(c.payload.item)}:${c.attempt}`).sort();
    expect(xs).toStrictEqual(['0:0', '1:0', '1:1', '2:0', '3:0', '3:1', '4:0']);
    const items = rec.calls.filter((c) => c.action === 'map-item').map((c) => `${String(c.payload.item)}:${c.payload.error ? 'failed' : 'done'}`).sort();
    expect(items).toStrictEqual(['0:done', '1:done', '2:done', '3:failed', '4:done']);
    expect(rec.calls.filter((c) => c.nodeId === 'y').map((c) => c.payload.item).sort()).toStrictEqual(['0', '1', '2', '4']);
    expect(rec.calls.at(-2)?.action).toBe('map-collect');
  });
});

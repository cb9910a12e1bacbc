/**
 * `workflow_call` in the pure layers: validation (shape errors with JSON pointers, timeouts a token wait may
 * have), compilation to one `.waitForTaskToken` Task that asl-validator accepts, its estimates, the Mermaid
 * shape, and the derived child run id.
 */
import { describe, expect, it } from 'vitest';
import { compileWorkflow } from '../../shared/compiler/compile';
import { serviceRetrier } from '../../shared/compiler/task-state';
import type { NodeDef } from '../../shared/definition/schema';
import { validateDefinition } from '../../shared/definition/validate';
import { toMermaid } from '../../shared/diagram/mermaid';
import { childRunIdOf } from '../../shared/services/workflow-call';
import { callTargets } from '../../shared/services/workflow-call-targets';
import { aslErrors, tool, workflow, TEST_EXECUTOR } from '../support/asl-harness';

function call(id: string, extra: Record<string, unknown> = {}): NodeDef {
  return { id, type: 'workflow_call', workflow: { id: 'wf-child' }, inputs: { ticket: '$context.ticket' }, ...extra } as NodeDef;
}

function errorsOf(input: unknown): Array<{ code: string; path: string }> {
  return validateDefinition(input).errors.map(({ code, path }) => ({ code, path }));
}

describe('workflow_call: validation', () => {
  it('accepts the issue example and a call inside a map body', () => {
    // Prepare
    const def = workflow([
      call('triage', { workflow: { id: 'wf-child', version: 3 } }),
      { id: 'each', type: 'map', items: '$context.list', body: { nodes: [call('sub', { inputs: { item: '$item' } })], edges: [] } } as NodeDef,
    ], []);
    // Act
    const result = validateDefinition(def);
    // Assess
    expect(result.errors).toEqual([]);
    expect(callTargets(def)).toEqual([
      { nodeId: 'triage', pointer: '/nodes/0', workflowId: 'wf-child', version: 3 },
      { nodeId: 'sub', pointer: '/nodes/1/body/nodes/0', workflowId: 'wf-child' },
    ]);
  });

  it('names each bad field with a JSON pointer', () => {
    // Act
    const errors = errorsOf(workflow([
      call('a', { workflow: { id: '' } }),
      call('b', { workflow: { id: 'wf', version: 0 } }),
      call('c', { workflow: { version: 2 } }),
      call('d', { workflow: { id: 'wf', extra: 1 } }),
      call('e', { retry: { maxAttempts: 2 } }),
      call('f', { workflow: { id: 'has space' } }),
    ], []));
    // Assess
    expect(errors).toEqual(expect.arrayContaining([
      expect.objectContaining({ path: '/nodes/0/workflow/id' }),
      expect.objectContaining({ path: '/nodes/1/workflow/version' }),
      expect.objectContaining({ path: '/nodes/2/workflow/id' }),
      expect.objectContaining({ path: '/nodes/3/workflow/extra' }),
      expect.objectContaining({ path: '/nodes/4/retry' }),
      expect.objectContaining({ path: '/nodes/5/workflow/id' }),
    ]));
    expect(errors.every((e) => e.path.startsWith('/nodes/'))).toBe(true);
  });

  it('lets a call wait longer than an executor node (it holds no Lambda)', () => {
    // Act
    const long = errorsOf(workflow([call('a', { timeoutSeconds: 86_400 })], []));
    const tooLong = errorsOf(workflow([tool('t', { timeoutSeconds: 86_400 })], []));
    // Assess
    expect(long).toEqual([]);
    expect(tooLong).toEqual([{ code: 'timeout_exceeds_executor', path: '/nodes/0/timeoutSeconds' }]);
  });
});

describe('workflow_call: compile', () => {
  it('is one .waitForTaskToken Task with the service retrier, and asl-validator accepts the machine', () => {
    // Prepare
    const def = workflow([call('triage', { timeoutSeconds: 3_600 }), tool('after', { inputs: { t: '$triage' } })], ['triage->after']);
    // Act
    const { asl, contract, estimates } = compileWorkflow(def, { executorArn: TEST_EXECUTOR });
    // Assess
    expect((asl.States as Record<string, unknown>).triage).toStrictEqual({
      Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: {
        FunctionName: TEST_EXECUTOR,
        Payload: {
          action: 'workflow_call', 'runId.$': '$$.Execution.Input.runId', nodeId: 'triage',
          'attempt.$': '$$.State.RetryCount', 'drive.$': '$$.Execution.RedriveCount', 'taskToken.$': '$$.Task.Token',
        },
      },
      TimeoutSeconds: 3_600, ResultPath: null, Retry: [serviceRetrier()], Next: 'after',
    });
    expect(aslErrors(asl)).toBe('');
    expect(contract.nodes.triage).toMatchObject({ type: 'workflow_call', timeoutSeconds: 3_600, onError: 'fail' });
    // One Task in this execution's history (4 events per attempt, the service retrier's 3 retries included); the child's are its own.
    const single = compileWorkflow(workflow([tool('after')], []), { executorArn: TEST_EXECUTOR }).estimates;
    expect(estimates.historyEvents - single.historyEvents).toBe(2 + 4 * 4);
  });

  it('renders a tracked call inside a map body with its item and route', () => {
    // Prepare
    const def = workflow([
      { id: 'c', type: 'condition', expression: '$context.go' } as NodeDef,
      { id: 'each', type: 'map', items: '$context.list', body: { nodes: [call('sub', { onError: 'continue' })], edges: [] } } as NodeDef,
    ], [{ from: 'c', to: 'each', when: true }]);
    // Act
    const { asl } = compileWorkflow(def, { executorArn: TEST_EXECUTOR });
    // Assess
    expect(aslErrors(asl)).toBe('');
    const text = JSON.stringify(asl);
    expect(text).toContain('"action":"workflow_call","runId.$":"$$.Execution.Input.runId","nodeId":"sub","item.$":"$.item"');
  });
});

describe('workflow_call: diagram and ids', () => {
  it('draws a call as a parallelogram naming the called workflow', () => {
    // Prepare
    const def = workflow([call('triage', { workflow: { id: 'wf-child', version: 3 } })], []);
    // Act
    const text = toMermaid(def, [['triage']]);
    // Assess
    expect(text).toContain('n_triage[/"triage<br/><small>workflow_call wf-child@3</small>"/]');
  });

  it('derives one child run id per run, item, node and drive', () => {
    // Act
    const id = childRunIdOf('run-1', undefined, 'triage', 0);
    // Assess
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(childRunIdOf('run-1', undefined, 'triage', 0)).toBe(id);
    expect(new Set([id, childRunIdOf('run-1', undefined, 'triage', 1), childRunIdOf('run-1', '0', 'triage', 0), childRunIdOf('run-2', undefined, 'triage', 0)]).size).toBe(4);
  });
});

import { describe, expect, it } from 'vitest';
import { compileWorkflow } from '../../shared/compiler/compile';
import { CompileError } from '../../shared/compiler/errors';
import { aslErrors, cond, gate, tool, workflow } from '../support/asl-harness';

const FN = 'executor';
const RUN_ID = '$$.Execution.Input.runId';
const SERVICE_RETRY = {
  ErrorEquals: ['Lambda.ClientExecutionTimeoutException', 'Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException', 'Braid.Transient'],
  IntervalSeconds: 1,
  MaxAttempts: 3,
  BackoffRate: 2,
  JitterStrategy: 'FULL',
};
const FINALIZE_STATES = {
  'braid:finalize': {
    Type: 'Task',
    Resource: 'arn:aws:states:::lambda:invoke',
    Parameters: { FunctionName: FN, Payload: { action: 'finalize', 'runId.$': RUN_ID } },
    TimeoutSeconds: 300,
    ResultPath: null,
    Retry: [SERVICE_RETRY],
    End: true,
  },
};
const payload = (nodeId: string) => ({ action: 'execute', 'runId.$': RUN_ID, nodeId, 'attempt.$': '$$.State.RetryCount', 'drive.$': '$$.Execution.RedriveCount' });

describe('compileWorkflow: whole outputs', () => {
  it('compiles a linear workflow', () => {
    // Prepare
    const def = workflow([tool('a', { retry: { maxAttempts: 3, intervalSeconds: 2, backoffRate: 1.5 } }), tool('b', { timeoutSeconds: 30 })], ['a->b']);
    // Act
    const { asl, levels } = compileWorkflow(def, { executorArn: FN, strategy: 'levels' });
    // Assess
    expect(levels).toStrictEqual([['a'], ['b']]);
    expect(asl).toStrictEqual({
      Comment: 'Braid workflow "test" (levels)',
      StartAt: 'a',
      States: {
        a: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { FunctionName: FN, Payload: payload('a') },
          TimeoutSeconds: 300,
          ResultPath: null,
          Retry: [SERVICE_RETRY, { ErrorEquals: ['Braid.NodeFailed', 'States.Timeout'], IntervalSeconds: 2, MaxAttempts: 2, BackoffRate: 1.5 }],
          Next: 'b',
        },
        b: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { FunctionName: FN, Payload: payload('b') },
          TimeoutSeconds: 30,
          ResultPath: null,
          Retry: [SERVICE_RETRY],
          Next: 'braid:finalize',
        },
        ...FINALIZE_STATES,
      },
    });
    expect(aslErrors(asl)).toBe('');
  });

  it('compiles a diamond: one Parallel level with a branch per node, ordered by id', () => {
    // Prepare: the parallel/join nodes are contracted away; onError continue on c
    const def = workflow(
      [tool('a'), { id: 'fan', type: 'parallel' }, tool('c', { onError: 'continue' }), tool('b'), { id: 'j', type: 'join' }, tool('d')],
      ['a->fan', 'fan->b', 'fan->c', 'b->j', 'c->j', 'j->d'],
    );
    // Act
    const { asl, levels } = compileWorkflow(def, { executorArn: FN, strategy: 'levels' });
    // Assess
    expect(levels).toStrictEqual([['a'], ['b', 'c'], ['d']]);
    const task = (id: string, extra: object) => ({
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: { FunctionName: FN, Payload: payload(id) },
      TimeoutSeconds: 300,
      ResultPath: null,
      Retry: [SERVICE_RETRY],
      ...extra,
    });
    expect(asl).toStrictEqual({
      Comment: 'Braid workflow "test" (levels)',
      StartAt: 'a',
      States: {
        a: task('a', { Next: 'level:1' }),
        'level:1': {
          Type: 'Parallel',
          Branches: [
            { StartAt: 'b', States: { b: task('b', { End: true }) } },
            {
              StartAt: 'c',
              States: {
                c: task('c', { Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: null, Next: 'c:continued' }], End: true }),
                'c:continued': { Type: 'Pass', End: true },
              },
            },
          ],
          ResultPath: null,
          Next: 'd',
        },
        d: task('d', { Next: 'braid:finalize' }),
        ...FINALIZE_STATES,
      },
    });
    expect(aslErrors(asl)).toBe('');
  });

  it('compiles a condition: tracked nodes, route Choices, skip Passes and the r record', () => {
    // Prepare: c -> yes (when true), c -> no (default), yes & no -> join -> end; gate on the yes side
    const def = workflow(
      [cond('c'), gate('yes', 600), tool('no'), { id: 'j', type: 'join' }, tool('end')],
      [{ from: 'c', to: 'yes', when: true }, { from: 'c', to: 'no', default: true }, 'yes->j', 'no->j', 'j->end'],
    );
    // Act
    const { asl, levels } = compileWorkflow(def, { executorArn: FN, strategy: 'levels' });
    // Assess
    expect(levels).toStrictEqual([['c'], ['no', 'yes'], ['end']]);
    const tracked = (id: string, next: object) => ({
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: { FunctionName: FN, Payload: payload(id) },
      TimeoutSeconds: 300,
      ResultSelector: { 'k.$': '$.Payload.route' },
      ResultPath: `$.r.${id}`,
      Retry: [SERVICE_RETRY],
      ...next,
    });
    const skip = (id: string) => ({ Type: 'Pass', Result: { k: 'skip' }, ResultPath: `$.r.${id}`, End: true });
    expect(asl).toStrictEqual({
      Comment: 'Braid workflow "test" (levels)',
      StartAt: 'c',
      States: {
        c: tracked('c', { Next: 'level:1' }),
        'level:1': {
          Type: 'Parallel',
          Branches: [
            {
              StartAt: 'no:route',
              States: {
                'no:route': { Type: 'Choice', Choices: [{ Variable: '$.r.c.k', StringEquals: 'default', Next: 'no' }], Default: 'no:skip' },
                no: tracked('no', { End: true }),
                'no:skip': skip('no'),
              },
            },
            {
              StartAt: 'yes:route',
              States: {
                'yes:route': { Type: 'Choice', Choices: [{ Variable: '$.r.c.k', StringEquals: 'w:true', Next: 'yes' }], Default: 'yes:skip' },
                yes: {
                  Type: 'Task',
                  Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
                  Parameters: {
                    FunctionName: FN,
                    Payload: { action: 'gate', 'runId.$': RUN_ID, nodeId: 'yes', 'attempt.$': '$$.State.RetryCount', 'drive.$': '$$.Execution.RedriveCount', 'taskToken.$': '$$.Task.Token' },
                  },
                  TimeoutSeconds: 600,
                  ResultSelector: { 'k.$': '$.route' },
                  ResultPath: '$.r.yes',
                  Retry: [SERVICE_RETRY],
                  End: true,
                },
                'yes:skip': skip('yes'),
              },
            },
          ],
          ResultSelector: { 'c.$': '$[0].r.c', 'no.$': '$[0].r.no', 'yes.$': '$[1].r.yes' },
          ResultPath: '$.r',
          Next: 'end:route',
        },
        'end:route': {
          Type: 'Choice',
          Choices: [
            {
              Or: [
                { Not: { Variable: '$.r.no.k', StringEquals: 'skip' } },
                { Not: { Variable: '$.r.yes.k', StringEquals: 'skip' } },
              ],
              Next: 'end',
            },
          ],
          Default: 'end:skip',
        },
        end: tracked('end', { Next: 'braid:finalize' }),
        'end:skip': { Type: 'Pass', Result: { k: 'skip' }, ResultPath: '$.r.end', Next: 'braid:finalize' },
        ...FINALIZE_STATES,
      },
    });
    expect(aslErrors(asl)).toBe('');
  });
});

describe('compileWorkflow: properties of the output', () => {
  it('is deterministic: the same definition gives the same bytes whatever the order of nodes and edges', () => {
    // Prepare
    const nodes = [tool('a'), tool('b'), tool('c'), cond('k'), tool('d')];
    const edges = ['a->b', 'a->c', 'b->k', 'c->k', { from: 'k', to: 'd', when: 'x' }];
    // Act
    const first = JSON.stringify(compileWorkflow(workflow(nodes, edges), { executorArn: FN }));
    const again = JSON.stringify(compileWorkflow(workflow(nodes, edges), { executorArn: FN }));
    const shuffled = JSON.stringify(compileWorkflow(workflow([...nodes].reverse(), [...edges].reverse()), { executorArn: FN }));
    // Assess
    expect(again).toBe(first);
    expect(shuffled).toBe(first);
  });

  it('uses workflow defaults for timeout, retry and onError, and the node overrides them', () => {
    const def = workflow([tool('a'), tool('b', { timeoutSeconds: 9, onError: 'fail' })], ['a->b'], {
      defaults: { timeoutSeconds: 45, onError: 'continue', retry: { maxAttempts: 2, jitter: 'FULL', maxDelaySeconds: 5 } },
    });
    const { asl } = compileWorkflow(def, { executorArn: FN });
    expect(asl.States.a).toMatchObject({
      TimeoutSeconds: 45,
      Retry: [SERVICE_RETRY, { ErrorEquals: ['Braid.NodeFailed', 'States.Timeout'], IntervalSeconds: 1, MaxAttempts: 1, BackoffRate: 2, MaxDelaySeconds: 5, JitterStrategy: 'FULL' }],
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: null, Next: 'b' }],
    });
    expect(asl.States.b).toMatchObject({ TimeoutSeconds: 9 });
    expect(asl.States.b).not.toHaveProperty('Catch');
  });

  it('reports worst-case estimates', () => {
    const { estimates, asl } = compileWorkflow(workflow([tool('a'), tool('b')], ['a->b']), { executorArn: FN });
    expect(estimates).toStrictEqual({ stateTransitions: 13, historyEvents: 45, definitionBytes: Buffer.byteLength(JSON.stringify(asl)) });
  });

  it('rejects a workflow whose ASL would exceed 1 MB', () => {
    // Prepare: a condition, then 240 levels of two tracked nodes: every level's Parallel copies all tracked routes so far
    const nodes = [cond('c')];
    const edges: Array<string | { from: string; to: string; when: boolean }> = [];
    for (let i = 0; i < 240; i++) {
      nodes.push(tool(`a${i}`), tool(`b${i}`));
      edges.push(...(i === 0 ? [{ from: 'c', to: 'a0', when: true }, { from: 'c', to: 'b0', when: true }] : [`a${i - 1}->a${i}`, `b${i - 1}->b${i}`]));
    }
    // Act
    let caught: unknown;
    try {
      compileWorkflow(workflow(nodes, edges), { executorArn: FN, strategy: 'levels' });
    } catch (error) {
      caught = error;
    }
    // Assess
    expect(caught).toBeInstanceOf(CompileError);
    expect((caught as CompileError).issues.map((i) => i.code)).toStrictEqual(['asl_too_large']);
  });

  it('rejects an invalid definition with its validation issues', () => {
    const error = (() => {
      try {
        compileWorkflow(workflow([tool('a'), tool('b')], ['a->b', 'b->a']), { executorArn: FN });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(CompileError);
    expect((error as CompileError).issues.map((i) => i.code)).toContain('cycle');
  });
});

/**
 * Whole-output fixtures of the default `critical-path` strategy (the `levels` ones are in `compile.test.ts`):
 * the full ASL compared with `toStrictEqual`, then checked by asl-validator.
 */
import { describe, expect, it } from 'vitest';
import { compileWorkflow } from '../../shared/compiler/compile';
import { aslErrors, cond, tool, workflow } from '../support/asl-harness';

const FN = 'executor';
const RUN_ID = '$$.Execution.Input.runId';
const SERVICE_RETRY = {
  ErrorEquals: ['Lambda.ClientExecutionTimeoutException', 'Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException', 'Braid.Transient'],
  IntervalSeconds: 1, MaxAttempts: 3, BackoffRate: 2, JitterStrategy: 'FULL',
};
const FINALIZE_STATES = {
  'braid:finalize': {
    Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke',
    Parameters: { FunctionName: FN, Payload: { action: 'finalize', 'runId.$': RUN_ID } },
    TimeoutSeconds: 300, ResultPath: null, Retry: [SERVICE_RETRY], End: true,
  },
};

/** A node's Task state: untracked (`ResultPath: null`) or tracked (its route into `r`), with a transition. */
function task(id: string, transition: { Next: string } | { End: true }, options: { tracked?: boolean; topLevel?: boolean } = {}) {
  return {
    Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke',
    Parameters: { FunctionName: FN, Payload: { action: 'execute', 'runId.$': RUN_ID, nodeId: id, 'attempt.$': '$$.State.RetryCount', 'drive.$': '$$.Execution.RedriveCount' } },
    TimeoutSeconds: 300,
    ...(options.tracked ? { ResultSelector: { 'k.$': '$.Payload.route' }, ResultPath: `$.r.${id}` } : { ResultPath: null }),
    Retry: [SERVICE_RETRY],
    ...transition,
  };
}

/** A tracked node's skip Pass. */
const skip = (id: string, transition: { Next: string } | { End: true }) => ({ Type: 'Pass', Result: { k: 'skip' }, ResultPath: `$.r.${id}`, ...transition });

describe('compileWorkflow (critical-path): whole outputs', () => {
  it('nests a slow branch beside a fast chain instead of a barrier per level', () => {
    // Prepare: a -> {b (10 s) | c (1 s) -> d} -> e; levels would wait for b before d
    const def = workflow(
      [tool('a'), tool('b', { expectedSeconds: 10 }), tool('c', { expectedSeconds: 1 }), tool('d'), tool('e')],
      ['a->b', 'a->c', 'c->d', 'b->e', 'd->e'],
    );
    // Act
    const { asl } = compileWorkflow(def, { executorArn: FN });
    // Assess
    expect(asl).toStrictEqual({
      Comment: 'Braid workflow "test" (critical-path)',
      StartAt: 'a',
      States: {
        a: task('a', { Next: 'par:0' }, { topLevel: true }),
        'par:0': {
          Type: 'Parallel',
          Branches: [
            { StartAt: 'b', States: { b: task('b', { End: true }) } },
            { StartAt: 'c', States: { c: task('c', { Next: 'd' }), d: task('d', { End: true }) } },
          ],
          ResultPath: null,
          Next: 'e',
        },
        e: task('e', { Next: 'braid:finalize' }, { topLevel: true }),
        ...FINALIZE_STATES,
      },
    });
    expect(aslErrors(asl)).toBe('');
  });

  it('routes a condition through a Parallel that carries the decided routes to the join', () => {
    // Prepare: c -> {x when true | y default} -> z
    const def = workflow([cond('c'), tool('x'), tool('y'), tool('z')], [{ from: 'c', to: 'x', when: true }, { from: 'c', to: 'y', default: true }, 'x->z', 'y->z']);
    // Act
    const { asl } = compileWorkflow(def, { executorArn: FN });
    // Assess
    expect(asl).toStrictEqual({
      Comment: 'Braid workflow "test" (critical-path)',
      StartAt: 'c',
      States: {
        c: task('c', { Next: 'par:0' }, { tracked: true, topLevel: true }),
        'par:0': {
          Type: 'Parallel',
          Branches: [
            {
              StartAt: 'x:route',
              States: {
                'x:route': { Type: 'Choice', Choices: [{ Variable: '$.r.c.k', StringEquals: 'w:true', Next: 'x' }], Default: 'x:skip' },
                x: task('x', { End: true }, { tracked: true }),
                'x:skip': skip('x', { End: true }),
              },
            },
            {
              StartAt: 'y:route',
              States: {
                'y:route': { Type: 'Choice', Choices: [{ Variable: '$.r.c.k', StringEquals: 'default', Next: 'y' }], Default: 'y:skip' },
                y: task('y', { End: true }, { tracked: true }),
                'y:skip': skip('y', { End: true }),
              },
            },
          ],
          ResultSelector: { 'c.$': '$[0].r.c', 'x.$': '$[0].r.x', 'y.$': '$[1].r.y' },
          ResultPath: '$.r',
          Next: 'z:route',
        },
        'z:route': {
          Type: 'Choice',
          Choices: [{ Or: [{ Not: { Variable: '$.r.x.k', StringEquals: 'skip' } }, { Not: { Variable: '$.r.y.k', StringEquals: 'skip' } }], Next: 'z' }],
          Default: 'z:skip',
        },
        z: task('z', { Next: 'braid:finalize' }, { tracked: true, topLevel: true }),
        'z:skip': skip('z', { Next: 'braid:finalize' }),
        ...FINALIZE_STATES,
      },
    });
    expect(aslErrors(asl)).toBe('');
  });
});

/**
 * The reply loop of an `agent_call` (shared/compiler/reply-states.ts): the whole compiled output for one agent,
 * valid ASL with the loop inside a map body too, and the loop run on the local engine: the agent asks twice, each
 * wait gets the seconds `X:ask` returned, `X:continue` carries the turn its `X:reply` returned, and its retries
 * start over at every turn (as `$$.State.RetryCount` does on AWS).
 */
import { describe, expect, it } from 'vitest';
import { compileWorkflow } from '../../shared/compiler/compile';
import { createAslRunner } from '../../infra/local/asl-runner';
import { serviceRetrier } from '../../shared/compiler/task-state';
import type { WorkflowDefinition } from '../../shared/definition/schema';
import { aslErrors, braidError, pollUntil, recorder, withDeadline } from '../support/asl-harness';

const FN = 'executor';
const SERVICE_RETRY = serviceRetrier();
const agent = (id: string, extra: object = {}) => ({ id, type: 'agent_call' as const, agent: { url: 'https://agent.example' }, ...extra });
const RUN_ID = { 'runId.$': '$$.Execution.Input.runId' };
const ATTEMPT = { 'attempt.$': '$$.State.RetryCount', 'drive.$': '$$.Execution.RedriveCount' };

describe('compileWorkflow: the reply loop of an agent_call', () => {
  it('renders X, X:ask, X:reply and X:continue, caught on Braid.InputRequired ahead of every other catcher', () => {
    // Prepare
    const def: WorkflowDefinition = { name: 'a', nodes: [agent('a', { timeoutSeconds: 120 })], edges: [] };

    // Act
    const { asl } = compileWorkflow(def, { executorArn: FN, strategy: 'levels' });

    // Assess
    const asked = { ErrorEquals: ['Braid.InputRequired'], ResultPath: null, Next: 'a:ask' };
    expect(asl).toStrictEqual({
      Comment: 'Braid workflow "a" (levels)',
      StartAt: 'a',
      States: {
        a: {
          Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { FunctionName: FN, Payload: { action: 'execute', ...RUN_ID, nodeId: 'a', ...ATTEMPT } },
          TimeoutSeconds: 120, ResultPath: null, Retry: [SERVICE_RETRY], Catch: [asked], Next: 'braid:finalize',
        },
        'a:ask': {
          Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { FunctionName: FN, Payload: { action: 'reply-wait', ...RUN_ID, nodeId: 'a', 'drive.$': '$$.Execution.RedriveCount' } },
          TimeoutSeconds: 300, ResultSelector: { 'wait.$': '$.Payload.wait' }, ResultPath: '$.ask', Retry: [SERVICE_RETRY], Next: 'a:reply',
        },
        'a:reply': {
          Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
          Parameters: { FunctionName: FN, Payload: { action: 'reply', ...RUN_ID, nodeId: 'a', 'drive.$': '$$.Execution.RedriveCount', 'taskToken.$': '$$.Task.Token' } },
          TimeoutSecondsPath: '$.ask.wait', ResultSelector: { 'turn.$': '$.turn' }, ResultPath: '$.ask', Retry: [SERVICE_RETRY], Next: 'a:continue',
        },
        'a:continue': {
          Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke',
          TimeoutSeconds: 120, ResultPath: null, Retry: [SERVICE_RETRY], Next: 'braid:finalize',
          Parameters: { FunctionName: FN, Payload: { action: 'execute', ...RUN_ID, nodeId: 'a', ...ATTEMPT, 'turn.$': '$.ask.turn' } },
          Catch: [asked],
        },
        'braid:finalize': asl.States['braid:finalize'],
      },
    });
    expect(aslErrors(asl)).toBe('');
  });

  it('keeps onError: continue and map-item catchers on the loop states, and passes the item path in a map body', () => {
    // Prepare
    const def: WorkflowDefinition = {
      name: 'm',
      nodes: [
        agent('top', { onError: 'continue' }),
        { id: 'each', type: 'map', items: '$context.list', body: { nodes: [agent('inner')], edges: [] } } as never,
      ],
      edges: [{ from: 'top', to: 'each' }],
    };

    // Act
    const { asl } = compileWorkflow(def, { executorArn: FN, strategy: 'levels' });

    // Assess
    const states = asl.States as Record<string, any>;
    expect(states.top.Catch.map((c: { ErrorEquals: string[] }) => c.ErrorEquals[0])).toStrictEqual(['Braid.InputRequired', 'States.ALL']);
    expect(states['top:reply'].Catch).toStrictEqual([{ ErrorEquals: ['States.ALL'], ResultPath: null, Next: 'each' }]);
    const body = states['each:map'].ItemProcessor.States;
    expect(body['inner:reply'].Parameters.Payload['item.$']).toBe('$.item');
    expect(body['inner:continue'].Parameters.Payload).toMatchObject({ 'item.$': '$.item', 'turn.$': '$.ask.turn' });
    expect(body['inner:ask'].Catch).toStrictEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'each:item-failed' }]);
    expect(aslErrors(asl)).toBe('');
  });
});

describe('the reply loop on the local engine', () => {
  it('asks twice, waits the seconds X:ask gave, continues with the returned turn, retries counted per turn', async () => {
    // Prepare: turn 0 asks; turn 1 fails once (retried) then asks; turn 2 answers
    const def: WorkflowDefinition = { name: 'a', nodes: [agent('a', { retry: { maxAttempts: 2, intervalSeconds: 1 } })], edges: [] };
    const { asl } = compileWorkflow(def, { executorArn: FN, strategy: 'levels' });
    let turn1Calls = 0;
    const { calls, invoke } = recorder({
      a: (payload) => {
        if (payload.action === 'reply-wait') return { route: 'ok', wait: 30 };
        if (payload.action === 'reply') return { route: 'waiting' };
        const turn = (payload.turn as number | undefined) ?? 0;
        if (turn === 1 && turn1Calls++ === 0) throw braidError('Braid.NodeFailed');
        if (turn < 2) throw braidError('Braid.InputRequired');
        return { route: 'ok' };
      },
    }, 1);
    const runner = createAslRunner(asl);

    // Act
    const execution = runner.run({ runId: 'r', r: {} }, { invoke, retryIntervalOverrides: { 'a:continue': 1 } });
    for (const expected of [1, 2]) {
      const { taskToken } = await pollUntil(() => runner.waitingTokens()[0], 20_000, `reply ${expected} waiting`);
      runner.sendTaskSuccess(taskToken, { turn: expected });
    }
    const outcome = await withDeadline(execution.outcome, 30_000, 'execution');

    // Assess
    expect(outcome.status).toBe('SUCCEEDED');
    const executes = calls.filter((c) => c.action === 'execute').map((c) => [c.stateName, c.payload.turn ?? 0, c.attempt]);
    expect(executes).toStrictEqual([['a', 0, 0], ['a:continue', 1, 0], ['a:continue', 1, 1], ['a:continue', 2, 0]]);
    expect(calls.filter((c) => c.action === 'reply').map((c) => c.payload)).not.toContainEqual(expect.objectContaining({ braidLocalTimeoutSeconds: expect.anything() }));
  });

  it('times a reply wait out with States.Timeout after the seconds X:ask returned', async () => {
    // Prepare
    const def: WorkflowDefinition = { name: 'a', nodes: [agent('a')], edges: [] };
    const { asl } = compileWorkflow(def, { executorArn: FN, strategy: 'levels' });
    const { invoke } = recorder({
      a: (payload) => {
        if (payload.action === 'reply-wait') return { route: 'ok', wait: 1 };
        if (payload.action === 'reply') return { route: 'waiting' };
        throw braidError('Braid.InputRequired');
      },
    }, 1);
    const runner = createAslRunner(asl);

    // Act
    const outcome = await withDeadline(runner.run({ runId: 'r', r: {} }, { invoke }).outcome, 30_000, 'execution');

    // Assess
    expect(outcome).toMatchObject({ status: 'FAILED', error: 'States.Timeout' });
    expect(runner.waitingTokens()).toStrictEqual([]);
  });
});

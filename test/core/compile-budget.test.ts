/**
 * The budget's part of the compiled ASL: check states before each agent_call in `gate` mode, the catcher that
 * keeps `onError: continue` from continuing past `Braid.BudgetExceeded` (top level and in a branch), and no
 * change at all for workflows without a budget policy.
 */
import { describe, expect, it } from 'vitest';
import { compileWorkflow } from '../../shared/compiler/compile';
import type { WorkflowDefinition } from '../../shared/definition/schema';
import { aslErrors } from '../support/asl-harness';
import { serviceRetrier } from '../../shared/compiler/task-state';

const FN = 'executor';
const agent = (id: string, extra: object = {}) => ({ id, type: 'agent_call' as const, agent: { url: 'https://agent.example' }, ...extra });
// The service retrier comes from the contract (`shared/contract/retriers.ts`): the same object on every Task.
const SERVICE_RETRY = serviceRetrier();

describe('compileWorkflow: budgets', () => {
  it('puts a check state before each agent_call in gate mode', () => {
    // Prepare
    const def: WorkflowDefinition = { name: 'b', budget: { usd: 1 }, onBudgetExceeded: 'gate', nodes: [agent('a'), { id: 't', type: 'tool_call', tool: { kind: 'builtin', name: 'echo' } }], edges: [{ from: 'a', to: 't' }] };

    // Act
    const { asl } = compileWorkflow(def, { executorArn: FN, strategy: 'levels' });

    // Assess
    expect(asl.StartAt).toBe('a:budget');
    expect(asl.States['a:budget']).toStrictEqual({
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: { FunctionName: FN, Payload: { action: 'budget', 'runId.$': '$$.Execution.Input.runId', nodeId: 'a', 'taskToken.$': '$$.Task.Token' } },
      TimeoutSeconds: 86_400,
      ResultPath: null,
      Retry: [SERVICE_RETRY],
      // No catch-all: a failed check fails the execution (which the finalizer records), so a redrive reruns it.
      Next: 'a',
    });
    expect(Object.keys(asl.States).filter((s) => s.endsWith(':budget'))).toEqual(['a:budget']);
    expect(aslErrors(asl)).toBe('');
  });

  it('keeps onError: continue from continuing past Braid.BudgetExceeded, at the top level and in a branch', () => {
    // Prepare
    const def: WorkflowDefinition = {
      name: 'b', budget: { usd: 1 },
      nodes: [agent('top', { onError: 'continue' }), agent('left', { onError: 'continue' }), agent('right')],
      edges: [{ from: 'top', to: 'left' }, { from: 'top', to: 'right' }],
    };

    // Act
    const { asl } = compileWorkflow(def, { executorArn: FN, strategy: 'levels' });

    // Assess
    const top = asl.States.top as { Catch: unknown[] };
    // The reply loop's catcher comes first (reply-states.ts), then the budget's, then onError's States.ALL.
    expect(top.Catch[0]).toStrictEqual({ ErrorEquals: ['Braid.InputRequired'], ResultPath: null, Next: 'top:ask' });
    expect(top.Catch[1]).toStrictEqual({ ErrorEquals: ['Braid.BudgetExceeded'], ResultPath: null, Next: 'top:budget-exceeded' });
    expect(asl.States['top:budget-exceeded']).toStrictEqual({ Type: 'Fail', Error: 'Braid.BudgetExceeded', Cause: "the run's budget was spent before top" });
    const level = asl.States['level:1'] as { Branches: Array<{ States: Record<string, any> }> };
    const left = level.Branches[0]!.States;
    expect(left.left.Catch[1]).toStrictEqual({ ErrorEquals: ['Braid.BudgetExceeded'], ResultPath: null, Next: 'left:budget-exceeded' });
    expect(left['left:budget-exceeded']).toStrictEqual({ Type: 'Fail', Error: 'Braid.BudgetExceeded', Cause: "the run's budget was spent before left" });
    expect(level.Branches[1]!.States.right.Catch).toStrictEqual([{ ErrorEquals: ['Braid.InputRequired'], ResultPath: null, Next: 'right:ask' }]);
    expect(aslErrors(asl)).toBe('');
  });

  it('compiles a workflow without a budget policy exactly as before', () => {
    // Prepare
    const plain: WorkflowDefinition = { name: 'p', nodes: [agent('a', { onError: 'continue' })], edges: [] };

    // Act
    const { asl } = compileWorkflow(plain, { executorArn: FN });

    // Assess
    expect(JSON.stringify(asl)).not.toMatch(/budget|Budget/);
  });
});

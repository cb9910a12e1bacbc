/**
 * The executor-node timeout bound at every door: the compiler refuses, and the API answers 400 with the pointer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileWorkflow } from '../../shared/compiler/compile';
import { CompileError } from '../../shared/compiler/errors';
import { MAX_EXECUTOR_TIMEOUT_SECONDS } from '../../shared/definition/execution-limits';
import { createFakeOrchestrator } from '../support/fake-orchestrator';
import { gate, tool, workflow } from '../support/asl-harness';
import { startTestStack, type TestStack } from '../support/local-stack';

const EXECUTOR = 'arn:aws:lambda:us-east-1:123456789012:function:braid-executor';
const tooLong = workflow([tool('slow', { timeoutSeconds: MAX_EXECUTOR_TIMEOUT_SECONDS + 60 }), gate('ok', 7 * 86_400)], ['slow->ok']);

describe('node timeouts the executor cannot serve', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack({ orchestrator: createFakeOrchestrator() });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('are refused by the compiler (compile_failed naming the node)', () => {
    // Prepare, Act
    const caught = (() => {
      try {
        compileWorkflow(tooLong, { executorArn: EXECUTOR });
        return undefined;
      } catch (error) {
        return error;
      }
    })();
    // Assess
    expect(caught).toBeInstanceOf(CompileError);
    expect((caught as CompileError).issues).toStrictEqual([expect.objectContaining({ code: 'timeout_exceeds_executor', path: '/nodes/0/timeoutSeconds' })]);
  });

  it('are a 400 with the JSON pointer when a workflow is created', async () => {
    // Prepare, Act
    const res = await stack.call('POST', '/api/v1/workflows', { as: 'u', body: tooLong });
    // Assess
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toContain('timeout_exceeds_executor');
    expect(JSON.stringify(res.body)).toContain('/nodes/0/timeoutSeconds');
  });

  it('leave a gate free to wait for days and an executor node at exactly the bound', () => {
    // Prepare
    const ok = workflow([tool('slow', { timeoutSeconds: MAX_EXECUTOR_TIMEOUT_SECONDS }), gate('ok', 7 * 86_400)], ['slow->ok']);
    // Act
    const { asl } = compileWorkflow(ok, { executorArn: EXECUTOR });
    // Assess
    const states = JSON.stringify(asl);
    expect(states).toContain(`"TimeoutSeconds":${MAX_EXECUTOR_TIMEOUT_SECONDS}`);
    expect(states).toContain(`"TimeoutSeconds":${7 * 86_400}`);
  });
});

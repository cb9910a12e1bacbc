import { DescribeExecutionCommand, ExecutionDoesNotExist, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { OrchestratorError, SfnOrchestrator } from '../../shared/adapters/sfn-orchestrator';

// DescribeExecution can only be checked against the SDK: Step Functions has no local engine for it.
const sfnMock = mockClient(SFNClient);
const client = new SFNClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
const EXEC_ARN = 'arn:aws:states:eu-west-1:123456789012:execution:braid-wf1:run-1';
const base = { executionArn: EXEC_ARN, stateMachineArn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:braid-wf1', startDate: new Date() };

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

beforeEach(() => {
  sfnMock.reset();
});

describe('SfnOrchestrator.describe', () => {
  it('describes the execution by its ARN', async () => {
    // Prepare
    sfnMock.on(DescribeExecutionCommand).resolves({ ...base, status: 'RUNNING' });

    // Act
    const described = await new SfnOrchestrator({ client }).describe({ executionArn: EXEC_ARN });

    // Assess
    expect(described).toStrictEqual({ status: 'RUNNING' });
    expect(sfnMock.commandCalls(DescribeExecutionCommand).map((call) => call.args[0].input)).toStrictEqual([{ executionArn: EXEC_ARN }]);
  });

  it('returns the error and cause of a failed execution', async () => {
    // Prepare
    sfnMock.on(DescribeExecutionCommand).resolves({ ...base, status: 'FAILED', error: 'States.Runtime', cause: 'the Lambda crashed' });

    // Act
    const described = await new SfnOrchestrator({ client }).describe({ executionArn: EXEC_ARN });

    // Assess
    expect(described).toStrictEqual({ status: 'FAILED', error: 'States.Runtime', cause: 'the Lambda crashed' });
  });

  it.each(['SUCCEEDED', 'TIMED_OUT', 'ABORTED'] as const)('reports a %s execution', async (status) => {
    // Prepare
    sfnMock.on(DescribeExecutionCommand).resolves({ ...base, status });

    // Act
    const described = await new SfnOrchestrator({ client }).describe({ executionArn: EXEC_ARN });

    // Assess
    expect(described).toStrictEqual({ status });
  });

  it('reads a pending redrive as running', async () => {
    // Prepare
    sfnMock.on(DescribeExecutionCommand).resolves({ ...base, status: 'PENDING_REDRIVE', error: 'States.Runtime' });

    // Act
    const described = await new SfnOrchestrator({ client }).describe({ executionArn: EXEC_ARN });

    // Assess
    expect(described).toStrictEqual({ status: 'RUNNING' });
  });

  it('maps an unknown execution to a not-found result', async () => {
    // Prepare
    sfnMock.on(DescribeExecutionCommand).rejects(new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', $metadata: {} }));

    // Act
    const described = await new SfnOrchestrator({ client }).describe({ executionArn: EXEC_ARN });

    // Assess
    expect(described).toStrictEqual({ status: 'NOT_FOUND' });
  });

  it('rethrows any other error', async () => {
    // Prepare
    sfnMock.on(DescribeExecutionCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));

    // Act
    const error = await failure(new SfnOrchestrator({ client }).describe({ executionArn: EXEC_ARN }));

    // Assess
    expect((error as Error).name).toBe('AccessDeniedException');
  });

  it('refuses a status it does not know', async () => {
    // Prepare
    sfnMock.on(DescribeExecutionCommand).resolves({ ...base, status: 'PAUSED' as never });

    // Act
    const error = await failure(new SfnOrchestrator({ client }).describe({ executionArn: EXEC_ARN }));

    // Assess
    expect(error).toBeInstanceOf(OrchestratorError);
  });
});

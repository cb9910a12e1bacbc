import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  InvalidToken,
  RedriveExecutionCommand,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StateMachineAlreadyExists,
  StopExecutionCommand,
  TaskDoesNotExist,
  TaskTimedOut,
  UpdateStateMachineCommand,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { arnScopeOf } from '../../shared/adapters/sfn-names';
import { executionArnOf, SfnOrchestrator } from '../../shared/adapters/sfn-orchestrator';
import { ConflictError, NotFoundError } from '../../shared/errors';
import { TaskClosedError } from '../../shared/ports/orchestrator';

// The AWS adapter's calls can only be checked against the SDK: Step Functions has no local engine for them.
const sfnMock = mockClient(SFNClient);
const client = new SFNClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
const ROLE = 'arn:aws:iam::123456789012:role/braid-sfn';
const SM_ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:braid_wf1';
const VERSION_ARN = `${SM_ARN}:3`;
const EXEC_ARN = 'arn:aws:states:eu-west-1:123456789012:execution:braid_wf1:run-1';
const definition = { StartAt: 'A', States: { A: { Type: 'Pass', End: true } } };
const logging = { level: 'ERROR' as const, includeExecutionData: false, destinations: [{ cloudWatchLogsLogGroup: { logGroupArn: 'arn:aws:logs:eu-west-1:123456789012:log-group:braid:*' } }] };

const SCOPE = { partition: 'aws', region: 'eu-west-1', account: '123456789012' };

function orchestrator(extra: { scope?: typeof SCOPE } = {}) {
  return new SfnOrchestrator({ client, roleArn: ROLE, namePrefix: 'braid', scope: SCOPE, loggingConfiguration: logging, tracingConfiguration: { enabled: true }, ...extra });
}

function awsError<T>(Type: new (opts: { message: string; $metadata: object }) => T, message = 'x'): T {
  return new Type({ message, $metadata: {} });
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

beforeEach(() => {
  sfnMock.reset();
});

describe('SfnOrchestrator.register', () => {
  it('creates a published STANDARD state machine named after the workflow', async () => {
    // Prepare
    sfnMock.on(CreateStateMachineCommand).resolves({ stateMachineArn: SM_ARN, stateMachineVersionArn: `${SM_ARN}:1`, creationDate: new Date() });

    // Act
    const machine = await orchestrator().register({ workflowId: 'wf1', version: 1, definition });

    // Assess
    expect(machine).toStrictEqual({ stateMachineArn: SM_ARN, versionArn: `${SM_ARN}:1` });
    expect(sfnMock.commandCalls(CreateStateMachineCommand).map((call) => call.args[0].input)).toStrictEqual([
      {
        name: 'braid_wf1',
        definition: JSON.stringify(definition),
        roleArn: ROLE,
        type: 'STANDARD',
        publish: true,
        versionDescription: 'workflow wf1 version 1',
        loggingConfiguration: logging,
        tracingConfiguration: { enabled: true },
      },
    ]);
  });

  it('updates and publishes when the state machine already exists (ARN derived, not read from the error)', async () => {
    // Prepare: the message names nothing, so the ARN can only come from the name and the scope
    sfnMock.on(CreateStateMachineCommand).rejects(awsError(StateMachineAlreadyExists, 'State Machine Already Exists'));
    sfnMock.on(UpdateStateMachineCommand).resolves({ stateMachineVersionArn: VERSION_ARN, updateDate: new Date() });

    // Act
    const machine = await orchestrator().register({ workflowId: 'wf1', version: 3, definition });

    // Assess
    expect(machine).toStrictEqual({ stateMachineArn: SM_ARN, versionArn: VERSION_ARN });
    expect(sfnMock.commandCalls(UpdateStateMachineCommand).map((call) => call.args[0].input)).toStrictEqual([
      {
        stateMachineArn: SM_ARN,
        definition: JSON.stringify(definition),
        roleArn: ROLE,
        publish: true,
        versionDescription: 'workflow wf1 version 3',
        loggingConfiguration: logging,
        tracingConfiguration: { enabled: true },
      },
    ]);
  });

  it('names the existing state machine in the scope it was given (another partition and region)', async () => {
    // Prepare
    sfnMock.on(CreateStateMachineCommand).rejects(awsError(StateMachineAlreadyExists, 'exists'));
    sfnMock.on(UpdateStateMachineCommand).resolves({ stateMachineVersionArn: VERSION_ARN, updateDate: new Date() });
    const scope = arnScopeOf('arn:aws-cn:lambda:cn-north-1:210987654321:function:braid-executor');

    // Act
    await orchestrator({ scope }).register({ workflowId: 'wf1', version: 3, definition });

    // Assess
    expect(sfnMock.commandCalls(UpdateStateMachineCommand)[0]?.args[0].input.stateMachineArn)
      .toBe('arn:aws-cn:states:cn-north-1:210987654321:stateMachine:braid_wf1');
  });

  it('refuses to register without the scope it needs to name machines', async () => {
    // Prepare
    const bare = new SfnOrchestrator({ client, roleArn: ROLE, namePrefix: 'braid' });

    // Act
    const error = await failure(bare.register({ workflowId: 'wf1', version: 1, definition }));

    // Assess
    expect((error as Error).message).toContain('scope');
    expect(sfnMock.commandCalls(CreateStateMachineCommand)).toHaveLength(0);
  });
});

describe('SfnOrchestrator.start', () => {
  it('redrives an execution by its ARN, and makes a refusal a 409 not_redrivable', async () => {
    // Prepare
    sfnMock.on(RedriveExecutionCommand).resolvesOnce({ redriveDate: new Date() })
      .rejectsOnce(Object.assign(new Error('Execution is not redrivable: it was closed more than 14 days ago'), { name: 'ExecutionNotRedrivable' }));
    const input = { executionArn: EXEC_ARN, versionArn: VERSION_ARN, runId: 'run-1', input: {}, redriveCount: 1 };

    // Act
    await orchestrator().redrive(input);
    const refused = await orchestrator().redrive(input).then(() => undefined, (e: unknown) => e);

    // Assess
    expect(sfnMock.commandCalls(RedriveExecutionCommand).map((call) => call.args[0].input)).toStrictEqual([{ executionArn: EXEC_ARN }, { executionArn: EXEC_ARN }]);
    expect(refused).toBeInstanceOf(ConflictError);
    expect((refused as ConflictError).reason).toBe('not_redrivable');
  });

  it('starts an execution of the version named after the run', async () => {
    // Prepare
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: EXEC_ARN, startDate: new Date() });

    // Act
    const started = await orchestrator().start({ versionArn: VERSION_ARN, runId: 'run-1', input: { runId: 'run-1', r: {} } });

    // Assess
    expect(started).toStrictEqual({ executionArn: EXEC_ARN });
    expect(sfnMock.commandCalls(StartExecutionCommand).map((call) => call.args[0].input)).toStrictEqual([
      { stateMachineArn: VERSION_ARN, name: 'run-1', input: '{"runId":"run-1","r":{}}' },
    ]);
  });

  it('returns the existing execution when the same run starts again with the same input', async () => {
    // Prepare
    sfnMock.on(StartExecutionCommand).rejects(awsError(ExecutionAlreadyExists));
    sfnMock.on(DescribeExecutionCommand, { executionArn: EXEC_ARN }).resolves({ executionArn: EXEC_ARN, input: '{"runId":"run-1","r":{}}', status: 'SUCCEEDED' });

    // Act
    const started = await orchestrator().start({ versionArn: VERSION_ARN, runId: 'run-1', input: { runId: 'run-1', r: {} } });

    // Assess
    expect(started).toStrictEqual({ executionArn: EXEC_ARN });
  });

  it('refuses a second start of the run with another input', async () => {
    // Prepare
    sfnMock.on(StartExecutionCommand).rejects(awsError(ExecutionAlreadyExists));
    sfnMock.on(DescribeExecutionCommand).resolves({ executionArn: EXEC_ARN, input: '{"runId":"other"}', status: 'RUNNING' });

    // Act
    const error = await failure(orchestrator().start({ versionArn: VERSION_ARN, runId: 'run-1', input: { runId: 'run-1', r: {} } }));

    // Assess
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as ConflictError).reason).toBe('execution_exists');
  });

  it('derives the execution ARN from a version ARN', () => {
    // Act
    const arn = executionArnOf(VERSION_ARN, 'run-1');

    // Assess
    expect(arn).toBe(EXEC_ARN);
  });
});

describe('SfnOrchestrator.stop', () => {
  it('stops the execution with the error and cause', async () => {
    // Prepare
    sfnMock.on(StopExecutionCommand).resolves({ stopDate: new Date() });

    // Act
    await orchestrator().stop({ executionArn: EXEC_ARN, error: 'Braid.Cancelled', cause: 'cancelled by alice' });

    // Assess
    expect(sfnMock.commandCalls(StopExecutionCommand).map((call) => call.args[0].input)).toStrictEqual([
      { executionArn: EXEC_ARN, error: 'Braid.Cancelled', cause: 'cancelled by alice' },
    ]);
  });

  it('ignores an execution that has already ended', async () => {
    // Prepare
    sfnMock.on(StopExecutionCommand).rejects(Object.assign(new Error('execution is closed'), { name: 'ValidationException' }));
    sfnMock.on(DescribeExecutionCommand).resolves({ executionArn: EXEC_ARN, status: 'SUCCEEDED' });

    // Act
    const error = await failure(orchestrator().stop({ executionArn: EXEC_ARN, error: 'e', cause: 'c' }));

    // Assess
    expect(error).toBeUndefined();
  });

  it('rethrows a failure to stop a running execution', async () => {
    // Prepare
    sfnMock.on(StopExecutionCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    sfnMock.on(DescribeExecutionCommand).resolves({ executionArn: EXEC_ARN, status: 'RUNNING' });

    // Act
    const error = await failure(orchestrator().stop({ executionArn: EXEC_ARN, error: 'e', cause: 'c' }));

    // Assess
    expect((error as Error).name).toBe('AccessDeniedException');
  });

  it('maps an unknown execution to NotFoundError', async () => {
    // Prepare
    sfnMock.on(StopExecutionCommand).rejects(awsError(ExecutionDoesNotExist));

    // Act
    const error = await failure(orchestrator().stop({ executionArn: EXEC_ARN, error: 'e', cause: 'c' }));

    // Assess
    expect(error).toBeInstanceOf(NotFoundError);
  });
});

describe('SfnOrchestrator task tokens', () => {
  it('sends task success with the output as JSON', async () => {
    // Prepare
    sfnMock.on(SendTaskSuccessCommand).resolves({});

    // Act
    await orchestrator().sendTaskSuccess({ taskToken: 'tok', output: { route: 'ok' } });

    // Assess
    expect(sfnMock.commandCalls(SendTaskSuccessCommand).map((call) => call.args[0].input)).toStrictEqual([{ taskToken: 'tok', output: '{"route":"ok"}' }]);
  });

  it('sends task failure with a matchable error name', async () => {
    // Prepare
    sfnMock.on(SendTaskFailureCommand).resolves({});

    // Act
    await orchestrator().sendTaskFailure({ taskToken: 'tok', error: 'Braid.GateRejected', cause: 'rejected by bob' });

    // Assess
    expect(sfnMock.commandCalls(SendTaskFailureCommand).map((call) => call.args[0].input)).toStrictEqual([
      { taskToken: 'tok', error: 'Braid.GateRejected', cause: 'rejected by bob' },
    ]);
  });

  it.each([
    ['TaskTimedOut', () => awsError(TaskTimedOut), 'task_timed_out'],
    ['InvalidToken', () => awsError(InvalidToken), 'task_closed'],
    ['TaskDoesNotExist', () => awsError(TaskDoesNotExist), 'task_closed'],
  ])('maps %s to a TaskClosedError (409) without the token', async (_name, makeError, reason) => {
    // Prepare
    sfnMock.on(SendTaskSuccessCommand).rejects(makeError());

    // Act
    const error = await failure(orchestrator().sendTaskSuccess({ taskToken: 'secret-token', output: {} }));

    // Assess
    expect(error).toBeInstanceOf(TaskClosedError);
    expect((error as TaskClosedError).reason).toBe(reason);
    expect((error as Error).message).not.toContain('secret-token');
  });

  it('maps a closed task on failure too', async () => {
    // Prepare
    sfnMock.on(SendTaskFailureCommand).rejects(awsError(TaskTimedOut));

    // Act
    const error = await failure(orchestrator().sendTaskFailure({ taskToken: 't', error: 'Braid.GateRejected', cause: 'c' }));

    // Assess
    expect(error).toBeInstanceOf(TaskClosedError);
  });
});

describe('SfnOrchestrator service faults', () => {
  beforeEach(() => sfnMock.reset());

  it('renames throttling Braid.Transient so the API answers 503 and the state machine retries', async () => {
    // Prepare
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });
    sfnMock.on(StartExecutionCommand).rejects(throttled);
    // Act
    const outcome = await orchestrator().start({ versionArn: VERSION_ARN, runId: 'run-1', input: { runId: 'run-1', r: {} } }).catch((e: unknown) => e);
    // Assess
    expect(outcome).toMatchObject({ name: 'Braid.Transient', code: 'orchestrator_unavailable' });
  });

  it('passes a client error through unchanged', async () => {
    // Prepare
    const invalid = Object.assign(new Error('bad arn'), { name: 'InvalidArn', $metadata: { httpStatusCode: 400 } });
    sfnMock.on(StartExecutionCommand).rejects(invalid);
    // Act
    const outcome = await orchestrator().start({ versionArn: VERSION_ARN, runId: 'run-1', input: { runId: 'run-1', r: {} } }).catch((e: unknown) => e);
    // Assess
    expect(outcome).toMatchObject({ name: 'InvalidArn' });
  });
});

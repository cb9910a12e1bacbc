/**
 * The AWS adapter of the orchestrator port, on `@aws-sdk/client-sfn`: one STANDARD state machine per
 * workflow (`<prefix>_<workflowId>`, see `sfn-names.ts`), one published version per workflow version, executions named
 * after run ids.
 */
import { isDeepStrictEqual } from 'node:util';
import {
  CreateStateMachineCommand,
  DeleteStateMachineCommand,
  DeleteStateMachineVersionCommand,
  DescribeExecutionCommand,
  RedriveExecutionCommand,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  StopExecutionCommand,
  UpdateStateMachineCommand,
  type LoggingConfiguration,
  type SFNClient,
  type TracingConfiguration,
} from '@aws-sdk/client-sfn';
import { BraidError, ConflictError, NotFoundError } from '../errors';
import {
  executionArnOf,
  TaskClosedError,
  type ExecutionDescription,
  type ExecutionNotFound,
  type Orchestrator,
  type RegisteredMachine,
} from '../ports/orchestrator';
import { ERROR_NAMES } from '../contract/error-names';
import { stateMachineArn, stateMachineName, type ArnScope } from './sfn-names';

/** Options of `SfnOrchestrator`. */
export interface SfnOrchestratorOptions {
  /** An SFN client (or anything with its `send`), built once by the composition root. */
  client: Pick<SFNClient, 'send'>;
  /** The role the state machines run as (it may invoke the executor Lambda); needed by `register` only. */
  roleArn?: string;
  /** State machine names are `<namePrefix>_<workflowId>`; needed by `register` only. */
  namePrefix?: string;
  /**
   * Partition, region and account of the state machines (`arnScopeOf(executorArn)`), so the ARN of an
   * existing machine is derived from its name; needed by `register` only.
   */
  scope?: ArnScope;
  /** CloudWatch Logs configuration of every state machine. @default none */
  loggingConfiguration?: LoggingConfiguration;
  /** X-Ray tracing configuration. @default none */
  tracingConfiguration?: TracingConfiguration;
}

/** The adapter failed in a way no caller can fix (an unexpected SDK answer). */
export class OrchestratorError extends BraidError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('orchestrator_failed', message, options);
    this.name = 'OrchestratorError';
  }
}

/** Errors from `SendTask*` that mean the token can no longer be used. */
const CLOSED_TASK_ERRORS: Record<string, 'task_timed_out' | 'task_closed'> = {
  TaskTimedOut: 'task_timed_out',
  InvalidToken: 'task_closed',
  TaskDoesNotExist: 'task_closed',
};

/** Step Functions was throttled or unavailable: retrying later may succeed. */
export class OrchestratorUnavailableError extends BraidError {
  constructor(sdkError: string, options?: { cause?: unknown }) {
    super('orchestrator_unavailable', `Step Functions is unavailable or throttling (${sdkError})`, options);
    this.name = ERROR_NAMES.transient;
  }
}

const TRANSIENT_SDK_ERRORS = new Set(['ThrottlingException', 'TooManyRequestsException', 'ServiceUnavailable', 'ServiceUnavailableException', 'InternalServerError', 'InternalFailure', 'RequestTimeout']);

/** Throttling, 5xx and timeouts from the SDK; never a client error such as a missing execution. */
function isTransientSdkError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return TRANSIENT_SDK_ERRORS.has(error.name) || (status !== undefined && status >= 500) || error.name === 'TimeoutError';
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : '';
}

/** Step Functions through the AWS SDK. */
export class SfnOrchestrator implements Orchestrator {
  /** The client, with throttling and service faults renamed `Braid.Transient` (503 over HTTP, retried in ASL). */
  private readonly client: Pick<SFNClient, 'send'>;

  constructor(private readonly options: SfnOrchestratorOptions) {
    const send = options.client.send.bind(options.client) as (command: unknown) => Promise<unknown>;
    this.client = {
      send: ((command: unknown) => send(command).catch((error: unknown) => {
        throw isTransientSdkError(error) ? new OrchestratorUnavailableError(errorName(error), { cause: error }) : error;
      })) as SFNClient['send'],
    };
  }

  /** CreateStateMachine (published), or UpdateStateMachine (published) when it already exists. */
  async register(input: { workflowId: string; version: number; definition: object }): Promise<RegisteredMachine> {
    const { roleArn, namePrefix, scope, loggingConfiguration, tracingConfiguration } = this.options;
    // Only the compile function registers; the others build the adapter without these.
    if (!roleArn || !namePrefix || !scope) throw new OrchestratorError('register needs the roleArn, namePrefix and scope options');
    const name = stateMachineName(namePrefix, input.workflowId);
    const definition = JSON.stringify(input.definition);
    const versionDescription = `workflow ${input.workflowId} version ${input.version}`;
    const config = {
      ...(loggingConfiguration ? { loggingConfiguration } : {}),
      ...(tracingConfiguration ? { tracingConfiguration } : {}),
    };
    try {
      const created = await this.client.send(
        new CreateStateMachineCommand({ name, definition, roleArn, type: 'STANDARD', publish: true, versionDescription, ...config }),
      );
      return this.machine(created.stateMachineArn, created.stateMachineVersionArn);
    } catch (error) {
      if (errorName(error) !== 'StateMachineAlreadyExists') throw error;
      const existing = stateMachineArn(scope, name);
      const updated = await this.client.send(
        new UpdateStateMachineCommand({ stateMachineArn: existing, definition, roleArn, publish: true, versionDescription, ...config }),
      );
      return this.machine(existing, updated.stateMachineVersionArn);
    }
  }

  /** DeleteStateMachineVersion; a version already gone is a no-op. */
  async deleteVersion(input: { versionArn: string }): Promise<void> {
    try {
      await this.client.send(new DeleteStateMachineVersionCommand({ stateMachineVersionArn: input.versionArn }));
    } catch (error) {
      if (!['ResourceNotFound', 'StateMachineDoesNotExist'].includes(errorName(error))) throw error;
    }
  }

  /** DeleteStateMachine (Step Functions deletes its versions with it); a machine already gone is a no-op. */
  async deleteMachine(input: { stateMachineArn: string }): Promise<void> {
    try {
      await this.client.send(new DeleteStateMachineCommand({ stateMachineArn: input.stateMachineArn }));
    } catch (error) {
      if (!['ResourceNotFound', 'StateMachineDoesNotExist'].includes(errorName(error))) throw error;
    }
  }

  /**
   * StartExecution on the version ARN named `runId`. A second start of the same run with the same input
   * returns the existing execution (ExecutionAlreadyExists); with another input it is a `ConflictError`.
   */
  async start(input: { versionArn: string; runId: string; input: object }): Promise<{ executionArn: string }> {
    try {
      const started = await this.client.send(
        new StartExecutionCommand({ stateMachineArn: input.versionArn, name: input.runId, input: JSON.stringify(input.input) }),
      );
      if (!started.executionArn) throw new OrchestratorError('StartExecution returned no executionArn');
      return { executionArn: started.executionArn };
    } catch (error) {
      if (errorName(error) !== 'ExecutionAlreadyExists') throw error;
      const executionArn = executionArnOf(input.versionArn, input.runId);
      const existing = await this.client.send(new DescribeExecutionCommand({ executionArn }));
      if (!isDeepStrictEqual(parseJson(existing.input), input.input)) {
        throw new ConflictError('execution_exists', `execution ${input.runId} exists with another input`, { cause: error });
      }
      return { executionArn };
    }
  }

  /**
   * RedriveExecution (the execution keeps its ARN, input and version; Step Functions supplies `RedriveCount`).
   * Refusals (`ExecutionNotRedrivable`: too old, running, succeeded, history full) are a 409 `not_redrivable`.
   */
  async redrive(input: { executionArn: string }): Promise<void> {
    try {
      await this.client.send(new RedriveExecutionCommand({ executionArn: input.executionArn }));
    } catch (error) {
      if (errorName(error) === 'ExecutionNotRedrivable' || errorName(error) === 'ExecutionLimitExceeded') {
        throw new ConflictError('not_redrivable', `Step Functions will not redrive ${input.executionArn}: ${(error as Error).message}`, { cause: error });
      }
      if (errorName(error) === 'ExecutionDoesNotExist') throw new NotFoundError('execution', input.executionArn, { cause: error });
      throw error;
    }
  }

  /** StopExecution; an execution that has already ended is left as it is. */
  async stop(input: { executionArn: string; error: string; cause: string }): Promise<void> {
    try {
      await this.client.send(new StopExecutionCommand(input));
    } catch (error) {
      if (errorName(error) === 'ExecutionDoesNotExist') throw new NotFoundError('execution', input.executionArn, { cause: error });
      const current = await this.client
        .send(new DescribeExecutionCommand({ executionArn: input.executionArn }))
        .catch(() => undefined);
      if (current?.status && current.status !== 'RUNNING' && current.status !== 'PENDING_REDRIVE') return;
      throw error;
    }
  }

  /**
   * DescribeExecution. `PENDING_REDRIVE` (a redrive is on its way) reads as `RUNNING`; an unknown execution
   * (`ExecutionDoesNotExist`) is `{ status: 'NOT_FOUND' }`; any other error is rethrown.
   */
  async describe(input: { executionArn: string }): Promise<ExecutionDescription | ExecutionNotFound> {
    let out;
    try {
      out = await this.client.send(new DescribeExecutionCommand({ executionArn: input.executionArn }));
    } catch (error) {
      if (errorName(error) === 'ExecutionDoesNotExist') return { status: 'NOT_FOUND' };
      throw error;
    }
    switch (out.status) {
      case 'RUNNING':
      case 'PENDING_REDRIVE':
        return { status: 'RUNNING' };
      case 'SUCCEEDED':
      case 'FAILED':
      case 'TIMED_OUT':
      case 'ABORTED':
        return { status: out.status, ...(out.error ? { error: out.error } : {}), ...(out.cause ? { cause: out.cause } : {}) };
      default:
        throw new OrchestratorError(`DescribeExecution returned an unknown status: ${String(out.status)}`);
    }
  }

  /** SendTaskSuccess with `output` as JSON; a closed task is a `TaskClosedError` (409). */
  async sendTaskSuccess(input: { taskToken: string; output: object }): Promise<void> {
    await this.sendTask(new SendTaskSuccessCommand({ taskToken: input.taskToken, output: JSON.stringify(input.output) }));
  }

  /** SendTaskFailure with a matchable error name; a closed task is a `TaskClosedError` (409). */
  async sendTaskFailure(input: { taskToken: string; error: string; cause: string }): Promise<void> {
    await this.sendTask(new SendTaskFailureCommand({ taskToken: input.taskToken, error: input.error, cause: input.cause }));
  }

  private async sendTask(command: SendTaskSuccessCommand | SendTaskFailureCommand): Promise<void> {
    try {
      // Each command type is its own overload of `send`; the union needs one call per type.
      if (command instanceof SendTaskSuccessCommand) await this.client.send(command);
      else await this.client.send(command);
    } catch (error) {
      const reason = CLOSED_TASK_ERRORS[errorName(error)];
      // Never put the token in the message: it is a secret that must not reach logs or responses.
      if (reason) throw new TaskClosedError(reason, `the task can no longer be completed (${errorName(error)})`, { cause: error });
      throw error;
    }
  }

  private machine(stateMachineArn: string | undefined, versionArn: string | undefined): RegisteredMachine {
    if (!stateMachineArn || !versionArn) throw new OrchestratorError('Step Functions returned no state machine or version ARN');
    return { stateMachineArn, versionArn };
  }

}


function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export { executionArnOf };

/**
 * Runs Braid's compiled ASL on `aws-local-stepfunctions` (v3, Node 22) with in-process task handlers,
 * behaving the way the execution contract expects of Step Functions + Lambda:
 * - every Task state calls `invoke(FunctionName, Payload, meta)` instead of Lambda;
 * - `Payload.attempt` is the runner's own per-(execution, state) counter (the engine has no
 *   `$$.State.RetryCount`);
 * - `.waitForTaskToken` states get a fresh `Payload.taskToken` and wait for `sendTaskSuccess` /
 *   `sendTaskFailure`; their output is what was sent;
 * - other Task results are wrapped as a Lambda invoke result `{ ExecutedVersion, Payload, StatusCode }`;
 * - an error thrown by `invoke` reaches the engine with its `name` (the engine matches `Retry`/`Catch`
 *   on `error.name`), as Lambda reports `errorType` on AWS.
 *
 * - `Payload.attempt` restarts at 0 when a state is entered again after `Braid.InputRequired` (an agent's
 *   `X:continue` loop), as `$$.State.RetryCount` does on AWS;
 * - a token Task's `TimeoutSecondsPath` (an agent's `X:reply`) is read from the state input through the payload
 *   (the engine would read it from the processed `Parameters`), and times the wait as `TimeoutSeconds` does.
 *
 * Local differences (documented in the README): `TimeoutSeconds` above 2,147,483 is clamped (the
 * engine's timer would overflow into an immediate timeout); Parallel runs at most 40 branches at a
 * time; `abort()` stops new states but cannot cancel an `invoke` already running; a Distributed Map
 * runs inline (the engine has no child executions: `ProcessorConfig` becomes `INLINE`, `Label` goes).
 */
import { randomUUID } from 'node:crypto';
import { ExecutionAbortedError, ExecutionError, ExecutionTimeoutError, StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';

/** The largest `TimeoutSeconds` the local engine can time (`setTimeout` takes at most 2^31-1 ms). */
export const MAX_LOCAL_TIMEOUT_SECONDS = 2_147_483;

/** What `invoke` learns about the call besides the payload. */
export interface InvokeMeta {
  /** The Task state's name (the node id for node tasks). */
  stateName: string;
  /** 0 for the first call of this state in this execution, then 1, 2, ... */
  attempt: number;
  /** Set for `.waitForTaskToken` states (also written into `Payload.taskToken`). */
  taskToken?: string;
}

/** Stands in for Lambda: called once per Task attempt with the processed `Parameters`. */
export type InvokeFn = (functionName: string, payload: Record<string, unknown>, meta: InvokeMeta) => Promise<unknown>;

/** Options of one run. */
export interface AslRunOptions {
  /** Called for every Task state. */
  invoke: InvokeFn;
  /** Context object fields; `Execution.Name` defaults to a UUID, `Execution.Id` to a local ARN with it. */
  context?: { Execution?: { Id?: string; Name?: string; RedriveCount?: number } };
  /** Milliseconds to wait before each retry, by state name (instead of the Retry intervals). */
  retryIntervalOverrides?: Record<string, number | number[]>;
}

/** How an execution ended. */
export type AslOutcome =
  | { status: 'SUCCEEDED'; output: unknown }
  | { status: 'FAILED'; error: string; cause: string }
  | { status: 'ABORTED' }
  | { status: 'TIMED_OUT' };

/** One event of the engine's execution log (`StateEntered`, `StateRetried`, `ExecutionSucceeded`, ...). */
export type AslEvent = ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer E> ? E : never;

/** A running execution. */
export interface AslExecution {
  /** The context object's `Execution.Id`. */
  executionId: string;
  /** The context object's `Execution.Name`. */
  executionName: string;
  /** The engine's result: resolves with the output, rejects with `ExecutionError` / `ExecutionAbortedError` / `ExecutionTimeoutError`. */
  result: Promise<unknown>;
  /** The same ending as a value; never rejects. */
  outcome: Promise<AslOutcome>;
  /** The engine's event log, as the execution runs. */
  events: AsyncGenerator<AslEvent>;
  /** Stops the execution: no new state starts, pending token waits reject. Running `invoke`s are not cancelled. */
  abort(): void;
}

/** Runs one compiled state machine many times. */
export interface AslRunner {
  /** Starts an execution. */
  run(input: unknown, options: AslRunOptions): AslExecution;
  /** Completes a waiting token task with `output`. Throws `TaskTokenError` for an unknown or finished token. */
  sendTaskSuccess(taskToken: string, output: unknown): void;
  /** Fails a waiting token task with `error` as the error name. Throws `TaskTokenError` for an unknown or finished token. */
  sendTaskFailure(taskToken: string, error: string, cause: string): void;
  /** Token tasks currently waiting, with their execution and state. */
  waitingTokens(): Array<{ taskToken: string; executionId: string; stateName: string }>;
}

/** A task token that is unknown, already completed, timed out, or whose execution ended. */
export class TaskTokenError extends Error {
  readonly reason: 'unknown' | 'finished';
  constructor(reason: 'unknown' | 'finished', message: string) {
    super(message);
    this.name = 'TaskTokenError';
    this.reason = reason;
  }
}

/** The error a pending token wait rejects with when its execution is aborted or ends. */
export class TaskWaitAbortedError extends Error {
  constructor(message = 'execution ended while the task waited for its token') {
    super(message);
    this.name = 'TaskWaitAbortedError';
  }
}

interface TaskInfo {
  token: boolean;
  timeoutSeconds?: number;
  /** The timeout comes in `Payload[TIMEOUT_FIELD]` (a bridged `TimeoutSecondsPath`). */
  timeoutFromPayload?: boolean;
}

/** The payload field that carries a bridged `TimeoutSecondsPath` value to the runner (removed before `invoke`). */
const TIMEOUT_FIELD = 'braidLocalTimeoutSeconds';
/** The error that ends an agent's turn with a question: the state is entered again later, with fresh retries. */
const INPUT_REQUIRED = 'Braid.InputRequired';

interface Waiter {
  executionId: string;
  stateName: string;
  resolve: (output: unknown) => void;
  reject: (error: Error) => void;
  timer?: ReturnType<typeof setTimeout>;
}

/**
 * Validates a definition once and returns a runner for it (the engine's `StateMachine` is built
 * once and reused). Throws if the engine rejects the definition.
 * @example
 * const runner = createAslRunner(compileWorkflow(def, { executorArn: 'executor' }).asl);
 * const exec = runner.run({ runId: 'r1', r: {} }, { invoke: async (fn, payload) => handler(payload) });
 * console.log(await exec.outcome);
 */
export function createAslRunner(definition: object): AslRunner {
  const local = bridgeTimeoutPaths(inlineMaps(clampTimeouts(structuredClone(definition) as StateMachineDefinition)));
  const tasks = new Map<string, TaskInfo>();
  collectTasks(local, tasks);
  // The engine validates in its constructor with asl-validator, which mutates: give it a clone.
  const machine = new StateMachine(structuredClone(local));
  const waiters = new Map<string, Waiter>();
  const finished = new Set<string>();

  const settle = (taskToken: string, act: (w: Waiter) => void): void => {
    const waiter = waiters.get(taskToken);
    if (!waiter) {
      if (finished.has(taskToken)) throw new TaskTokenError('finished', 'task token already completed, timed out, or its execution ended');
      throw new TaskTokenError('unknown', 'task token not found');
    }
    waiters.delete(taskToken);
    finished.add(taskToken);
    if (waiter.timer) clearTimeout(waiter.timer);
    act(waiter);
  };
  const dropWaiters = (executionId: string): void => {
    for (const [token, w] of [...waiters]) {
      if (w.executionId !== executionId) continue;
      waiters.delete(token);
      finished.add(token);
      if (w.timer) clearTimeout(w.timer);
      w.reject(new TaskWaitAbortedError());
    }
  };

  return {
    run(input, options) {
      const executionName = options.context?.Execution?.Name ?? randomUUID();
      const executionId = options.context?.Execution?.Id ?? `arn:aws:states:local:000000000000:execution:braid-local:${executionName}`;
      const attempts = new Map<string, number>();
      const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
      for (const [stateName, info] of tasks) {
        handlers[stateName] = async (processed) => {
          const params = (processed ?? {}) as { FunctionName?: unknown; Payload?: unknown };
          // Inside a Map every iteration runs the same state: count attempts per item, as `$$.State.RetryCount` does.
          const item = isObject(params.Payload) && typeof params.Payload.item === 'string' ? `#${params.Payload.item}` : '';
          const attempt = attempts.get(stateName + item) ?? 0;
          attempts.set(stateName + item, attempt + 1);
          const { [TIMEOUT_FIELD]: bridgedTimeout, ...fields } = isObject(params.Payload) ? params.Payload : {};
          const payload: Record<string, unknown> = { ...fields, attempt };
          const functionName = String(params.FunctionName ?? '');
          if (!info.token) {
            try {
              return { ExecutedVersion: '$LATEST', Payload: await callInvoke(options.invoke, functionName, payload, { stateName, attempt }), StatusCode: 200 };
            } catch (error) {
              // Caught into the agent's reply loop, which enters this state again: its retries start over, as on AWS.
              if (error instanceof Error && error.name === INPUT_REQUIRED) attempts.delete(stateName + item);
              throw error;
            }
          }
          const timeoutSeconds = info.timeoutFromPayload ? Math.min(MAX_LOCAL_TIMEOUT_SECONDS, Math.max(1, Number(bridgedTimeout) || 1)) : info.timeoutSeconds;
          const taskToken = `local-token-${randomUUID()}`;
          payload.taskToken = taskToken;
          const waited = new Promise<unknown>((resolve, reject) => {
            const waiter: Waiter = { executionId, stateName, resolve, reject };
            if (timeoutSeconds !== undefined) {
              // Forget the token when the engine times the task out, as Step Functions would.
              // Rejects with the name Step Functions gives a task timeout, so Catch/Retry and finalize see `States.Timeout`.
              waiter.timer = setTimeout(() => settle(taskToken, (w) => w.reject(namedError('States.Timeout', 'task timed out'))), timeoutSeconds * 1000);
              waiter.timer.unref();
            }
            waiters.set(taskToken, waiter);
          });
          waited.catch(() => undefined);
          try {
            await callInvoke(options.invoke, functionName, payload, { stateName, attempt, taskToken });
          } catch (error) {
            if (waiters.has(taskToken)) settle(taskToken, () => undefined);
            throw error;
          }
          return waited;
        };
      }
      const execution = machine.run(input as never, {
        overrides: {
          taskResourceLocalHandlers: handlers as never,
          ...(options.retryIntervalOverrides ? { retryIntervalOverrides: options.retryIntervalOverrides } : {}),
        },
        context: {
          // `RedriveCount`: the local orchestrator's emulated redrive re-walks the machine with the next count.
          Execution: { Id: executionId, Name: executionName, RedriveCount: options.context?.Execution?.RedriveCount ?? 0 },
          State: { Name: '', EnteredTime: '', RetryCount: 0 },
          Task: { Token: 'placeholder' },
        },
      });
      const result = execution.result;
      result.then(() => dropWaiters(executionId), () => dropWaiters(executionId));
      const outcome = result.then(
        (output): AslOutcome => ({ status: 'SUCCEEDED', output }),
        (error: unknown): AslOutcome => toOutcome(error),
      );
      return {
        executionId,
        executionName,
        result,
        outcome,
        events: execution.eventLogs,
        abort() {
          execution.abort();
          dropWaiters(executionId);
        },
      };
    },
    sendTaskSuccess(taskToken, output) {
      settle(taskToken, (w) => w.resolve(output));
    },
    sendTaskFailure(taskToken, error, cause) {
      settle(taskToken, (w) => w.reject(namedError(error, cause)));
    },
    waitingTokens() {
      return [...waiters].map(([taskToken, w]) => ({ taskToken, executionId: w.executionId, stateName: w.stateName }));
    },
  };
}

/** Calls `invoke` and makes whatever it throws an `Error` whose `name` the engine can match. */
async function callInvoke(invoke: InvokeFn, functionName: string, payload: Record<string, unknown>, meta: InvokeMeta): Promise<unknown> {
  try {
    return await invoke(functionName, payload, meta);
  } catch (error) {
    if (error instanceof Error) throw error;
    throw namedError('Error', String(error));
  }
}

/** An `Error` with the given name (the ASL error name) and message (the cause). */
function namedError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

function toOutcome(error: unknown): AslOutcome {
  if (error instanceof ExecutionAbortedError) return { status: 'ABORTED' };
  if (error instanceof ExecutionTimeoutError) return { status: 'TIMED_OUT' };
  const inner = error instanceof ExecutionError && error.cause instanceof Error ? error.cause : error;
  if (inner instanceof Error) return { status: 'FAILED', error: inner.name, cause: inner.message };
  return { status: 'FAILED', error: 'Error', cause: String(inner) };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

type Nested = { States?: Record<string, unknown> };

/** The nested state machines of a state: Parallel branches and a Map's item processor. */
function innerMachines(state: { Branches?: Nested[]; ItemProcessor?: Nested }): Nested[] {
  return [...(state.Branches ?? []), ...(state.ItemProcessor ? [state.ItemProcessor] : [])];
}

/** Rewrites every Distributed Map to an inline one (the engine runs maps inline only). */
function inlineMaps<T extends Nested>(machine: T): T {
  for (const raw of Object.values(machine.States ?? {})) {
    const state = raw as { Type?: string; Label?: string; ItemProcessor?: Nested & { ProcessorConfig?: unknown } };
    if (state.Type === 'Map' && state.ItemProcessor) {
      state.ItemProcessor.ProcessorConfig = { Mode: 'INLINE' };
      delete state.Label;
    }
    for (const inner of innerMachines(raw as never)) inlineMaps(inner);
  }
  return machine;
}

/** Task states by name, in branches and map bodies too. */
function collectTasks(machine: { States?: Record<string, unknown> }, into: Map<string, TaskInfo>): void {
  for (const [name, raw] of Object.entries(machine.States ?? {})) {
    const state = raw as { Type?: string; Resource?: string; TimeoutSeconds?: number; Branches?: Nested[]; ItemProcessor?: Nested };
    if (state.Type === 'Task') {
      const fromPayload = (state as { Parameters?: { Payload?: Record<string, unknown> } }).Parameters?.Payload?.[`${TIMEOUT_FIELD}.$`] !== undefined;
      into.set(name, {
        token: typeof state.Resource === 'string' && state.Resource.endsWith('.waitForTaskToken'),
        ...(state.TimeoutSeconds !== undefined && !fromPayload ? { timeoutSeconds: state.TimeoutSeconds } : {}),
        ...(fromPayload ? { timeoutFromPayload: true } : {}),
      });
    }
    for (const b of innerMachines(state)) collectTasks(b, into);
  }
}

/**
 * Bridges `TimeoutSecondsPath` of token Tasks: the engine evaluates it against the processed `Parameters`, Step
 * Functions against the state input. The path moves into the payload (`TIMEOUT_FIELD`), where the runner reads
 * it for the token wait's timer; the engine's own timer gets the largest timeout, so the runner's fires first.
 */
function bridgeTimeoutPaths<T extends Nested>(machine: T): T {
  for (const raw of Object.values(machine.States ?? {})) {
    const state = raw as { Type?: string; Resource?: string; TimeoutSeconds?: number; TimeoutSecondsPath?: string; Parameters?: { Payload?: Record<string, unknown> } };
    if (state.Type === 'Task' && state.TimeoutSecondsPath !== undefined && state.Parameters?.Payload && String(state.Resource).endsWith('.waitForTaskToken')) {
      state.Parameters.Payload[`${TIMEOUT_FIELD}.$`] = state.TimeoutSecondsPath;
      delete state.TimeoutSecondsPath;
      state.TimeoutSeconds = MAX_LOCAL_TIMEOUT_SECONDS;
    }
    for (const inner of innerMachines(raw as never)) bridgeTimeoutPaths(inner);
  }
  return machine;
}

/** Clamps every Task's `TimeoutSeconds` to what the engine's timer can hold. */
function clampTimeouts<T extends { States?: Record<string, unknown> }>(machine: T): T {
  for (const raw of Object.values(machine.States ?? {})) {
    const state = raw as { Type?: string; TimeoutSeconds?: number; Branches?: Nested[]; ItemProcessor?: Nested };
    if (state.Type === 'Task' && typeof state.TimeoutSeconds === 'number' && state.TimeoutSeconds > MAX_LOCAL_TIMEOUT_SECONDS) {
      state.TimeoutSeconds = MAX_LOCAL_TIMEOUT_SECONDS;
    }
    for (const b of innerMachines(state)) clampTimeouts(b);
  }
  return machine;
}

/**
 * Errors thrown by node executors. Each `name` is part of the ASL contract (ARCHITECTURE.md, "Error names"):
 * Lambda reports it as `errorType` and the state machine's `Retry`/`Catch` match on it.
 */
import { BraidError } from '../errors';
import { boundErrorInfo } from '../model/error-bounds';
import type { Cost, ErrorInfo } from '../model/types';
import { ERROR_NAMES } from '../contract/error-names';

/** The stable error names an executor throws. */
export const EXECUTOR_ERROR_NAMES = {
  nodeFailed: ERROR_NAMES.nodeFailed,
  transient: ERROR_NAMES.transient,
  bindingFailed: ERROR_NAMES.bindingFailed,
  outputTooLarge: ERROR_NAMES.outputTooLarge,
  mapFailed: ERROR_NAMES.mapFailed,
  budgetExceeded: ERROR_NAMES.budgetExceeded,
} as const;

/** Base of every executor error: a `BraidError` whose `name` is an ASL error name. */
export class ExecutorError extends BraidError {
  /** Extra context recorded with the error, e.g. `{ status: 503 }`. */
  readonly details: Record<string, unknown>;
  /** Usage the agent reported before failing (recorded on the failed attempt and counted in the run's cost). */
  cost?: Cost;
  constructor(code: string, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'ExecutorError';
    this.details = details;
  }
}

/** The agent or tool failed: non-2xx, protocol error, network error, abort, builtin `fail` (retried). */
export class NodeFailedError extends ExecutorError {
  constructor(message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super('node_failed', message, details, options);
    this.name = EXECUTOR_ERROR_NAMES.nodeFailed;
  }
}

/**
 * The agent asked a question (A2A task state `input-required`): the turn ended without an output. Not a failure:
 * the node's `X:ask`/`X:reply` states catch it by name and wait for a reply (not retried).
 */
export class InputRequiredError extends ExecutorError {
  /** The agent's question: its status message's text and data parts. */
  readonly question: { text: string; data: unknown };
  /** The A2A task and context a reply must go to. */
  readonly taskId: string;
  readonly contextId: string;
  constructor(question: { text: string; data: unknown }, task: { taskId: string; contextId: string }, details: Record<string, unknown> = {}) {
    super('input_required', `the agent asked: ${question.text.slice(0, 256) || '(data only)'}`, { ...details, taskId: task.taskId });
    this.name = ERROR_NAMES.inputRequired;
    this.question = question;
    this.taskId = task.taskId;
    this.contextId = task.contextId;
  }
}

/** A client or the store was throttled or unavailable (retried by the service retry). */
export class TransientError extends ExecutorError {
  constructor(message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super('transient', message, details, options);
    this.name = EXECUTOR_ERROR_NAMES.transient;
  }
}

/** An input binding (or a condition expression) did not evaluate (not retried). */
export class BindingFailedError extends ExecutorError {
  /** The input key whose binding failed, as a JSON pointer into `inputs` (`/hotels`, `/a/b/0`), or `expression`. */
  readonly inputKey: string;
  constructor(inputKey: string, message: string, options?: { cause?: unknown }) {
    super('binding_failed', `binding ${inputKey}: ${message}`, { inputKey }, options);
    this.name = EXECUTOR_ERROR_NAMES.bindingFailed;
    this.inputKey = inputKey;
  }
}

/** The node's output is larger than Braid stores (not retried). */
export class OutputTooLargeError extends ExecutorError {
  constructor(bytes: number, limitBytes: number, options?: { cause?: unknown }) {
    super('output_too_large', `output is ${bytes} bytes, over the ${limitBytes}-byte limit`, { bytes, limitBytes }, options);
    this.name = EXECUTOR_ERROR_NAMES.outputTooLarge;
  }
}

/** More items of a map failed than it tolerates, or its `timeoutSeconds` passed (not retried). */
export class MapFailedError extends ExecutorError {
  constructor(message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super('map_failed', message, details, options);
    this.name = EXECUTOR_ERROR_NAMES.mapFailed;
  }
}

/** The run has spent its budget: the `agent_call` about to start does not (not retried; fails the run). */
export class BudgetExceededError extends ExecutorError {
  constructor(message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super('budget_exceeded', message, details, options);
    this.name = EXECUTOR_ERROR_NAMES.budgetExceeded;
  }
}

/** A node that the executor cannot run (a gate, `parallel`, `join`) or a missing dependency: a programming error. */
export class NotExecutableError extends BraidError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('not_executable', message, options);
    this.name = 'NotExecutableError';
  }
}

/**
 * Converts anything thrown by an executor into the `ErrorInfo` Braid records.
 * Unknown errors become `Braid.NodeFailed` so that the node's retry policy still applies. The result is within
 * the stored bounds (`boundErrorInfo`): a huge message or details object is cut, never lost.
 */
export function toErrorInfo(error: unknown): ErrorInfo {
  return boundErrorInfo(rawErrorInfo(error));
}

function rawErrorInfo(error: unknown): ErrorInfo {
  if (error instanceof ExecutorError) {
    return Object.keys(error.details).length > 0
      ? { name: error.name, message: error.message, details: error.details }
      : { name: error.name, message: error.message };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { name: EXECUTOR_ERROR_NAMES.nodeFailed, message };
}

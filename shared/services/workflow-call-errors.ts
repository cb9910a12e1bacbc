/**
 * The node errors of a `workflow_call` (ARCHITECTURE.md, "Error names"): each an `ExecutorError` whose `name` is
 * the ASL error name, so Catch/Retry match it and the recorded error keeps its `details`.
 */
import { ERROR_NAMES } from '../contract/error-names';
import { ExecutorError } from '../executors/errors';
import type { ErrorInfo } from '../model/types';

/** The child run failed, timed out, was cancelled, or could not be started. */
export class ChildRunFailedError extends ExecutorError {
  constructor(message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super('child_run_failed', message, details, options);
    this.name = ERROR_NAMES.childRunFailed;
  }
}

/** Whoever started the parent run may not run the called workflow (any more), or it is gone. */
export class CallForbiddenError extends ExecutorError {
  constructor(message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super('call_forbidden', message, details, options);
    this.name = ERROR_NAMES.forbidden;
  }
}

/** The child would be deeper than the call depth limit. */
export class DepthExceededError extends ExecutorError {
  constructor(message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super('depth_exceeded', message, details, options);
    this.name = ERROR_NAMES.depthExceeded;
  }
}

/** A recorded failure thrown again under its own name (the node's attempt already recorded it). */
export class RecordedCallFailure extends ExecutorError {
  constructor(info: ErrorInfo) {
    super('recorded_failure', info.message, info.details ?? {});
    this.name = info.name;
  }
}

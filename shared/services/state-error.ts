/**
 * The error Step Functions reports for a failed state or execution (`Error`, `Cause`), read into an `ErrorInfo`.
 * Its own module so the finalizer can read execution errors without bundling the executors.
 */
import { ERROR_NAMES } from '../contract/error-names';
import type { ErrorInfo } from '../model/types';

/** The error an ASL `Catch` hands to `finalize` (`ResultPath: "$.error"`), or a failed execution's error and cause. */
export interface StateError {
  Error?: string;
  Cause?: string;
}

/** Reads the ASL error (`Cause` is often the Lambda error as JSON) into an `ErrorInfo`. */
export function stateErrorInfo(error: StateError): ErrorInfo {
  const name = error.Error ?? ERROR_NAMES.runFailed;
  let message = error.Cause ?? name;
  try {
    const parsed = JSON.parse(message) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') message = parsed.errorMessage;
  } catch {
    // A plain-text cause stays as it is.
  }
  return { name, message };
}

/**
 * Attempt accounting: the error Step Functions saw for each earlier attempt of a node, read from the attempt
 * records, so `willRetry` can replay the state machine's retrier counters. `attempt` is `$$.State.RetryCount`
 * (the state's total retries so far), so attempts `0 … n-1` are exactly the earlier tries of attempt `n`.
 */
import { STATES_ERRORS } from './error-names';
import { ATTEMPTS_PER_DRIVE, splitAttempt } from './task-payload';

/**
 * The name counted for an attempt that never reported an error of its own: the invocation failed before or
 * around the executor (Lambda throttled or failed, the client timed out, the store failed before the attempt
 * was recorded). Every such error is in the service retrier, so one representative name counts them.
 */
export const UNREPORTED_ATTEMPT_ERROR = 'Lambda.ServiceException';

/** What accounting needs of an attempt record. */
export interface AttemptOutcome {
  attempt: number;
  status: 'running' | 'succeeded' | 'failed';
  /** ISO time the attempt started. */
  startedAt: string;
  error?: { name: string };
  /** When a later attempt arrived while this one still ran: the state machine saw it fail then, not its own outcome. */
  supersededAt?: string;
}

/**
 * The error the state machine saw for an attempt that is still `running` when a later attempt starts at
 * `laterStartMs`: past the attempt's deadline the Task timed out (`States.Timeout`); before it, the invocation
 * failed around a still-running executor (a Lambda service error: `UNREPORTED_ATTEMPT_ERROR`).
 */
export function unfinishedAttemptError(startedAt: string, timeoutSeconds: number, laterStartMs: number): string {
  return laterStartMs >= Date.parse(startedAt) + timeoutSeconds * 1000 ? STATES_ERRORS.timeout : UNREPORTED_ATTEMPT_ERROR;
}

/**
 * The errors attempts `0 … upTo-1` failed with, as the state machine saw them: a superseded attempt (a later
 * one arrived while it ran) as `unfinishedAttemptError` says at that moment, whatever it recorded later; a failed
 * attempt's recorded name; a missing record `UNREPORTED_ATTEMPT_ERROR`; a still-running one as
 * `unfinishedAttemptError` says at `laterStartMs`.
 */
export function priorErrors(attempts: readonly AttemptOutcome[], upTo: number, timeoutSeconds: number, laterStartMs: number): string[] {
  const byNumber = new Map(attempts.map((a) => [a.attempt, a]));
  const out: string[] = [];
  for (let i = 0; i < upTo; i += 1) {
    const a = byNumber.get(i);
    if (a?.supersededAt !== undefined) out.push(unfinishedAttemptError(a.startedAt, timeoutSeconds, Date.parse(a.supersededAt)));
    else if (a?.status === 'failed' && a.error) out.push(a.error.name);
    else if (a?.status === 'running') out.push(unfinishedAttemptError(a.startedAt, timeoutSeconds, laterStartMs));
    else out.push(UNREPORTED_ATTEMPT_ERROR);
  }
  return out;
}

/**
 * `priorErrors` for attempt number `attempt` (`turn × … + drive × 1000 + retry`): only the attempts of its own
 * drive and turn count, renumbered from 0, since a redrive or a new turn re-enters the state with a fresh
 * `RetryCount` (and a fresh retry budget).
 */
export function priorErrorsInDrive(attempts: readonly AttemptOutcome[], attempt: number, timeoutSeconds: number, laterStartMs: number): string[] {
  const { retry } = splitAttempt(attempt);
  const base = attempt - retry;
  const thisDrive = attempts.filter((a) => a.attempt >= base && a.attempt < base + ATTEMPTS_PER_DRIVE).map((a) => ({ ...a, attempt: a.attempt - base }));
  return priorErrors(thisDrive, retry, timeoutSeconds, laterStartMs);
}

/**
 * Retriers: the compiled retry policy of a Task state, as data. The compiler renders them into ASL `Retry`
 * blocks (`toAslRetrier`) and stores them in the node's contract; the executor decides with `willRetry`
 * whether a failing attempt will be retried, counting exactly as Step Functions does: one counter per
 * retrier, an error handled by the first retrier whose `errorEquals` matches it, and a retrier whose counter
 * reached `maxAttempts` retries nothing more (the error then goes to `Catch`; a later retrier never takes it).
 */
import { ERROR_NAMES, STATES_ERRORS } from './error-names';

/** One retrier, field for field an ASL `Retry` entry. */
export interface RetrierContract {
  /** Which retrier this is: `service` (Lambda and transient failures) or `node` (the node's `retry`). */
  kind: 'service' | 'node';
  /** Error names it handles, in ASL order. */
  errorEquals: string[];
  /** Retries after the first attempt (ASL `MaxAttempts`; a node's `retry.maxAttempts` counts attempts in all). */
  maxAttempts: number;
  /** Seconds before the first retry. */
  intervalSeconds: number;
  /** Multiplier of the interval per retry. */
  backoffRate: number;
  /** Cap of one wait, in seconds. @default none */
  maxDelaySeconds?: number;
  /** @default "NONE" (Step Functions' default) */
  jitter?: 'FULL' | 'NONE';
}

/**
 * Errors of the service retrier: Lambda's own failures (AWS's "Handle Lambda service exceptions" list, with
 * `ClientExecutionTimeoutException`) and `Braid.Transient`.
 */
export const SERVICE_ERRORS = [
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  ERROR_NAMES.transient,
] as const;

/** Errors retried by a node's own `retry` policy. */
export const NODE_RETRY_ERRORS = [ERROR_NAMES.nodeFailed, STATES_ERRORS.timeout] as const;

/** The service retrier every Task carries first: 1 s, ×2, 3 retries (4 attempts), full jitter. */
export function serviceRetrier(): RetrierContract {
  return { kind: 'service', errorEquals: [...SERVICE_ERRORS], maxAttempts: 3, intervalSeconds: 1, backoffRate: 2, jitter: 'FULL' };
}

/** A node's resolved retry policy (`maxAttempts` counts attempts in all, as users write it). */
export interface ResolvedRetryPolicy {
  maxAttempts: number;
  intervalSeconds: number;
  backoffRate: number;
  maxDelaySeconds?: number;
  jitter?: 'FULL' | 'NONE';
}

/** The node retrier of a policy, or `undefined` when the node is tried once (`maxAttempts` ≤ 1). */
export function nodeRetrier(policy: ResolvedRetryPolicy): RetrierContract | undefined {
  if (policy.maxAttempts <= 1) return undefined;
  return {
    kind: 'node',
    errorEquals: [...NODE_RETRY_ERRORS],
    maxAttempts: policy.maxAttempts - 1,
    intervalSeconds: policy.intervalSeconds,
    backoffRate: policy.backoffRate,
    ...(policy.maxDelaySeconds !== undefined ? { maxDelaySeconds: policy.maxDelaySeconds } : {}),
    ...(policy.jitter !== undefined ? { jitter: policy.jitter } : {}),
  };
}

/** The ASL `Retry` entry of a retrier. */
export function toAslRetrier(r: RetrierContract): {
  ErrorEquals: string[]; IntervalSeconds: number; MaxAttempts: number; BackoffRate: number; MaxDelaySeconds?: number; JitterStrategy?: 'FULL' | 'NONE';
} {
  return {
    ErrorEquals: [...r.errorEquals],
    IntervalSeconds: r.intervalSeconds,
    MaxAttempts: r.maxAttempts,
    BackoffRate: r.backoffRate,
    ...(r.maxDelaySeconds !== undefined ? { MaxDelaySeconds: r.maxDelaySeconds } : {}),
    ...(r.jitter !== undefined ? { JitterStrategy: r.jitter } : {}),
  };
}

/** True when an `ErrorEquals` entry matches the error name, with Step Functions' wildcards. */
function matches(pattern: string, error: string): boolean {
  if (pattern === error) return true;
  // States.Runtime errors are never retried or caught by a wildcard in Step Functions.
  if (error === 'States.Runtime') return false;
  if (pattern === STATES_ERRORS.all) return true;
  return pattern === STATES_ERRORS.taskFailed && error !== STATES_ERRORS.timeout;
}

/** Index of the retrier that handles `error` (the first whose `errorEquals` matches), or -1. */
export function retrierFor(retriers: readonly RetrierContract[], error: string): number {
  return retriers.findIndex((r) => r.errorEquals.some((pattern) => matches(pattern, error)));
}

/**
 * Whether Step Functions will retry an attempt that fails with `thisError`, given the errors the earlier
 * attempts of the same state entry failed with (`priorErrors[i]` is attempt i's, as the state machine saw it).
 * @example willRetry(contract, ['Braid.Transient'], 'Braid.NodeFailed') // true with retry.maxAttempts 2
 */
export function willRetry(contract: { retriers: readonly RetrierContract[] }, priorErrors: readonly string[], thisError: string): boolean {
  const { retriers } = contract;
  const counts = retriers.map(() => 0);
  for (const prior of priorErrors) {
    const i = retrierFor(retriers, prior);
    if (i >= 0 && (counts[i] as number) < (retriers[i] as RetrierContract).maxAttempts) counts[i] = (counts[i] as number) + 1;
  }
  const i = retrierFor(retriers, thisError);
  return i >= 0 && (counts[i] as number) < (retriers[i] as RetrierContract).maxAttempts;
}

/** The largest number of attempts a state with these retriers can make (every retrier used up). */
export function maxTotalAttempts(retriers: readonly RetrierContract[]): number {
  return 1 + retriers.reduce((sum, r) => sum + r.maxAttempts, 0);
}

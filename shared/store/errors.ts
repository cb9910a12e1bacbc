/**
 * Store errors: the edge where DynamoDB SDK errors become domain errors.
 * Repositories call `translateStoreError` in their catch blocks and rethrow what it returns.
 */
import { BraidError, ConflictError, ValidationError, VersionConflictError } from '../errors';
import { ERROR_NAMES } from '../contract/error-names';

/**
 * The store was throttled or unavailable; retrying later may succeed (HTTP 503).
 * Its `name` is the ASL error name `Braid.Transient`, so an executor may let it propagate and the
 * state machine's service retry matches it.
 */
export class StoreUnavailableError extends BraidError {
  /** The SDK error name that caused it, e.g. `ProvisionedThroughputExceededException`. */
  readonly sdkError: string;
  constructor(sdkError: string, options?: { cause?: unknown }) {
    super('store_unavailable', `the store is temporarily unavailable (${sdkError})`, options);
    this.name = ERROR_NAMES.transient;
    this.sdkError = sdkError;
  }
}

/** A pagination cursor that this server did not issue, or issued for another listing (HTTP 400). */
export class InvalidCursorError extends ValidationError {
  constructor(options?: { cause?: unknown }) {
    super([{ code: 'invalid_cursor', path: '/query/cursor', message: 'is not a cursor issued by this listing' }], options);
    this.name = 'InvalidCursorError';
  }
}

/** SDK error names that mean "try again later". */
const TRANSIENT_ERRORS = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'LimitExceededException',
  'TimeoutError',
  'ECONNRESET',
  'ECONNREFUSED',
]);

/** What a lost conditional check means for this write. */
export type OnConditionFailed = 'version_conflict' | { reason: string; message: string } | (() => Error);

/**
 * Maps an SDK error to a domain error: a lost condition to `VersionConflictError`/`ConflictError`
 * (or whatever `onCondition` builds), throttling to `StoreUnavailableError`; anything else is returned as is.
 */
export function translateStoreError(error: unknown, onCondition: OnConditionFailed = 'version_conflict'): unknown {
  const name = error instanceof Error ? error.name : undefined;
  const code = (error as { code?: unknown } | null)?.code;
  if (name === 'ConditionalCheckFailedException') {
    if (onCondition === 'version_conflict') {
      return new VersionConflictError('the item changed concurrently; read it again and retry', { cause: error });
    }
    if (typeof onCondition === 'function') return onCondition();
    return new ConflictError(onCondition.reason, onCondition.message, { cause: error });
  }
  if (name !== undefined && TRANSIENT_ERRORS.has(name)) return new StoreUnavailableError(name, { cause: error });
  if (typeof code === 'string' && TRANSIENT_ERRORS.has(code)) return new StoreUnavailableError(code, { cause: error });
  return error;
}

/** Runs one store call and rethrows its failure translated. */
export async function storeCall<T>(call: () => Promise<T>, onCondition?: OnConditionFailed): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw translateStoreError(error, onCondition);
  }
}

/** Too many writers raced for one workflow's learned durations; retrying later may succeed (`Braid.Transient`). */
export class StatsContentionError extends BraidError {
  readonly workflowId: string;
  constructor(workflowId: string, options?: { cause?: unknown }) {
    super('stats_contention', `duration stats of workflow ${workflowId} are too contended`, options);
    this.name = ERROR_NAMES.transient;
    this.workflowId = workflowId;
  }
}

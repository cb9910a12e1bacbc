/**
 * The one place where errors become HTTP responses. A 400 lists field issues with JSON pointers; other
 * errors carry `{ error: { code, message } }` (409 adds `reason`); a 500 never leaks internals.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import {
  BraidError, ConflictError, ForbiddenError, NotFoundError, PayloadTooLargeError, UnauthenticatedError, ValidationError,
} from '../../shared/errors';
import { QuotaExceededError } from '../../shared/quotas/errors';
import { StoreUnavailableError } from '../../shared/store/errors';
import { NotImplementedError, UnsupportedMediaTypeError } from './errors';
import { ERROR_NAMES } from '../../shared/contract/error-names';

/** An HTTP error response: status, JSON body and extra headers. */
export interface ErrorResponse {
  status: 400 | 401 | 403 | 404 | 409 | 413 | 415 | 429 | 500 | 501 | 503;
  body: Record<string, unknown>;
  headers?: Record<string, string>;
}

/** Maps any thrown value to an HTTP error response, logging server-side failures (with their cause). */
export function toErrorResponse(error: unknown, logger?: Logger): ErrorResponse {
  if (error instanceof ValidationError) return { status: 400, body: { errors: error.issues } };
  if (error instanceof BraidError) {
    const base = { code: error.code, message: error.message };
    if (error instanceof UnauthenticatedError) return { status: 401, body: { error: base }, headers: { 'www-authenticate': 'Bearer' } };
    if (error instanceof ForbiddenError) return { status: 403, body: { error: error.path !== undefined ? { ...base, path: error.path } : base } };
    if (error instanceof NotFoundError) return { status: 404, body: { error: base } };
    if (error instanceof ConflictError) return { status: 409, body: { error: { code: error.code, reason: error.reason, message: error.message } } };
    if (error instanceof PayloadTooLargeError) return { status: 413, body: { error: { ...base, limitBytes: error.limitBytes } } };
    if (error instanceof UnsupportedMediaTypeError) return { status: 415, body: { error: base } };
    if (error instanceof QuotaExceededError) {
      return { status: 429, body: { error: { ...base, quota: error.quota, limit: error.limit, retryAfterSeconds: error.retryAfterSeconds } }, headers: { 'retry-after': String(error.retryAfterSeconds) } };
    }
    if (error instanceof NotImplementedError) return { status: 501, body: { error: base } };
    // Any error named `Braid.Transient` (the store throttled, an event log too contended, a throttled
    // dependency) is worth retrying: 503 with Retry-After, never a 500.
    if (error instanceof StoreUnavailableError || error.name === ERROR_NAMES.transient) {
      logger?.warn('store unavailable', { error });
      return { status: 503, body: { error: base }, headers: { 'retry-after': '1' } };
    }
  }
  logger?.error('unhandled error', { error: error as Error });
  return { status: 500, body: { error: { code: 'internal', message: 'internal error' } } };
}

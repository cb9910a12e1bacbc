/**
 * Quota errors: a request over a user's quota is a 429 with `Retry-After` and `error.quota` naming the quota.
 */
import { BraidError } from '../errors';
import type { QuotaName } from './config';

/** A request that would take a user past a quota (HTTP 429, code `quota_exceeded`). */
export class QuotaExceededError extends BraidError {
  readonly quota: QuotaName;
  readonly limit: number;
  /** When a retry may succeed, in seconds (the `Retry-After` header). */
  readonly retryAfterSeconds: number;
  constructor(quota: QuotaName, limit: number, retryAfterSeconds: number, message: string, options?: { cause?: unknown }) {
    super('quota_exceeded', message, options);
    this.name = 'QuotaExceededError';
    this.quota = quota;
    this.limit = limit;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/**
 * Domain errors. Every error Braid raises on purpose is a `BraidError` with a stable `code`;
 * `functions/http/error-response.ts` maps them to HTTP statuses in one place.
 */

/** One problem with a request, pointing at the offending field. */
export interface FieldIssue {
  /** Stable machine-readable code. */
  code: string;
  /** JSON pointer into the request body (or `/query/<name>`, `/path/<name>`). */
  path: string;
  message: string;
}

/** Base of every domain error. */
export class BraidError extends Error {
  /** Stable machine-readable code, part of the public API. */
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BraidError';
    this.code = code;
  }
}

/** The request is malformed or invalid (HTTP 400). */
export class ValidationError extends BraidError {
  readonly issues: FieldIssue[];
  constructor(issues: FieldIssue[], options?: { cause?: unknown; message?: string }) {
    super('validation_failed', options?.message ?? `${issues.length} problem(s) in the request`, options);
    this.name = 'ValidationError';
    this.issues = issues;
  }
}

/** The body is larger than the route accepts (HTTP 413). */
export class PayloadTooLargeError extends BraidError {
  readonly limitBytes: number;
  constructor(limitBytes: number, options?: { cause?: unknown }) {
    super('payload_too_large', `request body exceeds ${limitBytes} bytes`, options);
    this.name = 'PayloadTooLargeError';
    this.limitBytes = limitBytes;
  }
}

/** No credentials, or credentials that do not verify (HTTP 401). */
export class UnauthenticatedError extends BraidError {
  constructor(message = 'authentication required', options?: { cause?: unknown }) {
    super('unauthenticated', message, options);
    this.name = 'UnauthenticatedError';
  }
}

/** The caller can see the object but may not do this to it (HTTP 403). */
export class ForbiddenError extends BraidError {
  /** A JSON pointer to what was refused, when it is a field (a `workflow_call` node's workflow). */
  readonly path?: string;
  /** `options.code` names a specific refusal (e.g. `requester_forbidden`). @default "forbidden" */
  constructor(message: string, options?: { cause?: unknown; code?: string; path?: string }) {
    super(options?.code ?? 'forbidden', message, options);
    this.name = 'ForbiddenError';
    if (options?.path !== undefined) this.path = options.path;
  }
}

/** The object does not exist, or the caller may not see it (HTTP 404: no existence leak). */
export class NotFoundError extends BraidError {
  readonly resource: string;
  constructor(resource: string, id: string, options?: { cause?: unknown }) {
    super('not_found', `${resource} ${id} not found`, options);
    this.name = 'NotFoundError';
    this.resource = resource;
  }
}

/** The object changed under the caller, or is in a state that forbids the action (HTTP 409). */
export class ConflictError extends BraidError {
  /** Stable reason, e.g. `already_decided`, `run_finished`, `version_conflict`. */
  readonly reason: string;
  constructor(reason: string, message: string, options?: { cause?: unknown }) {
    super('conflict', message, options);
    this.name = 'ConflictError';
    this.reason = reason;
  }
}

/** A write lost a conditional check: someone else wrote first (HTTP 409). */
export class VersionConflictError extends ConflictError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('version_conflict', message, options);
    this.name = 'VersionConflictError';
  }
}

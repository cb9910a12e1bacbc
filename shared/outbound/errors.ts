/**
 * Errors of authenticated calls. `Braid.AuthUnsupported` is part of the ASL contract (not retried): the agent
 * requires a way of authenticating that the node's `auth` does not provide.
 */
import { ExecutorError, NodeFailedError } from '../executors/errors';
import { ERROR_NAMES } from '../contract/error-names';

/** The ASL error name of an agent whose declared security Braid cannot satisfy. */
export const AUTH_UNSUPPORTED = ERROR_NAMES.authUnsupported;

/** The agent card declares security requirements that the node's `auth` cannot meet (not retried). */
export class AuthUnsupportedError extends ExecutorError {
  constructor(message: string, details: Record<string, unknown>) {
    super('auth_unsupported', message, details);
    this.name = AUTH_UNSUPPORTED;
  }
}

/** The OAuth token endpoint refused or failed (retried as `Braid.NodeFailed`: the endpoint may recover). */
export class TokenRequestError extends NodeFailedError {
  constructor(message: string, details: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, details, options);
  }
}

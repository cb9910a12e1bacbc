/**
 * Errors of the secrets module. `Braid.SecretNotFound` is part of the ASL contract (not retried): a node named a
 * secret its workflow's owner does not hold.
 */
import { BraidError, NotFoundError } from '../errors';
import { ExecutorError } from '../executors/errors';
import { ERROR_NAMES } from '../contract/error-names';

/** The ASL error name of a reference to a missing secret. */
export const SECRET_NOT_FOUND = ERROR_NAMES.secretNotFound;

/** A definition refers to a secret the workflow owner does not hold (the node fails, not retried). */
export class SecretNotFoundError extends ExecutorError {
  readonly secretName: string;
  constructor(name: string, options?: { cause?: unknown }) {
    super('secret_not_found', `secret "${name}" does not exist in the workflow owner's secrets`, { secret: name }, options);
    this.name = SECRET_NOT_FOUND;
    this.secretName = name;
  }
}

/** `DELETE /api/v1/secrets/{name}` of a secret the caller does not hold (HTTP 404). */
export class SecretMissingError extends NotFoundError {
  constructor(name: string) {
    super('secret', name);
  }
}

/** The vault (Secrets Manager, the local key) failed; never carries a value. */
export class SecretVaultError extends BraidError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('secret_vault_failed', message, options);
    this.name = 'SecretVaultError';
  }
}

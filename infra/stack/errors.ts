/**
 * Errors raised while building the CDK app.
 */
import { BraidError } from '../../shared/errors';

/** A `braid:*` context value is malformed: the synth stops before building anything. */
export class ConfigError extends BraidError {
  /** The context key at fault. */
  readonly key: string;
  constructor(key: string, message: string, options?: { cause?: unknown }) {
    super('invalid_config', `context ${key} ${message}`, options);
    this.name = 'ConfigError';
    this.key = key;
  }
}

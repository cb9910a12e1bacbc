/**
 * Errors of the egress guard. `Braid.EgressDenied` is part of the ASL contract: a refused call fails the
 * node and is never retried (the node's retry matches only `Braid.NodeFailed` and `States.Timeout`).
 */
import { BraidError } from '../errors';
import { ExecutorError } from '../executors/errors';
import { ERROR_NAMES } from '../contract/error-names';

/** The ASL error name of a refused outbound call. */
export const EGRESS_DENIED = ERROR_NAMES.egressDenied;

/** Why a destination was refused (README, "Security"). */
export type EgressRule =
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'metadata'
  | 'carrier-grade-nat'
  | 'unique-local'
  | 'multicast'
  | 'unspecified'
  | 'broadcast'
  | 'reserved'
  | 'scheme'
  | 'redirect-limit'
  | 'unresolvable'
  | 'lambda-pattern'
  | 'lambda-allowlist'
  | 'sigv4-target';

/**
 * An outbound call the guard refused. The message names the host and the rule, never a body or a header.
 */
export class EgressDeniedError extends ExecutorError {
  /** The refused host (as written in the URL or the ARN). */
  readonly host: string;
  /** The rule that refused it. */
  readonly rule: EgressRule;
  constructor(host: string, rule: EgressRule, message?: string, options?: { cause?: unknown }) {
    super('egress_denied', message ?? `egress to ${host} denied: ${rule} address (allow it with BRAID_EGRESS_ALLOW)`, { host, rule }, options);
    this.name = EGRESS_DENIED;
    this.host = host;
    this.rule = rule;
  }
}

/** `BRAID_EGRESS_ALLOW` holds an entry that is not a host, a `host:port` or a CIDR. */
export class InvalidEgressAllowlistError extends BraidError {
  constructor(entry: string, options?: { cause?: unknown }) {
    super('invalid_egress_allowlist', `BRAID_EGRESS_ALLOW: "${entry}" is not a host, host:port or CIDR`, options);
    this.name = 'InvalidEgressAllowlistError';
  }
}

/** The first `EgressDeniedError` in an error's `cause` chain (SDKs wrap what `fetch` threw). */
export function findEgressDenial(error: unknown): EgressDeniedError | undefined {
  for (let current: unknown = error, depth = 0; current !== undefined && current !== null && depth < 8; depth++) {
    if (current instanceof EgressDeniedError) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

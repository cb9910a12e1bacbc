/**
 * The egress guard (README, "Security"): one module every outbound call of the executor goes through.
 */
export { createEgressGuard, MAX_REDIRECTS, type EgressGuard, type EgressGuardOptions, type Resolver } from './guard';
export { parseEgressAllowlist, type EgressAllowlist } from './allowlist';
export { deniedBy, isIpLiteral, canonicalAddress } from './address-policy';
export { EGRESS_DENIED, EgressDeniedError, InvalidEgressAllowlistError, findEgressDenial, type EgressRule } from './errors';
export { trackDenials, type TrackedFetch } from './tracked-fetch';

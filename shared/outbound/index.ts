/**
 * Authenticated outbound calls (README, "Security"): the `auth` field, its kinds, and the per-attempt kit that
 * puts the egress guard, the credentials and redaction together.
 */
export { AuthSchema, SIGV4_SERVICES, type AuthConfig } from './auth-schema';
export { AUTH_UNSUPPORTED, AuthUnsupportedError, TokenRequestError } from './errors';
export { assertCardSecurity } from './card-security';
export { clientCredentialsToken, forgetClientCredentialsToken } from './oauth2';
export { sigv4Fetch, type SigV4FetchOptions } from './sigv4';
export { createOutbound, type Outbound, type OutboundDeps } from './outbound';

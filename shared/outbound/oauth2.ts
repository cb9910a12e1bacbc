/**
 * OAuth 2.0 client credentials (RFC 6749 §4.4) with `oauth4webapi`: the token request goes through the egress
 * guard, and the token is cached per (owner, token URL, client, secret, scopes) until shortly before it expires.
 */
import { createHash } from 'node:crypto';
import * as oauth from 'oauth4webapi';
import { TokenRequestError } from './errors';

/** Seconds before `expires_in` at which a cached token is renewed. */
const EXPIRY_MARGIN_SECONDS = 30;
/** How long a token without `expires_in` is kept. */
const DEFAULT_TTL_SECONDS = 60;
const MAX_ENTRIES = 1_000;

const cache = new Map<string, { token: string; until: number }>();

/** What a token request needs. */
export interface ClientCredentialsRequest {
  ownerId: string;
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  scopes?: readonly string[];
  /** The guarded fetch. */
  fetch: typeof fetch;
  signal: AbortSignal;
  /** @default Date.now */
  now?: () => number;
}

function cacheKey(request: ClientCredentialsRequest): string {
  // The secret is part of the key (hashed): another owner, or a changed secret, never reuses a token.
  const material = JSON.stringify([request.ownerId, request.tokenUrl, request.clientId, request.clientSecret, [...(request.scopes ?? [])].sort()]);
  return createHash('sha256').update(material).digest('hex');
}

/** A bearer token for the client, from the cache or the token endpoint. Throws `TokenRequestError` (no secret in it). */
export async function clientCredentialsToken(request: ClientCredentialsRequest): Promise<string> {
  const now = request.now ?? Date.now;
  const key = cacheKey(request);
  const hit = cache.get(key);
  if (hit && hit.until > now()) return hit.token;

  const url = new URL(request.tokenUrl);
  const where = `${url.origin}${url.pathname}`;
  const as: oauth.AuthorizationServer = { issuer: url.origin, token_endpoint: url.href };
  const client: oauth.Client = { client_id: request.clientId };
  const parameters = new URLSearchParams();
  if (request.scopes && request.scopes.length > 0) parameters.set('scope', request.scopes.join(' '));
  let result: oauth.TokenEndpointResponse;
  try {
    const response = await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretBasic(request.clientSecret), parameters, {
      [oauth.customFetch]: request.fetch,
      [oauth.allowInsecureRequests]: url.protocol === 'http:',
      signal: request.signal,
    });
    result = await oauth.processClientCredentialsResponse(as, client, response);
  } catch (error) {
    if (error instanceof oauth.ResponseBodyError) {
      throw new TokenRequestError(`token request to ${where} failed: ${error.error} (HTTP ${error.status})`, { status: error.status, oauthError: error.error }, { cause: error });
    }
    if (error instanceof oauth.WWWAuthenticateChallengeError) {
      throw new TokenRequestError(`token request to ${where} was refused (HTTP ${error.status})`, { status: error.status }, { cause: error });
    }
    throw error;
  }
  if (result.token_type.toLowerCase() !== 'bearer') {
    throw new TokenRequestError(`token request to ${where} returned a ${result.token_type} token; only bearer tokens are supported`, {});
  }
  const ttl = typeof result.expires_in === 'number' ? result.expires_in - EXPIRY_MARGIN_SECONDS : DEFAULT_TTL_SECONDS;
  if (ttl > 0) {
    if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value as string);
    cache.set(key, { token: result.access_token, until: now() + ttl * 1000 });
  }
  return result.access_token;
}

/** Forgets the cached token of this client (the resource server answered 401: it may have been revoked). */
export function forgetClientCredentialsToken(request: Omit<ClientCredentialsRequest, 'fetch' | 'signal' | 'now'>): void {
  cache.delete(cacheKey(request as ClientCredentialsRequest));
}

/**
 * Signing keys found the way API Gateway's HTTP JWT authorizer finds them: through the issuer's OpenID Connect
 * discovery document (`<issuer>/.well-known/openid-configuration`, its `jwks_uri`). The WebSocket authorizer
 * uses it too, so both doors trust exactly the same keys for the same issuer.
 */
import { createRemoteJWKSet, type JWTVerifyGetKey } from 'jose';
import * as z from 'zod';
import { UnauthenticatedError } from '../errors';

const DiscoverySchema = z.object({ issuer: z.string(), jwks_uri: z.url() });

/** The discovery document's URL for an issuer (OpenID Connect Discovery 1.0, section 4). */
export function discoveryUrl(issuer: string): string {
  return `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
}

/**
 * A key resolver for `jwtVerify` that reads the issuer's discovery document on first use and then serves keys
 * from its `jwks_uri` (cached and refreshed by jose). A failed or inconsistent discovery is not cached: the
 * token is refused (401) and the next one tries again.
 */
export function discoveredJwks(issuer: string, fetchImpl: typeof fetch = globalThis.fetch): JWTVerifyGetKey {
  let keys: Promise<JWTVerifyGetKey> | undefined;
  const discover = async (): Promise<JWTVerifyGetKey> => {
    const response = await fetchImpl(discoveryUrl(issuer), { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(5_000) });
    if (!response.ok) throw new UnauthenticatedError(`the issuer's discovery document answered ${response.status}`);
    const doc = DiscoverySchema.safeParse(await response.json());
    // OIDC Discovery: the document's issuer must be the issuer it was fetched for.
    if (!doc.success || doc.data.issuer.replace(/\/$/, '') !== issuer.replace(/\/$/, '')) {
      throw new UnauthenticatedError('the issuer\'s discovery document is invalid or names another issuer');
    }
    return createRemoteJWKSet(new URL(doc.data.jwks_uri));
  };
  return async (header, token) => {
    keys ??= discover().catch((error: unknown) => {
      keys = undefined;
      throw error;
    });
    return (await keys)(header, token);
  };
}

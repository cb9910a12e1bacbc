/**
 * JWT verification shared by the local HTTP server and the WebSocket authorizer: signature against a JWKS
 * (remote URL or local set), issuer, audience, expiry, and a `sub`.
 */
import { createLocalJWKSet, createRemoteJWKSet, errors as joseErrors, jwtVerify, type JSONWebKeySet, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { UnauthenticatedError } from '../errors';

/** Verified claims; `sub` is the Braid user id. */
export type TokenClaims = JWTPayload & { sub: string };

/** Where keys come from and what the token must say. */
export interface VerifierOptions {
  issuer: string | string[];
  audience: string | string[];
  /** A JWKS URL (e.g. a Cognito user pool's `.../.well-known/jwks.json`). */
  jwksUrl?: string;
  /** A key set held in memory (the local stack's). */
  jwks?: JSONWebKeySet;
  /** Any other key resolver (e.g. `discoveredJwks(issuer)`, the issuer's discovery document). */
  keys?: JWTVerifyGetKey;
  /** Allowed clock skew in seconds. @default 30 */
  clockToleranceSeconds?: number;
}

/** Verifies a token and returns its claims; throws `UnauthenticatedError` for anything wrong. */
export type VerifyToken = (token: string) => Promise<TokenClaims>;

/** Builds a `verifyToken` for one issuer/audience/key source. */
export function createTokenVerifier(options: VerifierOptions): VerifyToken {
  const keySet = options.keys ?? (options.jwks
    ? createLocalJWKSet(options.jwks)
    : options.jwksUrl
      ? createRemoteJWKSet(new URL(options.jwksUrl))
      : undefined);
  if (!keySet) throw new TypeError('createTokenVerifier needs keys, jwks or jwksUrl');
  return async (token) => {
    if (!token) throw new UnauthenticatedError('missing token');
    try {
      const { payload } = await jwtVerify(token, keySet, {
        issuer: options.issuer,
        audience: options.audience,
        clockTolerance: options.clockToleranceSeconds ?? 30,
        algorithms: ['ES256', 'RS256'],
        // A token without `exp` would never expire: refuse it.
        requiredClaims: ['exp'],
      });
      if (typeof payload.sub !== 'string' || payload.sub === '') throw new UnauthenticatedError('token has no subject');
      return payload as TokenClaims;
    } catch (error) {
      if (error instanceof UnauthenticatedError) throw error;
      const reason = error instanceof joseErrors.JWTExpired ? 'token expired' : 'invalid token';
      throw new UnauthenticatedError(reason, { cause: error });
    }
  };
}

/** Extracts the token from an `Authorization: Bearer <token>` header value; `undefined` if absent or not bearer. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}

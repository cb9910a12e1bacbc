/**
 * Local JWTs: the issuer and audience of the local stack, and signing with its ES256 key.
 * In AWS the issuer is the deployer's Cognito user pool or OIDC provider; Braid never signs there.
 */
import { SignJWT, type CryptoKey } from 'jose';

/** Issuer (`iss`) of tokens the local stack signs. */
export const LOCAL_ISSUER = 'braid-local';
/** Audience (`aud`) Braid expects, locally and by default in AWS. */
export const BRAID_AUDIENCE = 'braid';
/** Signing algorithm of the local key. */
export const LOCAL_ALG = 'ES256';

/** Options of `signLocalToken`. */
export interface SignOptions {
  /** Lifetime, as a jose time span. @default "12h" */
  expiresIn?: string;
  /** Extra claims (e.g. `email`). */
  claims?: Record<string, unknown>;
  /** @default LOCAL_ISSUER */
  issuer?: string;
  /** @default BRAID_AUDIENCE */
  audience?: string;
}

/** Signs a token for `userId` (the `sub` claim) with the local key. */
export async function signLocalToken(key: { privateKey: CryptoKey; kid: string }, userId: string, options: SignOptions = {}): Promise<string> {
  return new SignJWT({ ...options.claims })
    .setProtectedHeader({ alg: LOCAL_ALG, kid: key.kid, typ: 'JWT' })
    .setSubject(userId)
    .setIssuer(options.issuer ?? LOCAL_ISSUER)
    .setAudience(options.audience ?? BRAID_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '12h')
    .sign(key.privateKey);
}

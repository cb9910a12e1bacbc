/**
 * The local stack's ES256 signing key: generated once into the data directory (or kept in memory for tests)
 * so tokens printed by `npm run token` stay valid across restarts.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import { LOCAL_ALG } from './tokens';

/** File name of the key inside the data directory. */
export const SIGNING_KEY_FILE = 'jwt-signing-key.json';

/** A signing key and its public half as a JWKS. */
export interface LocalSigningKey {
  kid: string;
  privateKey: CryptoKey;
  /** The JSON Web Key Set served at `/.well-known/jwks.json`. */
  jwks: { keys: JWK[] };
}

async function fromPrivateJwk(jwk: JWK): Promise<LocalSigningKey> {
  const { d: _d, ...publicJwk } = jwk;
  const kid = jwk.kid ?? (await calculateJwkThumbprint(publicJwk));
  const privateKey = (await importJWK({ ...jwk, alg: LOCAL_ALG }, LOCAL_ALG)) as CryptoKey;
  return { kid, privateKey, jwks: { keys: [{ ...publicJwk, kid, alg: LOCAL_ALG, use: 'sig' }] } };
}

/** Generates a fresh key (in memory). */
export async function generateSigningKey(): Promise<LocalSigningKey> {
  const { privateKey } = await generateKeyPair(LOCAL_ALG, { extractable: true });
  const jwk = await exportJWK(privateKey);
  const { d: _d, ...pub } = jwk;
  return fromPrivateJwk({ ...jwk, kid: await calculateJwkThumbprint(pub) });
}

/** Loads `<dataDir>/jwt-signing-key.json`, creating it (mode 0600) on first use. */
export async function loadOrCreateSigningKey(dataDir: string): Promise<LocalSigningKey> {
  const file = join(dataDir, SIGNING_KEY_FILE);
  try {
    return await fromPrivateJwk(JSON.parse(await readFile(file, 'utf8')) as JWK);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const { privateKey } = await generateKeyPair(LOCAL_ALG, { extractable: true });
  const jwk = await exportJWK(privateKey);
  const { d: _d, ...pub } = jwk;
  const stored = { ...jwk, kid: await calculateJwkThumbprint(pub) };
  await mkdir(dataDir, { recursive: true });
  try {
    await writeFile(file, JSON.stringify(stored), { mode: 0o600, flag: 'wx' });
  } catch (error) {
    // Another process created it first: use theirs so both sign with one key.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return fromPrivateJwk(JSON.parse(await readFile(file, 'utf8')) as JWK);
    throw error;
  }
  return fromPrivateJwk(stored);
}

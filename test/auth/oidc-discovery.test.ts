import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifierFromConfig } from '../../functions/ws-authorizer/handler';
import { discoveryUrl } from '../../shared/auth/oidc-discovery';
import { UnauthenticatedError } from '../../shared/errors';

/** A minimal OIDC issuer on loopback: discovery document, JWKS elsewhere (as Okta or Auth0 publish them). */
let server: Server;
let issuer: string;
let privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
let publicJwk: JWK;
const hits: string[] = [];
let discoveryIssuer: (issuer: string) => string = (i) => i;

beforeAll(async () => {
  const pair = await generateKeyPair('ES256');
  privateKey = pair.privateKey;
  publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  server = createServer((req, res) => {
    hits.push(req.url ?? '');
    res.setHeader('content-type', 'application/json');
    if (req.url === '/oauth2/.well-known/openid-configuration') {
      res.end(JSON.stringify({ issuer: discoveryIssuer(issuer), jwks_uri: `${issuer.replace('/oauth2', '')}/keys/v1` }));
    } else if (req.url === '/keys/v1') {
      res.end(JSON.stringify({ keys: [publicJwk] }));
    } else {
      res.statusCode = 404;
      res.end('{}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth2`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

function token(sub = 'alice'): Promise<string> {
  return new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setIssuer(issuer).setAudience('braid-api')
    .setSubject(sub).setIssuedAt().setExpirationTime('5m').sign(privateKey);
}

describe('WebSocket authorizer keys, found like the HTTP API finds them', () => {
  it('reads the issuer\'s discovery document and verifies against its jwks_uri (not <issuer>/.well-known/jwks.json)', async () => {
    // Prepare
    hits.length = 0;
    discoveryIssuer = (i) => i;
    const verify = verifierFromConfig({ JWT_ISSUER: issuer, JWT_AUDIENCE: 'braid-api' });
    // Act
    const claims = await verify(await token());
    // Assess
    expect(claims.sub).toBe('alice');
    expect(hits).toEqual(['/oauth2/.well-known/openid-configuration', '/keys/v1']);
    expect(discoveryUrl(`${issuer}/`)).toBe(`${issuer}/.well-known/openid-configuration`);
  });

  it('refuses tokens when the discovery document names another issuer, and tries discovery again next time', async () => {
    // Prepare
    hits.length = 0;
    discoveryIssuer = () => 'https://impostor.example.com';
    const verify = verifierFromConfig({ JWT_ISSUER: issuer, JWT_AUDIENCE: 'braid-api' });
    // Act
    const first = await verify(await token()).catch((e: unknown) => e);
    discoveryIssuer = (i) => i;
    const second = await verify(await token('bob'));
    // Assess
    expect(first).toBeInstanceOf(UnauthenticatedError);
    expect(second.sub).toBe('bob');
    expect(hits.filter((h) => h.endsWith('openid-configuration'))).toHaveLength(2);
  });
});

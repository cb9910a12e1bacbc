/**
 * WebSocket `$connect` REQUEST authorizer: verifies the JWT in `?token=` and allows the connection with the
 * user id in the authorizer context (API Gateway passes it to `$connect` as `requestContext.authorizer.userId`).
 */
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import * as z from 'zod';
import { createTokenVerifier, type VerifyToken } from '../../shared/auth/verify-token';
import { BRAID_AUDIENCE } from '../../shared/auth/tokens';
import { discoveredJwks } from '../../shared/auth/oidc-discovery';
import { readConfig, lazyHandler } from '../runtime';

/** API Gateway answers 401 when an authorizer fails with exactly this message. */
export class UnauthorizedSignal extends Error {
  constructor(options?: { cause?: unknown }) {
    super('Unauthorized', options);
    this.name = 'Unauthorized';
  }
}

const EventSchema = z.object({
  methodArn: z.string().min(1),
  queryStringParameters: z.object({ token: z.string().min(1).max(8_192) }).loose(),
});

/** Builds the authorizer on a token verifier. */
export function createWsAuthorizer(verifyToken: VerifyToken): (event: APIGatewayRequestAuthorizerEvent) => Promise<APIGatewayAuthorizerResult> {
  return async (event) => {
    const parsed = EventSchema.safeParse(event);
    if (!parsed.success) throw new UnauthorizedSignal({ cause: parsed.error });
    let userId: string;
    try {
      userId = (await verifyToken(parsed.data.queryStringParameters.token)).sub;
    } catch (error) {
      throw new UnauthorizedSignal({ cause: error });
    }
    return {
      principalId: userId,
      policyDocument: {
        Version: '2012-10-17',
        Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: parsed.data.methodArn }],
      },
      context: { userId },
    };
  };
}

/**
 * The authorizer's environment: the token issuer and the audience. Keys come from the issuer's discovery
 * document, as for the HTTP API's JWT authorizer, unless `JWKS_URL` names them (the local stack and tests).
 */
export const AuthorizerConfigSchema = z.object({
  JWT_ISSUER: z.url(),
  JWKS_URL: z.url().optional(),
  /** @default "braid" */
  JWT_AUDIENCE: z.string().min(1).default(BRAID_AUDIENCE),
});

/** Builds the verifier from the validated environment. */
export function verifierFromConfig(config: z.infer<typeof AuthorizerConfigSchema>): VerifyToken {
  const keys = config.JWKS_URL ? { jwksUrl: config.JWKS_URL } : { keys: discoveredJwks(config.JWT_ISSUER) };
  return createTokenVerifier({ issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE, ...keys });
}

/** Lambda entry point. */
export const handler = lazyHandler(() => createWsAuthorizer(verifierFromConfig(readConfig(AuthorizerConfigSchema))));

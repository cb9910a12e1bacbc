/**
 * WebSocket `$connect` REQUEST authorizer: verifies the JWT in `?token=` and allows the connection with the
 * user id in the authorizer context (API Gateway passes it to `$connect` as `requestContext.authorizer.userId`).
 */
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { z } from 'zod';
import { createTokenVerifier, type VerifyToken } from '../../shared/auth/verify-token';
import { BRAID_AUDIENCE } from '../../shared/auth/tokens';
import { requireEnv } from '../../shared/live/runtime';

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

/** Builds the verifier from `JWT_ISSUER`, `JWKS_URL` and `JWT_AUDIENCE` (default `braid`). */
export function verifierFromEnv(env: NodeJS.ProcessEnv = process.env): VerifyToken {
  return createTokenVerifier({
    issuer: requireEnv(env, 'JWT_ISSUER'),
    audience: env.JWT_AUDIENCE || BRAID_AUDIENCE,
    jwksUrl: requireEnv(env, 'JWKS_URL'),
  });
}

// Composed on the first (cold-start) call rather than at import, so the local stack and tests can import the
// factory without Lambda's environment; a missing variable still fails that first call loudly.
let root: ReturnType<typeof createWsAuthorizer> | undefined;

/** Lambda entry point. */
export const handler = (event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> =>
  (root ??= createWsAuthorizer(verifierFromEnv()))(event);

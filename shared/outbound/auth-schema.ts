/**
 * The `auth` field of `agent_call`, `mcp` and `http` nodes: how Braid authenticates to the agent or tool.
 * Every credential is a `{ "secret": "name" }` reference to the workflow owner's secrets, never a literal.
 */
import * as z from 'zod';
import { HttpUrlSchema } from '../definition/http-url';
import { SecretRefSchema } from '../secrets/names';

/** AWS services a `sigv4` auth may sign for (README, "Security": anything else would lend the executor's role). */
export const SIGV4_SERVICES = ['execute-api', 'bedrock-agentcore', 'lambda'] as const;

const headerName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}$/, 'must be an HTTP header name');

const tokenUrl = HttpUrlSchema;

/** How to authenticate one call. */
export const AuthSchema = z.discriminatedUnion('type', [
  /** `Authorization: Bearer <token>`. */
  z.strictObject({ type: z.literal('bearer'), token: SecretRefSchema }),
  /** `<header>: <value>`. */
  z.strictObject({ type: z.literal('apiKey'), header: headerName, value: SecretRefSchema }),
  /** OAuth 2.0 client credentials; the token is cached until it expires. */
  z.strictObject({
    type: z.literal('oauth2'),
    tokenUrl,
    clientId: z.string().min(1).max(512),
    clientSecret: SecretRefSchema,
    scopes: z.array(z.string().min(1).max(256).regex(/^[\x21\x23-\x5B\x5D-\x7E]+$/, 'must be a scope token')).max(50).optional(),
  }),
  /** AWS Signature V4 with the executor's own credentials (AgentCore runtimes, API Gateway IAM routes, Lambda function URLs). */
  z.strictObject({ type: z.literal('sigv4'), service: z.enum(SIGV4_SERVICES), region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region').optional() }),
]);

/** An `auth` value. */
export type AuthConfig = z.infer<typeof AuthSchema>;

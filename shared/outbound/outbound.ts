/**
 * What one attempt of an agent/tool node calls out with: the egress guard's fetch, the node's `auth` applied to
 * every request, `{ "secret" }` references resolved from the workflow owner's secrets at call time, and the
 * redactor that keeps the resolved values out of whatever the attempt returns. Every executor that makes a
 * network call builds one of these (STYLE.md #16: one guard, every door).
 */
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import type { EgressGuard } from '../egress/guard';
import type { EgressDeniedError } from '../egress/errors';
import { trackDenials } from '../egress/tracked-fetch';
import { outboundTraceHeaders } from '../observability/trace-context';
import { SecretNotFoundError } from '../secrets/errors';
import { isSecretRef, type SecretRef } from '../secrets/names';
import { Redactor } from '../secrets/redact';
import type { SecretReader } from '../secrets/vault';
import type { AuthConfig } from './auth-schema';
import { clientCredentialsToken, forgetClientCredentialsToken } from './oauth2';
import { sigv4Fetch } from './sigv4';

/** The clients an outbound call needs (built once per process by the executor's composition root). */
export interface OutboundDeps {
  egress: EgressGuard;
  /** Reads the workflow owner's secrets. Without it, any `{ secret }` reference fails the node. */
  secrets?: SecretReader;
  /** Credentials for `sigv4` auth. @default the AWS SDK's default provider chain */
  awsCredentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** Region for `sigv4` auth without its own. @default AWS_REGION */
  awsRegion?: string;
  /** Fixed SigV4 signing time (tests). */
  signingDate?: Date;
}

/** One attempt's outbound kit. */
export interface Outbound {
  /** Guarded and authenticated fetch. */
  fetch: typeof fetch;
  /** Resolves header values: strings as they are, `{ secret }` from the owner's secrets. */
  headers(raw: Readonly<Record<string, string | SecretRef>> | undefined): Promise<Record<string, string>>;
  /** The egress denial behind a failed call, even when an SDK wrapped it. */
  denial(error: unknown): EgressDeniedError | undefined;
  /** Holds every value this attempt resolved. */
  redactor: Redactor;
}

let defaultCredentials: AwsCredentialIdentityProvider | undefined;
async function credentialsFromChain(): Promise<AwsCredentialIdentityProvider> {
  if (!defaultCredentials) {
    const { defaultProvider } = await import('@aws-sdk/credential-provider-node');
    defaultCredentials = defaultProvider();
  }
  return defaultCredentials;
}

/**
 * Builds the kit for one attempt of a node owned by `ownerId`, authenticating with `auth` (if any).
 * Bearer, API-key and OAuth credentials are resolved once here; SigV4 signs each request.
 */
export async function createOutbound(auth: AuthConfig | undefined, ctx: { ownerId?: string | undefined; signal: AbortSignal }, deps: OutboundDeps): Promise<Outbound> {
  const redactor = new Redactor();
  const tracked = trackDenials(deps.egress.fetch);

  async function secret(ref: SecretRef): Promise<string> {
    const value = ctx.ownerId && deps.secrets ? await deps.secrets(ctx.ownerId, ref.secret) : undefined;
    if (value === undefined) throw new SecretNotFoundError(ref.secret);
    redactor.add(ref.secret, value);
    return value;
  }

  let fetchWithAuth: typeof fetch = tracked.fetch;
  if (auth?.type === 'bearer' || auth?.type === 'apiKey') {
    const [name, value] = auth.type === 'bearer' ? ['authorization', `Bearer ${await secret(auth.token)}`] : [auth.header, await secret(auth.value)];
    fetchWithAuth = withHeader(tracked.fetch, name, value);
  } else if (auth?.type === 'oauth2') {
    const clientSecret = await secret(auth.clientSecret);
    const request = { ownerId: ctx.ownerId ?? '', tokenUrl: auth.tokenUrl, clientId: auth.clientId, clientSecret, ...(auth.scopes ? { scopes: auth.scopes } : {}) };
    const token = await clientCredentialsToken({ ...request, fetch: tracked.fetch, signal: ctx.signal });
    redactor.add(`${auth.clientSecret.secret}:token`, token);
    const authed = withHeader(tracked.fetch, 'authorization', `Bearer ${token}`);
    fetchWithAuth = async (input, init) => {
      const response = await authed(input, init);
      if (response.status === 401) forgetClientCredentialsToken(request);
      return response;
    };
  } else if (auth?.type === 'sigv4') {
    fetchWithAuth = sigv4Fetch(tracked.fetch, {
      auth, guard: deps.egress, credentials: deps.awsCredentials ?? (await credentialsFromChain()),
      ...(deps.awsRegion ?? process.env.AWS_REGION ? { region: deps.awsRegion ?? process.env.AWS_REGION } : {}),
      ...(deps.signingDate ? { signingDate: deps.signingDate } : {}),
    });
  }

  return {
    // Outermost, so the trace context is set before auth wrappers and SigV4 signing see the request.
    fetch: withTraceContext(fetchWithAuth),
    async headers(raw) {
      const out: Record<string, string> = {};
      for (const [name, value] of Object.entries(raw ?? {})) out[name] = isSecretRef(value) ? await secret(value) : value;
      return out;
    },
    denial: tracked.denial,
    redactor,
  };
}

/** Sets one header on every request (replacing a value of the same name). */
function withHeader(inner: typeof fetch, name: string, value: string): typeof fetch {
  return (input, init = {}) => {
    const headers = new Headers(init.headers ?? (input instanceof Request ? input.headers : undefined));
    headers.set(name, value);
    return inner(input, { ...init, headers });
  };
}

/** Adds the invocation's W3C trace context (`traceparent`, from X-Ray) to every request, when there is one. */
function withTraceContext(inner: typeof fetch): typeof fetch {
  return (input, init = {}) => {
    const trace = outboundTraceHeaders();
    if (Object.keys(trace).length === 0) return inner(input, init);
    const headers = new Headers(init.headers ?? (input instanceof Request ? input.headers : undefined));
    for (const [name, value] of Object.entries(trace)) headers.set(name, value);
    return inner(input, { ...init, headers });
  };
}

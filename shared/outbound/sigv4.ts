/**
 * AWS Signature V4 for `auth: { type: "sigv4" }`: each request is signed with the executor's own credentials
 * (`@smithy/signature-v4`, the AWS SDK's signer). Only the services in `SIGV4_SERVICES` are signed for, and only
 * over HTTPS to the hosts those services use, unless the operator allowlisted the host: signing lends the
 * executor's role, so a tenant must not point it at anything else.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import type { EgressGuard } from '../egress/guard';
import { EgressDeniedError } from '../egress/errors';
import type { AuthConfig } from './auth-schema';

type SigV4Auth = Extract<AuthConfig, { type: 'sigv4' }>;

/** Where a signed request may go, by service (unless allowlisted). */
const SERVICE_HOSTS: Record<SigV4Auth['service'], RegExp | undefined> = {
  // API Gateway: its own hosts and custom domains alike; the signature is only valid for execute-api actions.
  'execute-api': undefined,
  'bedrock-agentcore': /^bedrock-agentcore\.[a-z0-9-]+\.amazonaws\.com$/,
  // Function URLs only: signing for the Lambda API itself would let a tenant invoke any function the role may.
  lambda: /\.lambda-url\.[a-z0-9-]+\.on\.aws$/,
};

/** Options of a signing fetch. */
export interface SigV4FetchOptions {
  auth: SigV4Auth;
  credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** Region when `auth.region` is absent (the executor's `AWS_REGION`). */
  region?: string;
  guard: Pick<EgressGuard, 'isAllowlisted'>;
  /** Fixed signing time (tests). */
  signingDate?: Date;
}

/** Wraps `inner` so every request is SigV4-signed. Throws `EgressDeniedError` (rule `sigv4-target`) for a target it will not sign for. */
export function sigv4Fetch(inner: typeof fetch, options: SigV4FetchOptions): typeof fetch {
  const { auth, guard } = options;
  const region = auth.region ?? options.region;
  const signer = region ? new SignatureV4({ service: auth.service, region, credentials: options.credentials, sha256: Sha256 }) : undefined;
  return async (input, init = {}) => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    checkTarget(url, auth.service, guard);
    if (!signer) throw new EgressDeniedError(url.hostname, 'sigv4-target', `sigv4 auth needs a region: set auth.region (the executor has no AWS_REGION)`);
    const headers = new Headers(init.headers ?? (input instanceof Request ? input.headers : undefined));
    const body = init.body instanceof URLSearchParams ? init.body.toString() : init.body;
    if (body !== undefined && body !== null && typeof body !== 'string' && !(body instanceof Uint8Array)) throw new TypeError('sigv4 signs string or byte bodies only');
    const query: Record<string, string | string[]> = {};
    for (const key of new Set(url.searchParams.keys())) {
      const all = url.searchParams.getAll(key);
      query[key] = all.length === 1 ? all[0]! : all;
    }
    const plain: Record<string, string> = {};
    headers.forEach((value, name) => (plain[name] = value));
    plain.host = url.host;
    const signed = await signer.sign(
      { method: (init.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase(), protocol: url.protocol, hostname: url.hostname, ...(url.port ? { port: Number(url.port) } : {}), path: url.pathname, query, headers: plain, ...(body ? { body } : {}) },
      options.signingDate ? { signingDate: options.signingDate } : {},
    );
    const out = new Headers();
    for (const [name, value] of Object.entries(signed.headers)) if (name.toLowerCase() !== 'host') out.set(name, value);
    return inner(url, { ...init, headers: out, ...(body !== undefined ? { body } : {}) });
  };
}

function checkTarget(url: URL, service: SigV4Auth['service'], guard: Pick<EgressGuard, 'isAllowlisted'>): void {
  if (guard.isAllowlisted(url)) return;
  if (url.protocol !== 'https:') throw new EgressDeniedError(url.hostname, 'sigv4-target', `sigv4 signs only https requests (${url.host})`);
  const hosts = SERVICE_HOSTS[service];
  if (hosts && !hosts.test(url.hostname)) throw new EgressDeniedError(url.hostname, 'sigv4-target', `sigv4 for ${service} signs only requests to ${service === 'lambda' ? 'Lambda function URLs' : 'its AWS endpoint'}, not ${url.host}`);
}

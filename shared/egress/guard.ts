/**
 * The egress guard: every outbound call of the executor (http tools, MCP, A2A agents and their cards, OAuth token
 * calls) goes through `guard.fetch`. Each connection resolves its host once, checks every address against the
 * policy and connects to the checked address (a DNS answer that changes between check and connect cannot
 * redirect it); redirects are followed by hand, each hop checked again, at most five. The transport is
 * `node:http`/`node:https` with a per-destination `lookup` (no HTTP client package: the executor bundle stays small).
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { deniedBy, isIpLiteral, unbracket } from './address-policy';
import { parseEgressAllowlist, type EgressAllowlist } from './allowlist';
import { EgressDeniedError, findEgressDenial } from './errors';
import { createTransport, type TransportRequest } from './transport';

/** Most redirects followed for one call. */
export const MAX_REDIRECTS = 5;

/** Resolves a host name to every address it has (`dns.lookup` with `all: true`). */
export type Resolver = (hostname: string) => Promise<LookupAddress[]>;

/** Options of `createEgressGuard`. */
export interface EgressGuardOptions {
  /** The operator's allowlist (parsed, or `BRAID_EGRESS_ALLOW`'s text). @default nothing allowed beyond public addresses */
  allow?: EgressAllowlist | string | readonly string[];
  /** How names are resolved (tests inject one). @default dns.lookup with all: true */
  resolve?: Resolver;
  /** Connect timeout in milliseconds. @default 10000 */
  connectTimeoutMs?: number;
}

/** The guard every executor calls out through. */
export interface EgressGuard {
  /** A `fetch` that refuses denied destinations with `Braid.EgressDenied` and follows redirects by hand. */
  fetch: typeof fetch;
  /** Throws `EgressDeniedError` when `url` names a literal address or scheme the guard would refuse (no DNS). */
  checkUrl(url: URL): void;
  /** True when the operator listed this URL's host (or host:port). */
  isAllowlisted(url: URL): boolean;
  /** The allowlist, for the local stack and tests to extend. */
  allowlist: EgressAllowlist;
  /** Closes pooled connections. */
  close(): Promise<void>;
}

const defaultResolve: Resolver = (hostname) =>
  new Promise((resolve, reject) => {
    dnsLookup(hostname, { all: true, verbatim: true }, (error, addresses) => (error ? reject(error) : resolve(addresses)));
  });

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** Headers dropped when a redirect leaves the origin (a credential must not follow the call elsewhere). */
const CREDENTIAL_HEADER = /^(authorization|cookie|proxy-authorization)$|api[-_]?key|token|secret|^x-amz-/i;

/**
 * Builds a guard. One per process (the executor's composition root): it pools connections.
 *
 * @example
 * const guard = createEgressGuard({ allow: process.env.BRAID_EGRESS_ALLOW });
 * const response = await guard.fetch('https://tools.example/search');
 */
export function createEgressGuard(options: EgressGuardOptions = {}): EgressGuard {
  const allowlist = typeof options.allow === 'object' && options.allow !== null && 'allowsHost' in options.allow
    ? options.allow
    : parseEgressAllowlist(options.allow as string | readonly string[] | undefined);
  const resolve = options.resolve ?? defaultResolve;
  const timeout = options.connectTimeoutMs ?? 10_000;

  /** Resolves and checks a destination; returns the address to connect to, or throws `EgressDeniedError`. */
  async function pin(hostname: string, port: number): Promise<LookupAddress | undefined> {
    if (allowlist.allowsHost(hostname, port)) return undefined; // named by the operator: connect as usual
    const host = unbracket(hostname);
    let addresses: LookupAddress[];
    if (isIP(host) !== 0) addresses = [{ address: host, family: isIP(host) }];
    else {
      try {
        addresses = await resolve(host);
      } catch (error) {
        throw Object.assign(new Error(`cannot resolve ${host}: ${(error as Error).message}`, { cause: error }), { code: (error as { code?: string }).code });
      }
      if (addresses.length === 0) throw new Error(`cannot resolve ${host}: no addresses`);
    }
    // Every address must pass: a name that also points inward is refused whichever answer would be used.
    for (const { address } of addresses) {
      const rule = deniedBy(address);
      if (rule && !allowlist.allowsAddress(address, port)) {
        throw new EgressDeniedError(host, rule, `egress to ${host}${host === address ? '' : ` (${address})`} denied: ${rule} address (allow it with BRAID_EGRESS_ALLOW)`);
      }
    }
    return addresses[0];
  }

  /** The lookup of one destination: resolve, check, and hand the socket the checked address. */
  function lookupFor(port: number): LookupFunction {
    return (hostname, lookupOptions, done) => {
      pin(hostname, port).then(
        (answer) => {
          if (!answer) {
            // Named by the operator: resolve as usual.
            dnsLookup(hostname, lookupOptions, done);
            return;
          }
          if ((lookupOptions as { all?: boolean }).all) (done as unknown as (e: null, a: LookupAddress[]) => void)(null, [answer]);
          else done(null, answer.address, answer.family);
        },
        (error: Error) => done(error as NodeJS.ErrnoException, '', 0),
      );
    };
  }
  const transport = createTransport(timeout);

  function checkUrl(url: URL): void {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new EgressDeniedError(url.host || url.href, 'scheme', `egress to ${url.protocol} URLs is not allowed`);
    const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
    if (allowlist.allowsHost(url.hostname, port) || !isIpLiteral(url.hostname)) return;
    const address = unbracket(url.hostname);
    const rule = deniedBy(address);
    if (rule && !allowlist.allowsAddress(address, port)) throw new EgressDeniedError(url.hostname, rule);
  }

  const guardedFetch = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    let { url, request } = normalize(input, init);
    for (let hop = 0; ; hop++) {
      checkUrl(url);
      let response: Response;
      try {
        const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
        // Address literals were checked by checkUrl (sockets do not look them up); names are checked at connect.
        response = await transport.send(url, request, isIpLiteral(url.hostname) ? undefined : lookupFor(port));
      } catch (error) {
        const denial = findEgressDenial(error);
        if (denial) throw denial;
        throw error;
      }
      const location = response.headers.get('location');
      if (!REDIRECT_STATUSES.has(response.status) || location === null || init.redirect === 'manual') return response;
      if (init.redirect === 'error') throw new TypeError(`redirect from ${url.origin} refused (redirect: error)`);
      await response.body?.cancel().catch(() => undefined);
      if (hop + 1 > MAX_REDIRECTS) throw new EgressDeniedError(url.hostname, 'redirect-limit', `more than ${MAX_REDIRECTS} redirects (last from ${url.host})`);
      const next = new URL(location, url);
      request = redirected(request, response.status, url, next);
      url = next;
    }
  };

  return {
    fetch: guardedFetch as typeof fetch,
    checkUrl,
    isAllowlisted: (url) => allowlist.allowsHost(url.hostname, Number(url.port) || (url.protocol === 'https:' ? 443 : 80)),
    allowlist,
    close: async () => transport.close(),
  };
}

type PlainRequest = TransportRequest;

function normalize(input: string | URL | Request, init: RequestInit): { url: URL; request: PlainRequest } {
  if (typeof input === 'string' || input instanceof URL) {
    const body = init.body instanceof URLSearchParams ? init.body.toString() : init.body;
    if (body !== undefined && body !== null && typeof body !== 'string' && !(body instanceof Uint8Array)) {
      throw new TypeError('guarded fetch sends string or byte bodies only');
    }
    return { url: new URL(input), request: { method: (init.method ?? 'GET').toUpperCase(), headers: new Headers(init.headers), body: body ?? undefined, signal: init.signal } };
  }
  // A Request object: take what it says (SDKs build requests both ways); its body was read by the caller's init.
  const body = init.body ?? undefined;
  if (body !== undefined && typeof body !== 'string' && !(body instanceof Uint8Array)) throw new TypeError('guarded fetch sends string or byte bodies only');
  return {
    url: new URL(input.url),
    request: { method: (init.method ?? input.method).toUpperCase(), headers: new Headers(init.headers ?? input.headers), body, signal: init.signal ?? input.signal },
  };
}

/** The request of the next hop: 303 (and 301/302 after POST) become GET without a body; credentials stay on their origin. */
function redirected(request: PlainRequest, status: number, from: URL, to: URL): PlainRequest {
  const headers = new Headers(request.headers);
  let { method, body } = request;
  if (status === 303 || ((status === 301 || status === 302) && method === 'POST')) {
    method = method === 'HEAD' ? 'HEAD' : 'GET';
    body = undefined;
    for (const name of ['content-type', 'content-length', 'content-encoding']) headers.delete(name);
  }
  if (from.origin !== to.origin) {
    for (const name of [...headers.keys()]) if (CREDENTIAL_HEADER.test(name)) headers.delete(name);
  }
  return { ...request, method, headers, body };
}

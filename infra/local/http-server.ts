/**
 * The local HTTP API: a Node `http` server on 127.0.0.1 that does what API Gateway does in AWS: match the
 * route table, verify the JWT (401 `{"message":"Unauthorized"}` otherwise), build the payload v2 event and
 * invoke the owning function's real handler. It also serves the local JWKS at `/.well-known/jwks.json`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import { ROUTES, type RouteOwner, type RouteSpec } from '../../functions/http/routes';
import { bearerToken, type VerifyToken } from '../../shared/auth/verify-token';
import { lambdaContext, toApiEvent, writeResult } from './api-event';

/** A function's handler as the server invokes it. */
export type LocalHttpHandler = (event: APIGatewayProxyEventV2WithJWTAuthorizer, context: Context) => Promise<APIGatewayProxyResultV2>;

/** API Gateway's own payload limit (10 MB); routes have their own, smaller limits. */
export const GATEWAY_BODY_LIMIT_BYTES = 10 * 1024 * 1024;

/**
 * API Gateway's HTTP API quota on the request line and header values together (10,240 bytes, not adjustable).
 * Above it the gateway refuses the request itself; the local server answers 431 (Node's own limit is 16 KiB).
 */
export const GATEWAY_REQUEST_LINE_AND_HEADERS_LIMIT_BYTES = 10_240;

/** Bytes of the request line and the header values, as API Gateway counts them for its quota. */
function requestLineAndHeaderBytes(req: IncomingMessage): number {
  let bytes = Buffer.byteLength(`${req.method ?? 'GET'} ${req.url ?? '/'} HTTP/${req.httpVersion}`);
  for (let i = 1; i < req.rawHeaders.length; i += 2) bytes += Buffer.byteLength(req.rawHeaders[i]!);
  return bytes;
}

/** Options of `startHttpServer`. */
export interface HttpServerOptions {
  /** Handlers by owning function; a route whose function is missing answers 501. */
  functions: Partial<Record<RouteOwner, LocalHttpHandler>>;
  verifyToken: VerifyToken;
  /** The JWKS to serve at `/.well-known/jwks.json`. */
  jwks: object;
  /** @default 0 */
  port?: number;
  /** @default "127.0.0.1" */
  host?: string;
  /** Serves what no API route matches (the local web console); false falls through to the 404. */
  fallback?: (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>;
  /** Reports a handler that threw (a Lambda crash: 500 like API Gateway's). @default console.error */
  onError?: (error: unknown) => void;
}

/** A running local HTTP API. */
export interface LocalHttpServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

interface CompiledRoute {
  spec: RouteSpec;
  pattern: RegExp;
  params: string[];
}

function compileRoutes(): CompiledRoute[] {
  return ROUTES.map((spec) => {
    const params: string[] = [];
    const source = spec.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{([A-Za-z0-9_]+)\\?\}/g, (_m, name: string) => {
      params.push(name);
      return '([^/]+)';
    });
    return { spec, pattern: new RegExp(`^${source}$`), params };
  });
}

/** Finds the route for a method and path; path parameters are URL-decoded as API Gateway does. */
export function matchRoute(routes: readonly CompiledRoute[], method: string, path: string): { spec: RouteSpec; pathParameters: Record<string, string> } | undefined {
  for (const route of routes) {
    if (route.spec.method !== method) continue;
    const m = route.pattern.exec(path);
    if (!m) continue;
    try {
      return { spec: route.spec, pathParameters: Object.fromEntries(route.params.map((p, i) => [p, decodeURIComponent(m[i + 1]!)])) };
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Starts the server; resolves once it listens. */
export async function startHttpServer(options: HttpServerOptions): Promise<LocalHttpServer> {
  const routes = compileRoutes();
  const onError = options.onError ?? ((error: unknown) => console.error('handler failed', error));

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (requestLineAndHeaderBytes(req) > GATEWAY_REQUEST_LINE_AND_HEADERS_LIMIT_BYTES) {
      req.resume();
      return sendJson(res, 431, { message: 'Request Header Fields Too Large' });
    }
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = (req.method ?? 'GET').toUpperCase();
    if (method === 'GET' && url.pathname === '/.well-known/jwks.json') return sendJson(res, 200, options.jwks);
    const match = matchRoute(routes, method, url.pathname);
    if (!match && options.fallback && (await options.fallback(req, res, url))) return;
    if (!match) return sendJson(res, 404, { message: 'Not Found' });
    const body = await readBody(req, GATEWAY_BODY_LIMIT_BYTES);
    if (!body) return sendJson(res, 413, { message: 'Request Entity Too Large' });
    let claims: Record<string, unknown>;
    try {
      claims = await options.verifyToken(bearerToken(req.headers.authorization) ?? '');
    } catch {
      return sendJson(res, 401, { message: 'Unauthorized' }, { 'www-authenticate': 'Bearer' });
    }
    const handler = options.functions[match.spec.owner];
    if (!handler) return sendJson(res, 501, { error: { code: 'not_implemented', message: `the ${match.spec.owner} function is not wired locally` } });
    const event = toApiEvent({ req, url, body, route: match.spec, pathParameters: match.pathParameters, claims });
    try {
      writeResult(res, await handler(event, lambdaContext(`braid-${match.spec.owner}`, event.requestContext.requestId)));
    } catch (error) {
      onError(error);
      sendJson(res, 500, { message: 'Internal Server Error' });
    }
  }

  const server = createServer((req, res) => {
    serve(req, res).catch((error: unknown) => {
      onError(error);
      if (!res.headersSent) sendJson(res, 500, { message: 'Internal Server Error' });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port, address } = server.address() as AddressInfo;
  return {
    url: `http://${address}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

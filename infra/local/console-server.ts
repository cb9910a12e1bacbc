/**
 * The web console on the local HTTP server (same origin as the API, so no CORS): the built assets from
 * `console/dist`, a `config.json` naming the WebSocket URL and the local sign-in, and the local-only sign-in
 * route `POST /local/token` that mints a token for a chosen user. That route exists only here: the AWS
 * stack serves the console from S3 and signs in with Cognito.
 */
import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';

/** The console's built assets, relative to the repository root. */
export const CONSOLE_DIST_DIR = 'console/dist';

/** A user id the local sign-in accepts (the same rule as `npm run token`). */
export const LOCAL_USER_ID = /^[\w.@+-]{1,128}$/;

/** Options of `createConsoleHandler`. */
export interface ConsoleHandlerOptions {
  /** Folder of the built console. @default CONSOLE_DIST_DIR */
  distDir?: string;
  /** WebSocket URL the console connects to. */
  wsUrl: string | undefined;
  /** Signs a token for a user (the local stack's key). */
  signToken(userId: string): Promise<string>;
  /** A workflow definition the console offers to create ("Add the demo workflow"). */
  demoWorkflow?: unknown;
}

/** Host names the local sign-in accepts. */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Serves a request the API routes did not match; resolves false when it is not the console's either. */
export type FallbackHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.map': 'application/json',
};

/** The console's config as the local stack serves it (the AWS stack writes the same shape to S3). */
export function localConsoleConfig(options: Pick<ConsoleHandlerOptions, 'wsUrl' | 'demoWorkflow'>): object {
  return { apiUrl: '', wsUrl: options.wsUrl ?? '', auth: { mode: 'local' }, ...(options.demoWorkflow !== undefined ? { demoWorkflow: options.demoWorkflow } : {}) };
}

/** Builds the fallback handler of the local HTTP server. */
export function createConsoleHandler(options: ConsoleHandlerOptions): FallbackHandler {
  const root = resolve(options.distDir ?? CONSOLE_DIST_DIR);
  const headers = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };
  const json = (res: ServerResponse, status: number, body: unknown): void => void res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));

  async function signIn(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Only a page served by this server may sign in: a JSON content type forces a CORS preflight (which this
    // server never grants) on any other origin, and a loopback Host header defeats DNS rebinding.
    const host = (req.headers.host ?? '').replace(/:\d+$/, '');
    if (!LOOPBACK_HOSTS.has(host)) return json(res, 403, { error: { code: 'forbidden', message: 'local sign-in answers loopback hosts only' } });
    if (!(req.headers['content-type'] ?? '').startsWith('application/json')) {
      return json(res, 415, { error: { code: 'unsupported_media_type', message: 'send application/json' } });
    }
    let userId: unknown;
    try {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of req) {
        size += (chunk as Buffer).length;
        if (size > 4096) return json(res, 413, { error: { code: 'too_large', message: 'body over 4 KB' } });
        chunks.push(chunk as Buffer);
      }
      userId = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { userId?: unknown }).userId;
    } catch {
      return json(res, 400, { error: { code: 'invalid_json', message: 'body is not JSON', path: '' } });
    }
    if (typeof userId !== 'string' || !LOCAL_USER_ID.test(userId)) {
      return json(res, 400, { error: { code: 'invalid_user', message: 'userId: 1-128 letters, digits or . @ + - _', path: '/userId' } });
    }
    return json(res, 200, { userId, token: await options.signToken(userId) });
  }

  async function asset(res: ServerResponse, pathname: string, method: string): Promise<boolean> {
    const relative = normalize(decodeURIComponent(pathname)).replace(/^([/\\])+/, '');
    let file = join(root, relative);
    if (file !== root && !file.startsWith(root + sep)) return false;
    // Client-side routes (no extension) get the app; a missing asset is a 404.
    if (relative === '' || extname(relative) === '') file = join(root, 'index.html');
    const found = await stat(file).catch(() => undefined);
    if (!found?.isFile()) {
      if (file.endsWith('index.html')) {
        res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', ...headers }).end('The console is not built: run `npm run console:build` (npm run dev does it for you).\n');
        return true;
      }
      return false;
    }
    const body = await readFile(file);
    const immutable = relative.startsWith('assets/');
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', ...headers, ...(immutable ? { 'cache-control': 'public, max-age=31536000, immutable' } : {}) });
    res.end(method === 'HEAD' ? undefined : body);
    return true;
  }

  return async (req, res, url) => {
    const method = (req.method ?? 'GET').toUpperCase();
    if (url.pathname.startsWith('/api/')) return false;
    if (method === 'POST' && url.pathname === '/local/token') return signIn(req, res).then(() => true);
    if (method !== 'GET' && method !== 'HEAD') return false;
    if (url.pathname === '/config.json') {
      json(res, 200, localConsoleConfig(options));
      return true;
    }
    try {
      return await asset(res, url.pathname, method);
    } catch {
      return false;
    }
  };
}

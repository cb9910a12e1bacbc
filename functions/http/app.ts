/**
 * Builds one function's Hono app from the route table: every route the function owns is registered with its
 * handler (a route without one answers 501), errors go through `toErrorResponse`, unknown paths are a JSON 404,
 * and each request is logged once with its route, status and duration.
 */
import { Hono } from 'hono';
import type { Logger } from '@aws-lambda-powertools/logger';
import { ROUTES, type RouteOwner, type RouteSpec } from './routes';
import { toErrorResponse } from './error-response';
import { NotImplementedError } from './errors';
import type { HttpEnv, RouteContext } from './request';

/** Serves one route. */
export type RouteHandler = (c: RouteContext) => Response | Promise<Response>;

/** Handlers by route name (`RouteSpec.name`). */
export type RouteHandlers = Partial<Record<string, RouteHandler>>;

/** `/api/v1/workflows/{id}` → `/api/v1/workflows/:id` (Hono syntax). */
export function toHonoPath(path: string): string {
  return path.replace(/\{([A-Za-z0-9_]+)\+?\}/g, ':$1');
}

/** The routes a function owns, in table order. */
export function routesOf(owner: RouteOwner): RouteSpec[] {
  return ROUTES.filter((r) => r.owner === owner);
}

/** Builds the app of `owner` with `handlers`; a handler for a route the function does not own is a bug. */
export function createHttpApp(options: { owner: RouteOwner; handlers: RouteHandlers; logger: Logger }): Hono<HttpEnv> {
  const { owner, handlers, logger } = options;
  const owned = routesOf(owner);
  const unknown = Object.keys(handlers).filter((name) => !owned.some((r) => r.name === name));
  if (unknown.length > 0) throw new TypeError(`handlers for routes ${owner} does not own: ${unknown.join(', ')}`);

  const app = new Hono<HttpEnv>();
  app.use(async (c, next) => {
    const started = performance.now();
    const requestId = c.env?.lambdaContext?.awsRequestId ?? c.env?.event?.requestContext?.requestId;
    // Run and gate routes name the run (and node) in the path: key every line of the request by them.
    const keys = { ...(requestId ? { requestId } : {}), ...runKeys(c.req.path) };
    logger.appendKeys(keys);
    try {
      await next();
      logger.info('request', {
        method: c.req.method, path: c.req.path, route: c.env?.event?.routeKey, status: c.res.status,
        durationMs: Math.round(performance.now() - started),
      });
    } finally {
      logger.removeKeys(Object.keys(keys));
    }
  });
  for (const route of owned) {
    const handler = handlers[route.name] ?? (() => { throw new NotImplementedError(`${route.method} ${route.path}`); });
    app.on(route.method, toHonoPath(route.path), (c) => handler(c));
  }
  app.notFound((c) => c.json({ error: { code: 'not_found', message: `no route ${c.req.method} ${c.req.path}` } }, 404));
  app.onError((error, c) => {
    const { status, body, headers } = toErrorResponse(error, logger);
    return c.json(body, status, headers);
  });
  return app;
}

/** `runId` (and `nodeId`) from a run route's path, for log keys. */
export function runKeys(path: string): { runId?: string; nodeId?: string } {
  const match = /\/runs\/([^/]+)(?:\/(?:gates|nodes)\/([^/]+))?/.exec(path);
  if (!match?.[1]) return {};
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  };
  return { runId: decode(match[1]), ...(match[2] ? { nodeId: decode(match[2]) } : {}) };
}

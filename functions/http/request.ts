/**
 * Request helpers for route handlers: the caller from the JWT authorizer's claims, path parameters, the
 * query, and a JSON body read with a content-type check, a size limit and a clear malformed-JSON error.
 */
import type { Context } from 'hono';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, Context as LambdaContext } from 'aws-lambda';
import { LIMITS } from '../../shared/definition/schema';
import { NotFoundError, PayloadTooLargeError, UnauthenticatedError, ValidationError } from '../../shared/errors';
import type { Caller } from '../../shared/services/permissions';
import { UnsupportedMediaTypeError } from './errors';

/** Hono bindings of a Lambda behind an HTTP API (payload v2) with a JWT authorizer. */
export interface LambdaBindings {
  event: APIGatewayProxyEventV2WithJWTAuthorizer;
  lambdaContext: LambdaContext;
}

/** The Hono environment of Braid's HTTP functions. */
export type HttpEnv = { Bindings: LambdaBindings };

/** A Hono context of a Braid route. */
export type RouteContext = Context<HttpEnv>;

/** Default body limit of JSON routes: the largest definition (256 KiB). */
export const DEFAULT_BODY_LIMIT_BYTES = LIMITS.maxDefinitionBytes;

/** The caller (`sub` claim put there by the JWT authorizer); 401 when there is none. */
export function callerOf(c: RouteContext): Caller {
  const sub = c.env?.event?.requestContext?.authorizer?.jwt?.claims?.sub;
  if (typeof sub !== 'string' || sub === '') throw new UnauthenticatedError();
  return { userId: sub };
}

/** A path parameter, decoded; a missing or absurd one is a 404 (it names nothing). */
export function pathParam(c: RouteContext, name: string, resource = 'resource'): string {
  const value = c.req.param(name);
  if (!value || value.length > 256) throw new NotFoundError(resource, String(value ?? ''));
  return value;
}

/** The query string as a flat record (last value wins). */
export function queryOf(c: RouteContext): Record<string, string | undefined> {
  return c.req.query();
}

/**
 * Reads a JSON body: 415 unless `application/json`, 413 over `limitBytes`, 400 `malformed_json` when it does
 * not parse (or is empty).
 */
export async function readJsonBody(c: RouteContext, limitBytes: number = DEFAULT_BODY_LIMIT_BYTES): Promise<unknown> {
  const declared = Number(c.req.header('content-length'));
  if (Number.isFinite(declared) && declared > limitBytes) throw new PayloadTooLargeError(limitBytes);
  const contentType = c.req.header('content-type');
  const mediaType = contentType?.split(';')[0]?.trim().toLowerCase();
  if (mediaType !== 'application/json' && !(mediaType?.startsWith('application/') && mediaType.endsWith('+json'))) {
    throw new UnsupportedMediaTypeError(contentType);
  }
  const bytes = new Uint8Array(await c.req.arrayBuffer());
  if (bytes.byteLength > limitBytes) throw new PayloadTooLargeError(limitBytes);
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  if (text.trim() === '') throw new ValidationError([{ code: 'malformed_json', path: '', message: 'the body is empty; send a JSON document' }]);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text) as unknown;
  } catch (error) {
    throw new ValidationError([{ code: 'malformed_json', path: '', message: `the body is not valid JSON: ${(error as Error).message}` }], { cause: error });
  }
  const forbidden = forbiddenKeyPaths(parsed);
  if (forbidden.length > 0) {
    throw new ValidationError(forbidden.map((path) => ({ code: 'forbidden_key', path, message: '"__proto__" is not allowed as a key' })));
  }
  return parsed;
}

/**
 * JSON pointers of every `__proto__` key in a parsed body. JSON.parse makes it an own property, but the
 * DynamoDB marshaller (and any code that copies with `obj[key] = …`) turns it into a prototype change, so
 * such a body is refused up front rather than half-stored.
 */
export function forbiddenKeyPaths(value: unknown): string[] {
  const out: string[] = [];
  // Iterative: a 256 KiB body can nest deeper than the call stack allows.
  const stack: Array<[unknown, string]> = [[value, '']];
  while (stack.length > 0 && out.length < 20) {
    const [v, at] = stack.pop() as [unknown, string];
    if (v === null || typeof v !== 'object') continue;
    if (Array.isArray(v)) {
      v.forEach((item, i) => stack.push([item, `${at}/${i}`]));
      continue;
    }
    for (const key of Object.keys(v)) {
      const path = `${at}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      if (key === '__proto__') out.push(path);
      stack.push([(v as Record<string, unknown>)[key], path]);
    }
  }
  return out;
}

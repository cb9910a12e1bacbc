/**
 * Request helpers for route handlers: the caller from the JWT authorizer's claims, path parameters, the
 * query, and a JSON body read with a content-type check, a size limit and a clear malformed-JSON error.
 */
import type { Context } from 'hono';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, Context as LambdaContext } from 'aws-lambda';
import { LIMITS } from '../../shared/definition/schema';
import { NotFoundError, PayloadTooLargeError, UnauthenticatedError, ValidationError, type FieldIssue } from '../../shared/errors';
import type { Caller } from '../../shared/services/permissions';
import { UnsupportedMediaTypeError } from './errors';
import { GROUPS_CLAIM, parseGroupsClaim } from './groups-claim';

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

/** The caller (`sub` claim put there by the JWT authorizer, groups from the groups claim); 401 when there is none. */
export function callerOf(c: RouteContext): Caller {
  const claims = c.env?.event?.requestContext?.authorizer?.jwt?.claims;
  const sub = claims?.sub;
  if (typeof sub !== 'string' || sub === '') throw new UnauthenticatedError();
  const groups = parseGroupsClaim(claims?.[GROUPS_CLAIM]);
  return groups.length > 0 ? { userId: sub, groups } : { userId: sub };
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
  const issues = unstorableValues(parsed);
  if (issues.length > 0) throw new ValidationError(issues);
  return parsed;
}

/** DynamoDB's number range: zero, or magnitudes from 1e-130 up to (not including) 1e126. */
const STORABLE_NUMBER = { min: 1e-130, below: 1e126 } as const;

/**
 * Every value of a parsed body that the store cannot hold, with its JSON pointer: a `__proto__` key (JSON.parse
 * makes it an own property, but the DynamoDB marshaller, like any `obj[key] = …` copy, turns it into a prototype
 * change) and a number outside DynamoDB's range. Such a body is refused up front rather than half-stored.
 */
export function unstorableValues(value: unknown): FieldIssue[] {
  const out: FieldIssue[] = [];
  // Iterative: a 256 KiB body can nest deeper than the call stack allows.
  const stack: Array<[unknown, string]> = [[value, '']];
  while (stack.length > 0 && out.length < 20) {
    const [v, at] = stack.pop() as [unknown, string];
    if (typeof v === 'number') {
      const size = Math.abs(v);
      if (size !== 0 && (size < STORABLE_NUMBER.min || size >= STORABLE_NUMBER.below)) {
        out.push({ code: 'number_out_of_range', path: at, message: 'numbers must be 0 or have a magnitude between 1e-130 and 1e126' });
      }
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (Array.isArray(v)) {
      v.forEach((item, i) => stack.push([item, `${at}/${i}`]));
      continue;
    }
    for (const key of Object.keys(v)) {
      const path = `${at}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      if (key === '__proto__') out.push({ code: 'forbidden_key', path, message: '"__proto__" is not allowed as a key' });
      stack.push([(v as Record<string, unknown>)[key], path]);
    }
  }
  return out;
}

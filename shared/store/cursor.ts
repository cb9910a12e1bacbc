/**
 * Opaque pagination cursors: base64url JSON of a DynamoDB `LastEvaluatedKey` (and a listing phase), signed with
 * an HMAC bound to the listing that issued it (its route, query filters and caller). A forged, altered or
 * foreign cursor is a 400 `invalid_cursor`, never a 500, and never a way to read another listing's keys.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import * as z from 'zod';
import { InvalidCursorError } from './errors';

/** Characters of the signature kept in a cursor (base64url of HMAC-SHA-256, 192 bits). */
const MAC_CHARS = 32;

// A random key until the composition root sets the deployment's (cursors then live as long as the process).
let cursorKey: Buffer = randomBytes(32);

/**
 * Sets the key that signs cursors: the api function's, read at cold start (AWS: a Secrets Manager secret;
 * `npm run dev`: derived from the data directory's key), so every instance accepts the others' cursors.
 */
export function setCursorKey(key: Uint8Array): void {
  if (key.length < 16) throw new TypeError('the cursor key must be at least 16 bytes');
  cursorKey = Buffer.from(key);
}

function mac(listing: string, body: string): string {
  return createHmac('sha256', cursorKey).update(listing).update('\0').update(body).digest('base64url').slice(0, MAC_CHARS);
}

/** A DynamoDB key as returned by `LastEvaluatedKey` for Braid's string-keyed table. */
export type PageKey = Record<string, string>;

const KEY_ATTRIBUTES = ['PK', 'SK', 'GSI1PK', 'GSI1SK', 'GSI2PK', 'GSI2SK'] as const;

const CursorSchema = z.strictObject({
  /** Phase of a multi-phase listing. */
  p: z.number().int().min(0).max(16),
  /** Exclusive start key; absent when the phase starts from the beginning. */
  k: z.partialRecord(z.enum(KEY_ATTRIBUTES), z.string().max(2_048)).optional(),
});

/** A decoded cursor. */
export interface Cursor {
  phase: number;
  key?: PageKey;
}

/**
 * Encodes a cursor for `listing`: everything the page depends on, e.g. `workflows:mine:<callerId>` (route,
 * filters, caller), so the cursor is valid only for that listing.
 */
export function encodeCursor(listing: string, cursor: Cursor): string {
  const payload = { p: cursor.phase, ...(cursor.key ? { k: cursor.key } : {}) };
  const body = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
  return `${body}.${mac(listing, body)}`;
}

/** Decodes a cursor issued for `listing`; throws `InvalidCursorError` for anything else (unsigned, altered, foreign). */
export function decodeCursor(listing: string, cursor: string | undefined): Cursor {
  if (cursor === undefined || cursor === '') return { phase: 0 };
  const match = cursor.length <= 4_096 ? /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/.exec(cursor) : null;
  if (!match) throw new InvalidCursorError();
  const [, body, signature] = match as unknown as [string, string, string];
  const expected = Buffer.from(mac(listing, body));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new InvalidCursorError();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch (error) {
    throw new InvalidCursorError({ cause: error });
  }
  const result = CursorSchema.safeParse(parsed);
  if (!result.success) throw new InvalidCursorError({ cause: result.error });
  return { phase: result.data.p, ...(result.data.k ? { key: result.data.k as PageKey } : {}) };
}

/** One page of a listing. */
export interface Page<T> {
  items: T[];
  /** Pass back as `cursor` to get the next page; absent on the last page. */
  nextCursor?: string;
}

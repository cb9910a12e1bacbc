/**
 * Opaque pagination cursors: base64url JSON of a DynamoDB `LastEvaluatedKey` (and a listing phase),
 * validated on the way back in so a forged or foreign cursor is a 400, never a 500.
 */
import * as z from 'zod';
import { InvalidCursorError } from './errors';

/** A DynamoDB key as returned by `LastEvaluatedKey` for Braid's string-keyed table. */
export type PageKey = Record<string, string>;

const KEY_ATTRIBUTES = ['PK', 'SK', 'GSI1PK', 'GSI1SK', 'GSI2PK', 'GSI2SK'] as const;

const CursorSchema = z.strictObject({
  /** Which listing issued the cursor. */
  l: z.string().min(1).max(64),
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

/** Encodes a cursor for `listing` (a stable name such as `workflows:mine`). */
export function encodeCursor(listing: string, cursor: Cursor): string {
  const payload = { l: listing, p: cursor.phase, ...(cursor.key ? { k: cursor.key } : {}) };
  return Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
}

/** Decodes a cursor issued for `listing`; throws `InvalidCursorError` for anything else. */
export function decodeCursor(listing: string, cursor: string | undefined): Cursor {
  if (cursor === undefined || cursor === '') return { phase: 0 };
  if (cursor.length > 4_096 || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw new InvalidCursorError();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch (error) {
    throw new InvalidCursorError({ cause: error });
  }
  const result = CursorSchema.safeParse(parsed);
  if (!result.success || result.data.l !== listing) throw new InvalidCursorError({ cause: result.error });
  return { phase: result.data.p, ...(result.data.k ? { key: result.data.k as PageKey } : {}) };
}

/** One page of a listing. */
export interface Page<T> {
  items: T[];
  /** Pass back as `cursor` to get the next page; absent on the last page. */
  nextCursor?: string;
}

/**
 * Converts zod issues into Braid's field issues (`code`, JSON-pointer `path`, `message`).
 */
import type * as z from 'zod';
import type { FieldIssue } from '../errors';

/** Escapes one JSON-pointer segment (RFC 6901). */
export function pointerSegment(segment: PropertyKey): string {
  return String(segment).replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Maps a zod error to field issues, one per zod issue, paths as JSON pointers under `prefix`. */
export function zodIssues(error: z.ZodError, prefix = ''): FieldIssue[] {
  return error.issues.flatMap((issue) => {
    const base = prefix + issue.path.map((p) => `/${pointerSegment(p)}`).join('');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((k) => ({ code: 'unknown_field', path: `${base}/${pointerSegment(k)}`, message: 'is not a known field' }));
    }
    return [{ code: issue.code, path: base, message: issue.message }];
  });
}

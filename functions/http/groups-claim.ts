/**
 * Groups from the verified token: the claim named by `BRAID_GROUPS_CLAIM` (default `cognito:groups`), read at
 * cold start. API Gateway's JWT authorizer hands array claims over as the string `[a b c]`; a JSON array
 * string, a comma-separated string and a real array are read too.
 */

/** The claim that holds the caller's groups. */
export const GROUPS_CLAIM = process.env.BRAID_GROUPS_CLAIM || 'cognito:groups';

/** Most groups read from one token (more are ignored). */
export const MAX_GROUPS = 100;

/** Parses a groups claim value into group names. */
export function parseGroupsClaim(value: unknown): string[] {
  let items: unknown[] = [];
  if (Array.isArray(value)) items = value;
  else if (typeof value === 'string') {
    const text = value.trim();
    if (text.startsWith('[') && text.endsWith(']')) {
      try {
        const parsed = JSON.parse(text) as unknown;
        items = Array.isArray(parsed) ? parsed : [];
      } catch {
        items = text.slice(1, -1).split(/[\s,]+/);
      }
    } else items = text.split(/[\s,]+/);
  }
  const groups = items.filter((g): g is string => typeof g === 'string' && g !== '' && g.length <= 256);
  return [...new Set(groups)].slice(0, MAX_GROUPS);
}

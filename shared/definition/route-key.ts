/**
 * Route keys: the strings a condition writes into the `r` routing record and the compiled Choice states
 * compare against (ARCHITECTURE.md, "`r`, the routing record"). The compiler and the executor both use these,
 * so the two sides can never disagree.
 */

/** The route key of a `when` edge: `"w:" + JSON.stringify(when)`. */
export function whenRouteKey(when: unknown): string {
  return `w:${JSON.stringify(when)}`;
}

/** The route key an edge out of a condition stands for: `default`, or its `when` key. */
export function routeKey(edge: { when?: unknown; default?: true }): string {
  return edge.default ? 'default' : whenRouteKey(edge.when);
}

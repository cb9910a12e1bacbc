/**
 * Liveness: when does a node run? The one place it is computed. A node runs when at least one incoming edge
 * is live; `parallel`/`join` nodes are looked through (a path `u -> v1 -> … -> w` through them counts as the
 * edge out of `u` it starts with). The compiler renders these tests as `X:route` Choice states and stores them
 * in the contract; the executor evaluates the same tests against the recorded node runs.
 */
import { routeKey } from '../definition/route-key';
import type { WorkflowDefinition } from '../definition/schema';
import type { LiveTest, Liveness } from '../contract/node-contract';

/**
 * The liveness of every node of a validated (acyclic) definition. `tracked` holds the real nodes that write a
 * route (conditions and every real node downstream of one); `virtual` the `parallel`/`join` node ids.
 */
export function livenessOf(def: WorkflowDefinition, tracked: ReadonlySet<string>, virtual: ReadonlySet<string>): Map<string, Liveness> {
  const typeOf = new Map(def.nodes.map((n) => [n.id, n.type]));
  const incoming = new Map<string, WorkflowDefinition['edges']>(def.nodes.map((n) => [n.id, []]));
  for (const edge of def.edges) incoming.get(edge.to)?.push(edge);
  const memo = new Map<string, Liveness>();
  const liveOf = (id: string): Liveness => {
    const known = memo.get(id);
    if (known) return known;
    const edges = incoming.get(id) ?? [];
    let result: Liveness = edges.length === 0 ? 'always' : [];
    for (const edge of edges) {
      if (result === 'always') break;
      const test: Liveness | LiveTest = virtual.has(edge.from)
        ? liveOf(edge.from)
        : typeOf.get(edge.from) === 'condition'
          ? { kind: 'route', node: edge.from, key: routeKey(edge) }
          : tracked.has(edge.from)
            ? { kind: 'notSkipped', node: edge.from }
            : 'always';
      if (test === 'always') result = 'always';
      else result = [...result, ...(Array.isArray(test) ? test : [test])];
    }
    const final: Liveness = result === 'always' ? 'always' : dedupeTests(result);
    memo.set(id, final);
    return final;
  };
  return new Map(def.nodes.map((n) => [n.id, liveOf(n.id)]));
}

/** Sorted, without duplicates, so equal definitions give equal bytes. */
function dedupeTests(tests: LiveTest[]): LiveTest[] {
  const byKey = new Map(tests.map((t) => [JSON.stringify([t.node, t.kind, t.kind === 'route' ? t.key : '']), t]));
  return [...byKey.keys()].sort().map((k) => byKey.get(k) as LiveTest);
}

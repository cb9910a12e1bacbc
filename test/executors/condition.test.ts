import { describe, expect, it } from 'vitest';
import { routeKey } from '../../shared/definition/route-key';
import type { EdgeDef, NodeDef } from '../../shared/definition/schema';
import { BindingFailedError, executeNode, NotExecutableError, pickRoute } from '../../shared/executors';

const scope = { context: { budget: 150 }, outputs: { pick: { text: 'Grand', data: { price: 240, tier: 'gold' } } } };
const boolEdges: EdgeDef[] = [
  { from: 'pricey', to: 'approve', when: true },
  { from: 'pricey', to: 'book', when: false },
];

/** The attempt context, with the route keys the contract holds for these out-edges. */
function ctx(outEdges: readonly EdgeDef[]) {
  return { runId: 'r1', nodeId: 'pricey', attempt: 0, signal: new AbortController().signal, deadline: Date.now() + 5_000, scope, routeKeys: outEdges.map(routeKey) };
}

function condition(expression: string): NodeDef {
  return { id: 'pricey', type: 'condition', expression };
}

describe('condition nodes', () => {
  it('routes a true value to the when:true edge', async () => {
    // Act
    const result = await executeNode(condition('$pick.data.price > $context.budget'), {}, ctx(boolEdges));

    // Assess
    expect(result).toStrictEqual({ output: { value: true, route: 'w:true' }, route: 'w:true' });
  });

  it('routes a false value to the when:false edge', async () => {
    // Act
    const result = await executeNode(condition('$pick.data.price > 1000'), {}, ctx(boolEdges));

    // Assess
    expect(result.route).toBe('w:false');
  });

  it('matches string and number literals by value', async () => {
    // Prepare
    const edges: EdgeDef[] = [
      { from: 'pricey', to: 'a', when: 'gold' },
      { from: 'pricey', to: 'b', when: 240 },
      { from: 'pricey', to: 'c', default: true },
    ];

    // Act
    const tier = await executeNode(condition('$pick.data.tier'), {}, ctx(edges));
    const price = await executeNode(condition('$pick.data.price'), {}, ctx(edges));

    // Assess
    expect([tier.route, price.route]).toStrictEqual(['w:"gold"', 'w:240']);
  });

  it('takes the default edge when no when matches', async () => {
    // Prepare
    const edges: EdgeDef[] = [
      { from: 'pricey', to: 'a', when: 'silver' },
      { from: 'pricey', to: 'c', default: true },
    ];

    // Act
    const result = await executeNode(condition('$pick.data.tier'), {}, ctx(edges));

    // Assess
    expect(result.route).toBe('default');
  });

  it('routes to none when nothing matches and there is no default', async () => {
    // Act
    const result = await executeNode(condition('"bronze"'), {}, ctx(boolEdges));

    // Assess
    expect(result).toStrictEqual({ output: { value: 'bronze', route: 'none' }, route: 'none' });
  });

  it('treats a value that selects nothing as null', () => {
    // Prepare
    const edges: EdgeDef[] = [{ from: 'c', to: 'x', when: null }];

    // Act
    const route = pickRoute(undefined, edges.map(routeKey));

    // Assess
    expect(route).toBe('w:null');
  });

  it('never matches an object value against a when literal', () => {
    // Act
    const route = pickRoute({ price: 240 }, [routeKey({ when: 'x' })]);

    // Assess
    expect(route).toBe('none');
  });

  it('never matches a number JSON cannot write (NaN, Infinity) against when: null', () => {
    // Act
    const routes = [NaN, Infinity, -Infinity].map((v) => pickRoute(v, [routeKey({ when: null }), 'default']));

    // Assess
    expect(routes).toStrictEqual(['default', 'default', 'default']);
  });

  it('fails with Braid.BindingFailed when the expression fails', async () => {
    // Act
    const error = await executeNode(condition('$pick.data.price > "a" + 1'), {}, ctx(boolEdges)).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(BindingFailedError);
    expect((error as BindingFailedError).inputKey).toBe('expression');
  });

  it('refuses to run without the scope and out-edges', async () => {
    // Prepare
    const bare = { runId: 'r1', nodeId: 'pricey', attempt: 0, signal: new AbortController().signal, deadline: Date.now() + 5_000 };

    // Act
    const error = await executeNode(condition('true'), {}, bare).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(NotExecutableError);
  });
});

import { describe, expect, it } from 'vitest';
import { validateDefinition } from '../../shared/definition/validate';
import { LIMITS, type NodeDef } from '../../shared/definition/schema';
import { toMermaid } from '../../shared/diagram/mermaid';
import { cond, gate, tool, workflow } from '../support/asl-harness';

/** A map node over `items` with `body`. */
function map(id: string, items: string, nodes: NodeDef[], edges: Array<{ from: string; to: string; when?: unknown }> = [], extra: Record<string, unknown> = {}): NodeDef {
  return { id, type: 'map', items, body: { nodes, edges }, ...extra } as NodeDef;
}

function errorsOf(input: unknown): Array<{ code: string; path: string }> {
  return validateDefinition(input).errors.map(({ code, path }) => ({ code, path }));
}

describe('map: validation', () => {
  it('accepts the issue example: body reads $item, $index, $context, upstream nodes and earlier body nodes', () => {
    // Prepare
    const def = workflow(
      [
        tool('search'),
        map('review', '$search.hotels', [
          { id: 'score', type: 'agent_call', agent: { url: 'https://agent.example' }, inputs: { hotel: '$item', rank: '$index', city: '$context.city', all: '$search' } } as NodeDef,
          cond('keep', '$score.data.stars >= 4'),
          tool('note', { inputs: { hotel: '$item.name', stars: '$score.data.stars' } }),
        ], [{ from: 'score', to: 'keep' }, { from: 'keep', to: 'note', when: true }], { maxConcurrency: 5, toleratedFailures: { count: 2 } }),
        tool('summary', { inputs: { results: '$review.results' } }),
      ],
      ['search->review', 'review->summary'],
    );
    // Act
    const result = validateDefinition(def);
    // Assess
    expect(result.errors).toStrictEqual([]);
    expect(result.levels).toStrictEqual([['search'], ['review'], ['summary']]);
  });

  it('points into the body with JSON pointers', () => {
    const def = workflow([tool('a'), map('m', '$a', [tool('x', { inputs: { hotel: '$ghost' } }), tool('y')], [{ from: 'y', to: 'nowhere' }])], ['a->m']);
    expect(errorsOf(def)).toStrictEqual([
      { code: 'unknown_node', path: '/nodes/1/body/edges/0/to' },
      { code: 'unknown_reference', path: '/nodes/1/body/nodes/0/inputs/hotel' },
    ]);
  });

  it('finds cycles, unreachable nodes and gates without timeouts inside a body', () => {
    const def = workflow([map('m', '$context.list', [tool('x'), tool('y'), { id: 'g', type: 'human_gate', prompt: 'ok?' } as NodeDef], [{ from: 'x', to: 'y' }, { from: 'y', to: 'x' }])], []);
    expect(errorsOf(def)).toStrictEqual([
      { code: 'cycle', path: '/nodes/0/body/nodes/0' },
      { code: 'unreachable', path: '/nodes/0/body/nodes/0' },
      { code: 'unreachable', path: '/nodes/0/body/nodes/1' },
      { code: 'gate_timeout_required', path: '/nodes/0/body/nodes/2/timeoutSeconds' },
    ]);
  });

  it('refuses $item and $index outside a body, in inputs, conditions and a top-level map\'s items', () => {
    const def = workflow([tool('a', { inputs: { i: '$item', n: '$index' } }), cond('c', '$item = 1'), map('m', '$item.list', [tool('x')])], ['a->c', { from: 'c', to: 'm', when: true }]);
    expect(errorsOf(def)).toStrictEqual([
      { code: 'item_outside_map', path: '/nodes/0/inputs/i' },
      { code: 'item_outside_map', path: '/nodes/0/inputs/n' },
      { code: 'item_outside_map', path: '/nodes/1/expression' },
      { code: 'item_outside_map', path: '/nodes/2/items' },
    ]);
  });

  it('refuses references into a body from outside, to a node downstream of the map, and to the map itself', () => {
    const def = workflow(
      [tool('a'), map('m', '$a', [tool('x', { inputs: { late: '$b', self: '$m' } })]), tool('b', { inputs: { inner: '$x' } })],
      ['a->m', 'm->b'],
    );
    expect(errorsOf(def).map((e) => `${e.code} ${e.path}`)).toStrictEqual([
      'reference_not_upstream /nodes/2/inputs/inner',
      'reference_not_upstream /nodes/1/body/nodes/0/inputs/late',
      'reference_not_upstream /nodes/1/body/nodes/0/inputs/self',
    ]);
  });

  it('requires ids unique across bodies (state names share one namespace)', () => {
    const def = workflow([tool('a'), map('m', '$a', [tool('a')])], ['a->m']);
    expect(errorsOf(def)).toStrictEqual([{ code: 'duplicate_id', path: '/nodes/1/body/nodes/0/id' }]);
  });

  it('lets a nested body read the outer item and outer body nodes, and reports nesting beyond the limit', () => {
    // Prepare: depth LIMITS.maxMapDepth is fine, one more is not.
    const nest = (depth: number): NodeDef => (depth === 1 ? map(`m${depth}`, '$item.children', [tool(`leaf${depth}`, { inputs: { v: '$item', o: '$pre' } })]) : map(`m${depth}`, '$item.children', [nest(depth - 1)]));
    const ok = workflow([map('outer', '$context.list', [tool('pre'), nest(LIMITS.maxMapDepth - 1)], [{ from: 'pre', to: `m${LIMITS.maxMapDepth - 1}` }])], []);
    const deep = workflow([map('outer', '$context.list', [tool('pre'), nest(LIMITS.maxMapDepth)], [{ from: 'pre', to: `m${LIMITS.maxMapDepth}` }])], []);
    // Act + Assess
    expect(errorsOf(ok)).toStrictEqual([]);
    expect(errorsOf(deep).map((e) => e.code)).toStrictEqual(['map_too_deep']);
  });

  it('checks map fields: items must be a binding, concurrency within 1..40, tolerance a count or a percent', () => {
    const def = workflow([map('m', 'hotels', [tool('x')], [], { maxConcurrency: 41, toleratedFailures: { count: 1, percent: 5 } })], []);
    expect(errorsOf(def).map((e) => `${e.code} ${e.path}`)).toStrictEqual([
      'invalid_format /nodes/0/items',
      'too_big /nodes/0/maxConcurrency',
      'invalid_union /nodes/0/toleratedFailures',
    ]);
  });
});

describe('map: Mermaid', () => {
  it('draws the body as a subgraph that edges attach to', () => {
    const def = workflow([tool('a'), map('m', '$a.list', [tool('x'), gate('g')], [{ from: 'x', to: 'g' }]), tool('b')], ['a->m', 'm->b']);
    const { levels } = validateDefinition(def);
    expect(toMermaid(def, levels)).toBe([
      'flowchart TD',
      '  subgraph level_0["Level 0"]', '    direction LR', '    n_a[["a<br/><small>tool_call</small>"]]', '  end',
      '  subgraph level_1["Level 1"]', '    direction LR',
      '    subgraph n_m["m<br/><small>map over $a.list</small>"]', '      direction TB',
      '      n_x[["x<br/><small>tool_call</small>"]]', '      n_g{{"g<br/><small>human_gate</small>"}}', '      n_x --> n_g', '    end',
      '  end',
      '  subgraph level_2["Level 2"]', '    direction LR', '    n_b[["b<br/><small>tool_call</small>"]]', '  end',
      '  n_a --> n_m', '  n_m --> n_b', '',
    ].join('\n'));
  });
});

import { describe, expect, it } from 'vitest';
import { classifyInputString, findBindings, parseExpression } from '../../shared/definition/bindings';
import { buildGraph, contract, findCycles, kahnLevels } from '../../shared/definition/graph';

describe('bindings', () => {
  it('classifies inputs strings: $ starts a binding, \\$ escapes a literal', () => {
    expect(classifyInputString('$search.hotels')).toStrictEqual({ kind: 'binding', expression: '$search.hotels' });
    expect(classifyInputString('\\$5 off')).toStrictEqual({ kind: 'literal', value: '$5 off' });
    expect(classifyInputString('\\\\$x')).toStrictEqual({ kind: 'literal', value: '\\$x' });
    expect(classifyInputString('plain \\$')).toStrictEqual({ kind: 'literal', value: 'plain \\$' });
  });

  it('finds bindings at any depth with their path segments', () => {
    const found = findBindings({ a: '$x', b: { c: ['lit', '$y.z'] }, d: 5, e: '\\$no' });
    expect(found).toStrictEqual([
      { segments: ['a'], expression: '$x' },
      { segments: ['b', 'c', 1], expression: '$y.z' },
    ]);
  });

  it('returns the free variables an expression reads, not functions, locals or built-ins', () => {
    const parsed = parseExpression('($t := $a.v; $count($b.items) + $t + $map($c, function($v) { $v + $d }) ~> $string)');
    expect(parsed).toStrictEqual({ ok: true, references: ['a', 'b', 'c', 'd'] });
  });

  it('counts a built-in name as a node reference when a node has that id', () => {
    expect(parseExpression('$count.total', new Set(['count']))).toStrictEqual({ ok: true, references: ['count'] });
    expect(parseExpression('$count.total')).toStrictEqual({ ok: true, references: [] });
  });

  it('reports a parse error with its position', () => {
    const parsed = parseExpression('$a +');
    expect(parsed.ok).toBe(false);
    expect(parsed).toMatchObject({ position: expect.any(Number) });
  });
});

describe('graph', () => {
  it('computes Kahn levels, sorted within a level', () => {
    const g = buildGraph(['d', 'c', 'b', 'a'], [{ from: 'a', to: 'c' }, { from: 'a', to: 'b' }, { from: 'b', to: 'd' }, { from: 'c', to: 'd' }]);
    expect(kahnLevels(g)).toStrictEqual([['a'], ['b', 'c'], ['d']]);
  });

  it('finds each cycle in edge order from its smallest node', () => {
    const g = buildGraph(['a', 'b', 'c', 'x', 'y'], [
      { from: 'c', to: 'a' }, { from: 'a', to: 'b' }, { from: 'b', to: 'c' },
      { from: 'x', to: 'y' }, { from: 'y', to: 'x' },
    ]);
    expect(findCycles(g)).toStrictEqual([['a', 'b', 'c'], ['x', 'y']]);
  });

  it('contracts parallel/join nodes, keeping the edge a route starts with', () => {
    // c -(0)-> p ; p -> x ; p -> y ; x -> j ; y -> j ; j -> z ; root r -> y
    const edges = [
      { from: 'c', to: 'p' }, { from: 'p', to: 'x' }, { from: 'p', to: 'y' },
      { from: 'x', to: 'j' }, { from: 'y', to: 'j' }, { from: 'j', to: 'z' }, { from: 'v', to: 'w' },
    ];
    const out = contract(edges, new Set(['p', 'j', 'v']));
    expect(out.edges).toStrictEqual([
      { from: 'c', to: 'x', via: 0 }, { from: 'c', to: 'y', via: 0 },
      { from: 'x', to: 'z', via: 3 }, { from: 'y', to: 'z', via: 4 },
    ]);
    expect([...out.alwaysLive]).toStrictEqual(['w']);
  });
});

import { describe, expect, it } from 'vitest';
import { validateDefinition } from '../../shared/definition/validate';
import { EXECUTOR_LAMBDA_TIMEOUT_SECONDS, EXECUTOR_MARGIN_SECONDS, MAX_EXECUTOR_TIMEOUT_SECONDS } from '../../shared/definition/execution-limits';
import { LIMITS } from '../../shared/definition/schema';
import { cond, gate, tool, workflow } from '../support/asl-harness';

/** The codes and paths of a result's errors. */
function errorsOf(input: unknown): Array<{ code: string; path: string }> {
  return validateDefinition(input).errors.map(({ code, path }) => ({ code, path }));
}

describe('validateDefinition: valid input', () => {
  it('accepts the issue example and returns its levels', () => {
    // Prepare
    const def = workflow(
      [
        tool('search', { inputs: { query: '$context.city', limit: 5 } }),
        { id: 'pick', type: 'agent_call', agent: { url: 'https://agent.example' }, inputs: { hotels: '$search.hotels' } },
        cond('pricey', '$pick.price > 200'),
        gate('approve', 86400),
        tool('book', { inputs: { hotel: '$pick' } }),
      ],
      ['search->pick', 'pick->pricey', { from: 'pricey', to: 'approve', when: true }, { from: 'pricey', to: 'book', when: false }, 'approve->book'],
    );
    // Act
    const result = validateDefinition(def);
    // Assess
    expect(result.errors).toStrictEqual([]);
    expect(result.valid).toBe(true);
    expect(result.levels).toStrictEqual([['search'], ['pick'], ['pricey'], ['approve'], ['book']]);
    expect(result.definition?.name).toBe('test');
  });

  it('puts independent nodes in one level, sorted', () => {
    const result = validateDefinition(workflow([tool('d'), tool('c'), tool('b'), tool('a')], ['a->c', 'a->b', 'b->d', 'c->d']));
    expect(result.levels).toStrictEqual([['a'], ['b', 'c'], ['d']]);
  });
});

describe('validateDefinition: one fixture per rule', () => {
  const cases: Array<{ rule: string; input: unknown; expected: Array<{ code: string; path: string }> }> = [
    { rule: 'not an object', input: 42, expected: [{ code: 'invalid_type', path: '' }] },
    {
      rule: 'unknown field',
      input: { ...workflow([tool('a')], []), colour: 'red' },
      expected: [{ code: 'unrecognized_key', path: '/colour' }],
    },
    {
      rule: 'bad node id',
      input: workflow([tool('1a')], []),
      expected: [{ code: 'invalid_format', path: '/nodes/0/id' }],
    },
    { rule: 'reserved id', input: workflow([tool('context')], []), expected: [{ code: 'reserved_id', path: '/nodes/0/id' }] },
    {
      rule: 'unknown node type',
      input: workflow([{ id: 'a', type: 'teleport' } as never], []),
      expected: [{ code: 'invalid_union', path: '/nodes/0/type' }],
    },
    {
      rule: 'duplicate id',
      input: workflow([tool('a'), tool('b'), tool('a')], ['a->b']),
      expected: [{ code: 'duplicate_id', path: '/nodes/2/id' }],
    },
    {
      rule: 'edge to an unknown node',
      input: workflow([tool('a')], ['a->ghost']),
      expected: [{ code: 'unknown_node', path: '/edges/0/to' }],
    },
    {
      rule: 'edge from an unknown node',
      input: workflow([tool('a')], ['ghost->a']),
      expected: [{ code: 'unknown_node', path: '/edges/0/from' }],
    },
    { rule: 'self-loop', input: workflow([tool('a')], ['a->a']), expected: [{ code: 'self_loop', path: '/edges/0' }] },
    {
      rule: 'duplicate edge',
      input: workflow([tool('a'), tool('b')], ['a->b', 'a->b']),
      expected: [{ code: 'duplicate_edge', path: '/edges/1' }],
    },
    {
      rule: 'condition edge without when/default',
      input: workflow([cond('c'), tool('a')], ['c->a']),
      expected: [{ code: 'missing_when', path: '/edges/0' }],
    },
    {
      rule: 'condition edge with when and default',
      input: workflow([cond('c'), tool('a')], [{ from: 'c', to: 'a', when: 1, default: true }]),
      expected: [{ code: 'when_and_default', path: '/edges/0' }],
    },
    {
      rule: 'two default edges',
      input: workflow([cond('c'), tool('a'), tool('b')], [{ from: 'c', to: 'a', default: true }, { from: 'c', to: 'b', default: true }]),
      expected: [{ code: 'duplicate_default', path: '/edges/1/default' }],
    },
    {
      rule: 'when on a plain edge',
      input: workflow([tool('a'), tool('b')], [{ from: 'a', to: 'b', when: 'x' }]),
      expected: [{ code: 'unexpected_when', path: '/edges/0/when' }],
    },
    {
      rule: 'default on a plain edge',
      input: workflow([tool('a'), tool('b')], [{ from: 'a', to: 'b', default: true }]),
      expected: [{ code: 'unexpected_default', path: '/edges/0/default' }],
    },
    {
      rule: 'gate without its own timeout (a workflow default does not count)',
      input: workflow([{ id: 'g', type: 'human_gate', prompt: 'ok?' } as never], [], { defaults: { timeoutSeconds: 60 } }),
      expected: [{ code: 'gate_timeout_required', path: '/nodes/0/timeoutSeconds' }],
    },
    {
      rule: 'executor node whose timeout exceeds what the executor Lambda can serve',
      input: workflow([tool('a', { timeoutSeconds: 841 }), { id: 'p', type: 'agent_call', agent: { url: 'https://agent.example' }, timeoutSeconds: 3600 } as never], []),
      expected: [
        { code: 'timeout_exceeds_executor', path: '/nodes/0/timeoutSeconds' },
        { code: 'timeout_exceeds_executor', path: '/nodes/1/timeoutSeconds' },
      ],
    },
    {
      rule: 'workflow default timeout longer than an executor node may run',
      input: workflow([tool('a')], [], { defaults: { timeoutSeconds: 900 } }),
      expected: [{ code: 'timeout_exceeds_executor', path: '/defaults/timeoutSeconds' }],
    },
    {
      rule: 'binding that does not parse',
      input: workflow([tool('a', { inputs: { deep: { q: '$count(' } } })], []),
      expected: [{ code: 'invalid_binding', path: '/nodes/0/inputs/deep/q' }],
    },
    {
      rule: 'binding in an array, to an unknown node',
      input: workflow([tool('a', { inputs: { list: ['x', '$ghost.y'] } })], []),
      expected: [{ code: 'unknown_reference', path: '/nodes/0/inputs/list/1' }],
    },
    {
      rule: 'binding to a node that is not upstream',
      input: workflow([tool('a', { inputs: { q: '$b.out' } }), tool('b')], []),
      expected: [{ code: 'reference_not_upstream', path: '/nodes/0/inputs/q' }],
    },
    {
      rule: 'binding to a downstream node',
      input: workflow([tool('a', { inputs: { q: '$b' } }), tool('b')], ['a->b']),
      expected: [{ code: 'reference_not_upstream', path: '/nodes/0/inputs/q' }],
    },
    {
      rule: 'binding to a join node',
      input: workflow([tool('a'), { id: 'j', type: 'join' }, tool('b', { inputs: { q: '$j' } })], ['a->j', 'j->b']),
      expected: [{ code: 'reference_without_output', path: '/nodes/2/inputs/q' }],
    },
    {
      rule: 'condition expression that does not parse',
      input: workflow([cond('c', '$context.x >'), tool('a')], [{ from: 'c', to: 'a', when: true }]),
      expected: [{ code: 'invalid_expression', path: '/nodes/0/expression' }],
    },
    {
      rule: 'condition expression referencing a later node',
      input: workflow([cond('c', '$a.x'), tool('a')], [{ from: 'c', to: 'a', when: true }]),
      expected: [{ code: 'reference_not_upstream', path: '/nodes/0/expression' }],
    },
    {
      rule: 'expression too long',
      input: workflow([tool('a', { inputs: { q: '$context.' + 'x'.repeat(LIMITS.maxExpressionLength) } })], []),
      expected: [{ code: 'expression_too_long', path: '/nodes/0/inputs/q' }],
    },
    {
      rule: 'inputs nested too deep',
      input: workflow([tool('a', { inputs: { q: JSON.parse('['.repeat(LIMITS.maxInputDepth) + ']'.repeat(LIMITS.maxInputDepth)) } })], []),
      expected: [{ code: 'input_too_deep', path: '/nodes/0/inputs' }],
    },
    {
      rule: 'too many nodes',
      input: workflow(Array.from({ length: LIMITS.maxNodes + 1 }, (_, i) => tool(`n${i}`)), []),
      expected: [{ code: 'too_many_nodes', path: '/nodes' }],
    },
    {
      rule: 'too many edges',
      input: workflow([tool('a'), tool('b')], Array.from({ length: LIMITS.maxEdges + 1 }, () => 'a->b')),
      expected: [{ code: 'too_many_edges', path: '/edges' }],
    },
    {
      rule: 'definition too large',
      input: workflow([tool('a', { description: 'x'.repeat(2_000) })], [], { description: 'y'.repeat(2_000), inputSchema: { blob: 'z'.repeat(LIMITS.maxDefinitionBytes) } }),
      expected: [{ code: 'definition_too_large', path: '' }],
    },
  ];

  for (const c of cases) {
    it(`reports ${c.expected.map((e) => e.code).join(', ')}: ${c.rule}`, () => {
      // Act
      const errors = errorsOf(c.input);
      // Assess
      for (const e of c.expected) expect(errors).toContainEqual(e);
    });
  }

  it('reports a cycle with its nodes in order', () => {
    // Prepare: a -> b -> c -> d -> b
    const def = workflow([tool('a'), tool('b'), tool('c'), tool('d')], ['a->b', 'b->c', 'c->d', 'd->b']);
    // Act
    const result = validateDefinition(def);
    // Assess
    const cycle = result.errors.find((e) => e.code === 'cycle');
    expect(cycle).toMatchObject({ path: '/nodes/1', message: 'cycle: b -> c -> d -> b' });
    expect(result.valid).toBe(false);
    expect(result.levels).toStrictEqual([]);
  });

  it('reports nodes unreachable from the roots', () => {
    // Prepare: x <-> y is a cycle no root reaches
    const def = workflow([tool('a'), tool('x'), tool('y')], ['x->y', 'y->x']);
    // Act
    const errors = errorsOf(def);
    // Assess
    expect(errors).toContainEqual({ code: 'unreachable', path: '/nodes/1' });
    expect(errors).toContainEqual({ code: 'unreachable', path: '/nodes/2' });
    expect(errors).not.toContainEqual({ code: 'unreachable', path: '/nodes/0' });
  });

  it('reports every problem at once, schema and graph together', () => {
    // Prepare
    const def = { ...workflow([tool('a', { retry: { maxAttempts: 99 } }), tool('b')], ['a->b', 'b->a', 'a->ghost']), extra: true };
    // Act
    const codes = errorsOf(def).map((e) => e.code).sort();
    // Assess
    expect(codes).toStrictEqual(['cycle', 'too_big', 'unknown_node', 'unreachable', 'unreachable', 'unrecognized_key']);
  });
});

describe('validateDefinition: bindings and warnings', () => {
  it('accepts $context, built-in functions, local variables and escaped literals', () => {
    const def = workflow(
      [
        tool('a'),
        tool('b', {
          inputs: {
            n: '$count($a.items)',
            s: '$uppercase($context.name)',
            local: '($x := $a.v; $x + 1)',
            f: '$map($a.list, function($v) { $v * 2 })',
            literal: '\\$5 off',
            plain: 'no binding here',
          },
        }),
      ],
      ['a->b'],
    );
    const result = validateDefinition(def);
    expect(result.errors).toStrictEqual([]);
    expect(result.warnings).toStrictEqual([]);
  });

  it('warns when a binding reads a node a condition may skip', () => {
    // Prepare: c -> (x when true) ; x -> j ; c -> j (default) ; j reads $x
    const def = workflow(
      [cond('c'), tool('x'), tool('j', { inputs: { v: '$x.value' } })],
      [{ from: 'c', to: 'x', when: true }, 'x->j', { from: 'c', to: 'j', default: true }],
    );
    // Act
    const result = validateDefinition(def);
    // Assess
    expect(result.valid).toBe(true);
    expect(result.warnings.map(({ code, path }) => ({ code, path }))).toStrictEqual([{ code: 'binding_may_be_skipped', path: '/nodes/2/inputs/v' }]);
  });

  it('does not warn when the reader is skipped whenever the node it reads is', () => {
    const def = workflow([cond('c'), tool('x'), tool('y', { inputs: { v: '$x' } })], [{ from: 'c', to: 'x', when: true }, 'x->y']);
    expect(validateDefinition(def).warnings).toStrictEqual([]);
  });
});

describe('validateDefinition: never throws', () => {
  const odd: unknown[] = [undefined, null, 'x', [], { nodes: 'no' }, { nodes: [null, 1, { id: 5 }], edges: [null, { from: 1 }] }, 10n];
  for (const input of odd) {
    it(`returns errors for ${typeof input} ${String(input)}`, () => {
      const result = validateDefinition(input);
      expect(result.valid).toBe(false);
      expect(result.errors.length).toBeGreaterThan(0);
    });
  }

  it('handles a circular object', () => {
    const def: Record<string, unknown> = { ...workflow([tool('a')], []) };
    def.self = def;
    const result = validateDefinition(def);
    expect(result.errors).toStrictEqual([{ code: 'not_json', path: '', message: 'definition is not a JSON value' }]);
  });
});

describe('validateDefinition: execution-time limits', () => {
  it('accepts an executor node at exactly the executor bound and a gate that waits a year', () => {
    // Prepare
    const def = workflow([tool('a', { timeoutSeconds: MAX_EXECUTOR_TIMEOUT_SECONDS }), gate('g', LIMITS.maxTimeoutSeconds)], ['a->g']);
    // Act
    const result = validateDefinition(def);
    // Assess
    expect(result.errors).toStrictEqual([]);
  });

  it('bounds executor nodes by Lambda minus the margin, not by the schema limit', () => {
    // Prepare, Act, Assess
    expect(MAX_EXECUTOR_TIMEOUT_SECONDS).toBe(EXECUTOR_LAMBDA_TIMEOUT_SECONDS - EXECUTOR_MARGIN_SECONDS);
    expect(MAX_EXECUTOR_TIMEOUT_SECONDS).toBeLessThan(LIMITS.maxTimeoutSeconds);
    expect(errorsOf(workflow([cond('c', 'true', { timeoutSeconds: MAX_EXECUTOR_TIMEOUT_SECONDS + 1 })], []))).toStrictEqual([
      { code: 'timeout_exceeds_executor', path: '/nodes/0/timeoutSeconds' },
    ]);
  });
});

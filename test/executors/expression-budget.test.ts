/**
 * Expressions with a hard budget: hostile bindings and conditions end as `Braid.BindingFailed` with a clear
 * message, and native work (a regex, a padded string) cannot escape the budget. No wall-clock assertions:
 * each case asserts on the error's code and message, which say which bound stopped it.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { BindingFailedError, ExpressionError, evaluateCondition, evaluateExpressions, resolveInputs } from '../../shared/executors';
import { createExpressionPool } from '../../shared/expressions/pool';
import { compileRe2, Re2RegexEngine, UnsupportedRegexError } from '../../shared/expressions/re2-regex';
import { re2AjvRegExp } from '../../shared/expressions/re2-ajv';
import { EXPRESSION_LIMITS } from '../../shared/expressions/limits';
import type { ValidationError } from '../../shared/errors';
import { checkRunInput } from '../../shared/services/run-input';

const scope = { context: { s: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaa!' }, outputs: {} };

async function bindingError(inputs: Record<string, unknown>, options = {}): Promise<BindingFailedError> {
  return resolveInputs(inputs, scope, options).then(
    () => { throw new Error('the binding evaluated'); },
    (error: unknown) => error as BindingFailedError,
  );
}

// 500 ms: far below the loop's 1 s JSONata timeout (so the budget always stops it), far above a trivial expression.
const tightPool = createExpressionPool({ size: 1, budgetMs: 500 });
const smallHeapPool = createExpressionPool({ size: 1, budgetMs: 60_000, memoryMb: 16 });
afterAll(async () => {
  await Promise.all([tightPool.close(), smallHeapPool.close()]);
});

describe('expression budget', () => {
  it('runs a catastrophic-backtracking regex in linear time (RE2): $contains answers false', async () => {
    // Act
    const out = await resolveInputs({ hit: '$contains($context.s, /^(a+)+$/)', m: '$match("xaby", /a(b)?(c)?/).groups' }, scope);
    // Assess
    expect(out).toStrictEqual({ hit: false, m: ['b', null] });
  });

  it('refuses a backreference with a clear message (RE2 has none)', async () => {
    const error = await bindingError({ q: '$match("aa", /(a)\\1/)' });
    expect(error.name).toBe('Braid.BindingFailed');
    expect(error.message).toMatch(/binding \/q: regular expression \/\(a\)\\1\/ is not supported: .*RE2/);
  });

  it('refuses $pad beyond the string cap before building it', async () => {
    const error = await bindingError({ big: '$pad("", 1e8, "x")' });
    expect(error.message).toMatch(new RegExp(`\\$pad would build a string of 100000000 characters, over the ${EXPRESSION_LIMITS.maxStringLength}-character limit`));
  });

  it('refuses $join beyond the string cap before building it', async () => {
    const error = await bindingError({ big: '$join([1..3].($pad("", 400000, "x")), "")' });
    expect(error.message).toMatch(/\$join would build a string of 1200000 characters/);
  });

  it('stops a string doubled with & at the cap', async () => {
    const error = await bindingError({ big: '$string(($f := function($s, $n) { $n = 0 ? $s : $f($s & $s, $n - 1) }; $f("xxxxxxxx", 30)))' });
    expect(error.message).toMatch(/a step built a string of 2097152 characters, over the 1048576-character limit/);
  });

  it('stops a node at its hard budget and names the binding it was in', async () => {
    // Prepare: a loop that JSONata would let run for its 1 s timeout; the pool's budget here is 500 ms.
    const loop = '$string(($f := function($n) { $n > 1e12 ? $n : $f($n + 1) }; $f(0)))';
    // Act
    const error = await bindingError({ slow: loop, after: '$context.s' }, { pool: tightPool });
    // Assess
    expect(error.inputKey).toBe('/slow');
    expect(error.message).toMatch(/evaluation was stopped after \d+ ms, the node's expression budget/);
    expect(tightPool.stats.terminated).toBeGreaterThanOrEqual(1);
  });

  it('replaces a stopped worker: the next node evaluates normally', async () => {
    const out = await resolveInputs({ n: '$count([1,2,3])' }, scope, { pool: tightPool });
    expect(out).toStrictEqual({ n: 3 });
  });

  it('stops a worker whose heap outgrows its cap', async () => {
    // Prepare: 500,000 one-character strings, far past a 16 MiB heap, built inside one native call.
    const [outcome] = await evaluateExpressions(['$count($split($pad("", 500000, "x"), ""))'], scope, { pool: smallHeapPool });
    // Assess: the worker died of memory, or the array cap caught it first (both are bounds; neither is a hang)
    expect(outcome).toBeInstanceOf(ExpressionError);
    expect((outcome as ExpressionError).jsonataCode).toMatch(/^(memory_exceeded|D2015)$/);
  });

  it('a condition over budget fails as Braid.BindingFailed on "expression"', async () => {
    const loop = '($f := function($n) { $n > 1e12 ? $n : $f($n + 1) }; $f(0)) > 1';
    const error = await evaluateCondition({ id: 'c', expression: loop }, scope, [], { pool: tightPool }).then(() => undefined, (e: unknown) => e as BindingFailedError);
    expect(error?.name).toBe('Braid.BindingFailed');
    expect(error?.inputKey).toBe('expression');
  });

  it('keeps the budget inside the node deadline', async () => {
    // A deadline already (almost) past: the job is refused at once instead of outliving the node.
    const error = await bindingError({ q: '$context.s' }, { deadline: Date.now() + 100 });
    expect(error.message).toMatch(/deadline|stopped after/);
  });
});

describe('RE2 engines', () => {
  it('behaves like a global RegExp for JSONata (exec, lastIndex, groups, index)', () => {
    const re = new Re2RegexEngine(/a(b)?/g);
    const first = re.exec('xa ab');
    expect([first?.[0], first?.[1], first?.index, re.lastIndex]).toStrictEqual(['a', undefined, 1, 2]);
    const second = re.exec('xa ab');
    expect([second?.[0], second?.[1], second?.index]).toStrictEqual(['ab', 'b', 3]);
    expect(re.exec('xa ab')).toBeNull();
    expect(re.lastIndex).toBe(0);
  });

  it('honours i, m and s flags', () => {
    expect(new Re2RegexEngine(/^B$/im).test('a\nb')).toBe(true);
    expect(new Re2RegexEngine(/a.b/s).test('a\nb')).toBe(true);
  });

  it('refuses lookaround at compile time', () => {
    expect(() => compileRe2('a(?=b)')).toThrow(UnsupportedRegexError);
  });

  it('validates inputSchema patterns with RE2: a backtracking pattern answers at once, a backreference is a clear 400', () => {
    // Act / Assess: a catastrophic pattern on a 10,000-character input returns (linear time) with a schema_pattern issue
    const issues = (fn: () => void) => {
      try {
        fn();
        return [];
      } catch (error) {
        return (error as ValidationError).issues;
      }
    };
    expect(issues(() => checkRunInput('re2-a', { type: 'object', properties: { s: { type: 'string', pattern: '^(a+)+$' } } }, { s: `${'a'.repeat(10_000)}!` }))).toMatchObject([{ code: 'schema_pattern', path: '/input/s' }]);
    expect(issues(() => checkRunInput('re2-b', { type: 'string', pattern: '(a)\\1' }, 'aa'))).toMatchObject([{ code: 'invalid_input_schema', message: expect.stringMatching(/does not compile: regular expression .* is not supported/) }]);
    expect(re2AjvRegExp('^x+$', 'u').test('xxx')).toBe(true);
  });
});

describe('validation', () => {
  it('refuses a regex RE2 cannot run when the workflow is validated (invalid_binding / invalid_expression)', async () => {
    const { validateDefinition } = await import('../../shared/definition/validate');
    const result = validateDefinition({
      name: 'lookaround',
      nodes: [
        { id: 'a', type: 'tool_call', tool: { kind: 'builtin', name: 'echo' }, inputs: { q: '$match("ab", /a(?=b)/)' } },
        { id: 'c', type: 'condition', expression: '$contains("aa", /(a)\\1/)' },
      ],
      edges: [{ from: 'a', to: 'c' }],
    });
    const codes = result.errors.map((e) => [e.code, e.path]);
    expect(codes).toEqual(expect.arrayContaining([['invalid_binding', '/nodes/0/inputs/q'], ['invalid_expression', '/nodes/1/expression']]));
    expect(result.errors.find((e) => e.code === 'invalid_binding')?.message).toMatch(/not supported/);
  });
});

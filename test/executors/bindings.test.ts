import { describe, expect, it } from 'vitest';
import { BindingFailedError, EXPRESSION_LIMITS, resolveInputs } from '../../shared/executors';

const scope = {
  context: { city: 'Oslo', nights: 2 },
  outputs: { search: { hotels: [{ name: 'A', price: 120 }, { name: 'B', price: 90 }] }, pick: { text: 'B', data: { price: 90 } } },
};

async function bindingError(inputs: Record<string, unknown>): Promise<BindingFailedError> {
  const error = await resolveInputs(inputs, scope).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(BindingFailedError);
  return error as BindingFailedError;
}

describe('resolveInputs', () => {
  it('keeps literals and evaluates $context and $<nodeId> bindings', async () => {
    // Prepare
    const inputs = { q: '$context.city', limit: 5, flag: true, none: null, hotels: '$search.hotels' };

    // Act
    const resolved = await resolveInputs(inputs, scope);

    // Assess
    expect(resolved).toStrictEqual({ q: 'Oslo', limit: 5, flag: true, none: null, hotels: scope.outputs.search.hotels });
  });

  it('evaluates bindings nested in objects and arrays, with JSONata functions', async () => {
    // Prepare
    const inputs = { stay: { where: '$context.city', count: '$count($search.hotels)' }, list: ['$pick.data.price', 'literal'] };

    // Act
    const resolved = await resolveInputs(inputs, scope);

    // Assess
    expect(resolved).toStrictEqual({ stay: { where: 'Oslo', count: 2 }, list: [90, 'literal'] });
  });

  it('returns plain arrays for JSONata sequences', async () => {
    // Act
    const resolved = await resolveInputs({ names: '$search.hotels.name', cheap: '$search.hotels[price < 100].name' }, scope);

    // Assess
    expect(resolved).toStrictEqual({ names: ['A', 'B'], cheap: 'B' });
    expect(Object.keys(resolved.names as object)).toStrictEqual(['0', '1']);
  });

  it('leaves out an object key whose binding selects nothing and writes null in an array', async () => {
    // Act
    const resolved = await resolveInputs({ missing: '$skipped.value', list: ['$skipped'] }, scope);

    // Assess
    expect(resolved).toStrictEqual({ list: [null] });
  });

  it('reads a string starting with \\$ as a literal without the backslash', async () => {
    // Act
    const resolved = await resolveInputs({ price: '\\$5', nested: ['\\\\$x'] }, scope);

    // Assess
    expect(resolved).toStrictEqual({ price: '$5', nested: ['\\$x'] });
  });

  it('resolves absent inputs to an empty object', async () => {
    // Act
    const resolved = await resolveInputs(undefined, scope);

    // Assess
    expect(resolved).toStrictEqual({});
  });

  it('fails with Braid.BindingFailed naming the input for a syntax error', async () => {
    // Act
    const error = await bindingError({ ok: '$context.city', bad: '$context.(' });

    // Assess
    expect(error.name).toBe('Braid.BindingFailed');
    expect(error.inputKey).toBe('/bad');
    expect(error.details).toStrictEqual({ inputKey: '/bad' });
  });

  it('names a nested input by JSON pointer for a run-time error', async () => {
    // Act
    const error = await bindingError({ a: { 'b/c': ['x', '$number("not a number")'] } });

    // Assess
    expect(error.inputKey).toBe('/a/b~1c/1');
    expect(error.message).toMatch(/binding \/a\/b~1c\/1/);
  });

  it('stops an endless recursion at the depth limit', async () => {
    // Act
    const error = await bindingError({ loop: '$string(($f := function($n) { 1 + $f($n + 1) }; $f(0)))' });

    // Assess
    expect(error.message).toMatch(new RegExp(`deeper than ${EXPRESSION_LIMITS.maxDepth}`));
  });

  it('stops a long evaluation at the time limit', async () => {
    // Prepare: a tail-recursive loop (JSONata runs it in constant stack) that would count to 1e12.
    const slow = '$string(($f := function($n) { $n > 1e12 ? $n : $f($n + 1) }; $f(0)))';

    // Act
    const error = await bindingError({ slow });

    // Assess: JSONata's own timeout, or (on a starved machine) the node's hard budget, whichever comes first
    expect(error.message).toMatch(new RegExp(`longer than ${EXPRESSION_LIMITS.timeoutMs} ms|stopped after \\d+ ms`));
  });

  it('rejects a result over the size limit', async () => {
    // Prepare: a 2 MiB string built from the run input.
    const big = { context: { chunk: 'x'.repeat(1024) }, outputs: {} };

    // Act
    const error = await resolveInputs({ blob: '$reverse([1..2048].($$.context.chunk))' }, big).then(
      () => undefined,
      (e: unknown) => e as BindingFailedError,
    );

    // Assess
    expect(error?.name).toBe('Braid.BindingFailed');
    expect(error?.message).toMatch(/over 1048576 bytes/);
  });
});

/**
 * Fuzzing the validator: mutated definitions never make it throw, every error has a stable code and a JSON
 * pointer into the input, the input is left untouched, and a definition it accepts is really well-formed.
 * `BRAID_FUZZ_RUNS` raises the number of cases.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WorkflowDefinitionSchema } from '../../shared/definition/schema';
import { ISSUE_CODES } from '../../shared/definition/issues';
import { validateDefinition } from '../../shared/definition/validate';
import { fuzzRuns, fuzzTimeout, mutatedDefinition, pointerSegments, resolvePath, SEEDS } from './fuzz-arbitraries';

const CODES = new Set<string>(ISSUE_CODES);
/** Codes whose pointer names a field that is absent by nature (a required field, a limit on the whole document). */
const MAY_POINT_AT_MISSING = new Set(['invalid_type', 'gate_timeout_required', 'invalid_union', 'invalid_value']);

describe('validator fuzzing', () => {
  it('accepts every seed (the mutations start from valid definitions)', () => {
    // Act
    const results = SEEDS.map((s) => validateDefinition(s));
    // Assess
    for (const r of results) expect(r.errors).toStrictEqual([]);
  });

  it('never throws, never crashes internally, and points every error into the input', { timeout: fuzzTimeout() }, () => {
    fc.assert(
      fc.property(mutatedDefinition, (input) => {
        // Prepare
        const before = JSON.stringify(input);
        // Act
        const result = validateDefinition(input);
        // Assess
        expect(JSON.stringify(input)).toBe(before);
        expect(result.valid).toBe(result.errors.length === 0);
        for (const e of result.errors) {
          expect(CODES.has(e.code), `unknown code ${e.code}`).toBe(true);
          expect(e.message, 'internal crash masked as a validation error').not.toMatch(/could not be validated/);
          const segments = pointerSegments(e.path);
          const here = resolvePath(input, segments);
          const parent = resolvePath(input, segments.slice(0, -1));
          const resolves = here.found || (MAY_POINT_AT_MISSING.has(e.code) && parent.found);
          expect(resolves, `${e.code} at ${e.path} does not resolve`).toBe(true);
        }
        for (const w of result.warnings) expect(CODES.has(w.code)).toBe(true);
        if (result.valid) {
          expect(WorkflowDefinitionSchema.safeParse(input).success).toBe(true);
          expect(result.levels.flat().sort()).toStrictEqual((input as { nodes: { id: string }[] }).nodes.map((n) => n.id).sort());
        }
      }),
      { numRuns: fuzzRuns(400) },
    );
  });

  it('gives the same answer twice (no hidden state, no prototype pollution)', { timeout: fuzzTimeout() }, () => {
    fc.assert(
      fc.property(mutatedDefinition, (input) => {
        // Act
        const first = validateDefinition(input);
        const second = validateDefinition(input);
        // Assess
        expect(second).toStrictEqual(first);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        expect(Object.prototype).not.toHaveProperty('id');
      }),
      { numRuns: fuzzRuns(150) },
    );
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileWorkflow } from '../../shared/compiler/compile';
import { CompileError } from '../../shared/compiler/errors';
import { ISSUE_CODES } from '../../shared/definition/issues';
import type { WorkflowDefinition } from '../../shared/definition/schema';
import { validateDefinition } from '../../shared/definition/validate';
import { TEST_EXECUTOR } from '../support/asl-harness';
import { assertRunsLiveNodesInOrder } from '../support/asl-property-run';
import { mutate, mutations, randomDag } from '../support/asl-arbitraries';

describe('properties', () => {
  it('random valid DAGs compile to valid ASL whose execution runs each live node after all its predecessors', async () => {
    await fc.assert(
      fc.asyncProperty(randomDag(9), async ({ def, routes }) => {
        // Prepare
        expect(validateDefinition(def).errors).toStrictEqual([]);
        const { asl } = compileWorkflow(def, { executorArn: TEST_EXECUTOR });
        // Act + Assess
        await assertRunsLiveNodesInOrder(asl, def, routes);
      }),
      { numRuns: 25 },
    );
  }, 60_000);

  it('random mutations of valid definitions give structured results, never a throw', () => {
    const codes = new Set<string>(ISSUE_CODES);
    fc.assert(
      fc.property(randomDag(6), mutations(), ({ def }, ms) => {
        // Prepare
        const mutated = mutate(def, ms);
        // Act
        const result = validateDefinition(mutated);
        // Assess
        expect(result.valid).toBe(result.errors.length === 0);
        for (const issue of [...result.errors, ...result.warnings]) {
          expect(codes.has(issue.code)).toBe(true);
          expect(issue.path === '' || issue.path.startsWith('/')).toBe(true);
          expect(typeof issue.message).toBe('string');
        }
        if (result.valid) {
          try {
            compileWorkflow(result.definition as WorkflowDefinition, { executorArn: TEST_EXECUTOR });
          } catch (error) {
            expect(error).toBeInstanceOf(CompileError);
          }
        }
      }),
      { numRuns: 400 },
    );
  });
});

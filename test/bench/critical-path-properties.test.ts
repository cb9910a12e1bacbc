import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileWorkflow } from '../../shared/compiler/compile';
import type { WorkflowDefinition } from '../../shared/definition/schema';
import { randomDag } from '../support/asl-arbitraries';
import { TEST_EXECUTOR } from '../support/asl-harness';
import { assertRunsLiveNodesInOrder } from '../support/asl-property-run';

describe('critical-path strategy: properties on the local engine', () => {
  it('with random duration hints, random DAGs with conditions run exactly their live nodes, each after its predecessors', async () => {
    await fc.assert(
      fc.asyncProperty(randomDag(10), fc.array(fc.integer({ min: 1, max: 100 }), { minLength: 10, maxLength: 10 }), async ({ def, routes }, seconds) => {
        // Prepare: hints on executable nodes make the planner nest (the core's property test runs without hints)
        const hinted: WorkflowDefinition = {
          ...def,
          nodes: def.nodes.map((n, i) => (n.type === 'parallel' || n.type === 'join' ? n : ({ ...n, expectedSeconds: seconds[i] } as typeof n))),
        };
        const { asl } = compileWorkflow(hinted, { executorArn: TEST_EXECUTOR, strategy: 'critical-path' });
        // Act + Assess
        await assertRunsLiveNodesInOrder(asl, def, routes);
      }),
      { numRuns: 25 },
    );
  }, 60_000);
});

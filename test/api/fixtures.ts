/**
 * Workflow definitions used by the API tests.
 */
import type { WorkflowDefinition } from '../../shared/definition/schema';

/** A two-level workflow: `a` then `b` and `c` in parallel. */
export function fanOut(name = 'fan-out', extra: Partial<WorkflowDefinition> = {}): WorkflowDefinition {
  return {
    name,
    nodes: [
      { id: 'a', type: 'tool_call', tool: { kind: 'builtin', name: 'echo' }, inputs: { text: 'hi' } },
      { id: 'b', type: 'tool_call', tool: { kind: 'builtin', name: 'echo' } },
      { id: 'c', type: 'tool_call', tool: { kind: 'builtin', name: 'echo' } },
    ],
    edges: [{ from: 'a', to: 'b' }, { from: 'a', to: 'c' }],
    ...extra,
  };
}

/** A single-node workflow. */
export function single(name = 'single', extra: Partial<WorkflowDefinition> = {}): WorkflowDefinition {
  return { name, nodes: [{ id: 'only', type: 'tool_call', tool: { kind: 'builtin', name: 'echo' } }], edges: [], ...extra };
}

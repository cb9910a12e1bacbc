/**
 * What the executor reads off the compiled contract and the recorded node runs: which nodes can no longer run
 * (the contract's liveness tests, evaluated), the outputs of `parallel`/`join` nodes (they do no work: the
 * compiler contracts them), and what bindings see. Pure functions; the graph itself is the compiler's
 * (`shared/definition/graph.ts`), and liveness is decided once, at compile time (`shared/compiler/liveness.ts`).
 */
import { isVirtualContract, type LiveTest, type WorkflowContract } from '../contract/node-contract';
import type { NodeRun } from '../model/types';

/**
 * Nodes that can no longer run given the recorded node runs, in contract order: a node recorded `skipped`; a
 * node whose every liveness test is false. `route(c, k)` is false once condition `c` is dead, failed, or chose
 * another route; `notSkipped(s)` once `s` is dead.
 */
export function deadNodes(contract: WorkflowContract, runs: ReadonlyMap<string, NodeRun>): Set<string> {
  const dead = new Set<string>();
  for (const id of contract.order) {
    const node = contract.nodes[id];
    if (runs.get(id)?.status === 'skipped') {
      dead.add(id);
      continue;
    }
    if (!node || node.live === 'always') continue;
    if (node.live.every((test) => testFailed(test, runs, dead))) dead.add(id);
  }
  return dead;
}

function testFailed(test: LiveTest, runs: ReadonlyMap<string, NodeRun>, dead: ReadonlySet<string>): boolean {
  if (dead.has(test.node)) return true;
  if (test.kind === 'notSkipped') return false;
  const run = runs.get(test.node);
  if (run?.status === 'failed') return true;
  if (run?.status !== 'succeeded') return false;
  return conditionRoute(run) !== test.key;
}

/** The route a succeeded condition chose (its output is `{ value, route }`). */
export function conditionRoute(run: NodeRun | undefined): string | undefined {
  const output = run?.output as { route?: unknown } | undefined;
  return typeof output?.route === 'string' ? output.route : undefined;
}

/**
 * The output of a `parallel`/`join` node: a map of its succeeded predecessors' outputs by node id (resolving
 * virtual predecessors the same way); a `join` with `mode: any` keeps only the first predecessor to finish.
 */
export function virtualOutput(contract: WorkflowContract, runs: ReadonlyMap<string, NodeRun>, nodeId: string): Record<string, unknown> {
  const node = contract.nodes[nodeId];
  if (!isVirtualContract(node)) return {};
  const finished: { id: string; output: unknown; endedAt: string }[] = [];
  for (const pred of node.predecessors) {
    const run = runs.get(pred);
    if (isVirtualContract(contract.nodes[pred])) {
      if (run?.status === 'skipped') continue;
      finished.push({ id: pred, output: virtualOutput(contract, runs, pred), endedAt: run?.endedAt ?? '' });
    } else if (run?.status === 'succeeded') {
      finished.push({ id: pred, output: run.output ?? null, endedAt: run.endedAt ?? '' });
    }
  }
  if (node.mode === 'any' && finished.length > 0) {
    finished.sort((a, b) => a.endedAt.localeCompare(b.endedAt));
    const first = finished[0]!;
    return { [first.id]: first.output };
  }
  return Object.fromEntries(finished.map((f) => [f.id, f.output]));
}

/** The outputs bindings see: succeeded nodes' outputs, and live virtual nodes' outputs derived as above. */
export function bindingOutputs(contract: WorkflowContract, runs: ReadonlyMap<string, NodeRun>): Record<string, unknown> {
  const outputs: Record<string, unknown> = {};
  const dead = deadNodes(contract, runs);
  for (const id of contract.order) {
    const run = runs.get(id);
    if (isVirtualContract(contract.nodes[id])) {
      if (!dead.has(id)) outputs[id] = virtualOutput(contract, runs, id);
    } else if (run?.status === 'succeeded') outputs[id] = run.output ?? null;
  }
  return outputs;
}

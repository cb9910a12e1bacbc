/**
 * The body shared by the execution property tests (core and critical-path): run a compiled random DAG on the
 * local engine with every node succeeding, and check that exactly the live nodes ran, each after all of its
 * ancestors, ending with `braid:finalize`.
 */
import { expect } from 'vitest';
import { createAslRunner } from '../../infra/local/asl-runner';
import type { AslStateMachine } from '../../shared/compiler/asl-types';
import { routeKey } from '../../shared/definition/route-key';
import type { WorkflowDefinition } from '../../shared/definition/schema';
import { aslErrors, recorder, withDeadline, type Behaviour } from './asl-harness';

/** The nodes that must run, by the contract's liveness rule (any live incoming edge), with every node succeeding. */
export function expectedToRun(def: WorkflowDefinition, routes: Record<string, string>): string[] {
  const type = new Map(def.nodes.map((n) => [n.id, n.type]));
  const memo = new Map<string, boolean>();
  const live = (id: string): boolean => {
    const known = memo.get(id);
    if (known !== undefined) return known;
    const incoming = def.edges.filter((e) => e.to === id);
    const result = incoming.length === 0 || incoming.some((e) => live(e.from) && (type.get(e.from) !== 'condition' || routes[e.from] === routeKey(e)));
    memo.set(id, result);
    return result;
  };
  return def.nodes.filter((n) => n.type !== 'parallel' && n.type !== 'join' && live(n.id)).map((n) => n.id).sort();
}

/** Strict ancestors of a node in the full graph. */
export function ancestorsOf(def: WorkflowDefinition, id: string): Set<string> {
  const seen = new Set<string>();
  const queue = def.edges.filter((e) => e.to === id).map((e) => e.from);
  while (queue.length > 0) {
    const n = queue.pop() as string;
    if (seen.has(n)) continue;
    seen.add(n);
    queue.push(...def.edges.filter((e) => e.to === n).map((e) => e.from));
  }
  return seen;
}

/** Runs `asl` (compiled from `def`) with conditions answering `routes` and gates approved, and asserts the contract. */
export async function assertRunsLiveNodesInOrder(asl: AslStateMachine, def: WorkflowDefinition, routes: Record<string, string>): Promise<void> {
  expect(aslErrors(asl)).toBe('');
  const runner = createAslRunner(asl);
  const behaviours: Record<string, Behaviour> = {};
  for (const [id, route] of Object.entries(routes)) behaviours[id] = () => ({ route });
  for (const n of def.nodes) {
    if (n.type === 'human_gate') {
      behaviours[n.id] = (_p, meta) => {
        setTimeout(() => runner.sendTaskSuccess(meta.taskToken as string, { route: 'ok' }), 1);
        return {};
      };
    }
  }
  const rec = recorder(behaviours, 1);
  const outcome = await withDeadline(runner.run({ runId: 'p', r: {} }, { invoke: rec.invoke }).outcome, 30_000, 'run');
  expect(outcome.status).toBe('SUCCEEDED');
  expect([...rec.ran()].sort()).toStrictEqual(expectedToRun(def, routes));
  const calls = new Map(rec.calls.filter((c) => c.nodeId !== undefined).map((c) => [c.nodeId as string, c]));
  for (const [id, call] of calls) {
    for (const a of ancestorsOf(def, id)) {
      const before = calls.get(a);
      if (before) expect(call.start).toBeGreaterThanOrEqual(before.end as number);
    }
  }
  expect(rec.calls.at(-1)?.stateName).toBe('braid:finalize');
}

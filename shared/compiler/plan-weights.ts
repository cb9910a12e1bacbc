/**
 * Node weights for the critical-path planner: how long each node is expected to take. Sources,
 * best first: the node's `expectedSeconds` hint, then recorded history (the median of the node's
 * recent successful runs, `shared/store/duration-stats.ts`), then a fill value (the median of the known weights, or 1 when none is known: equal weights).
 */
import type { WorkflowDefinition } from '../definition/schema';

/** Recorded durations, for example a p50 per node over a workflow's recent runs. */
export interface DurationHistory {
  /** The node's typical duration in seconds, or undefined when nothing is recorded. */
  expectedSeconds(nodeId: string): number | undefined;
}

/** Where the weights came from. `equal`: no hint and no history, every node weighs 1. */
export type WeightSource = 'hints' | 'history' | 'mixed' | 'equal';

/** The weight of every node and where they came from. */
export interface NodeWeights {
  weight: Map<string, number>;
  source: WeightSource;
}

/** Weighs the given executable nodes of a definition. */
export function nodeWeights(def: WorkflowDefinition, ids: Iterable<string>, history?: DurationHistory): NodeWeights {
  const hints = new Map<string, number>();
  for (const n of def.nodes) {
    const hint = (n as { expectedSeconds?: number }).expectedSeconds;
    if (hint !== undefined && hint > 0) hints.set(n.id, hint);
  }
  const known = new Map<string, number>();
  let fromHints = 0;
  let fromHistory = 0;
  const all = [...ids];
  for (const id of all) {
    const hint = hints.get(id);
    if (hint !== undefined) {
      known.set(id, hint);
      fromHints += 1;
      continue;
    }
    const recorded = history?.expectedSeconds(id);
    if (recorded !== undefined && recorded > 0) {
      known.set(id, recorded);
      fromHistory += 1;
    }
  }
  const fill = median([...known.values()]) ?? 1;
  const weight = new Map(all.map((id) => [id, known.get(id) ?? fill]));
  const source: WeightSource =
    known.size === 0 ? 'equal' : fromHistory === 0 ? 'hints' : fromHints === 0 ? 'history' : 'mixed';
  return { weight, source };
}

function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** A `DurationHistory` over a plain record of seconds by node id. */
export function historyOf(seconds: Readonly<Record<string, number>>): DurationHistory {
  return { expectedSeconds: (nodeId) => (Object.hasOwn(seconds, nodeId) ? seconds[nodeId] : undefined) };
}

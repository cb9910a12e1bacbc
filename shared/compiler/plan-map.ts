/**
 * Planning a `map` node: its body is planned like a workflow (same planner, same strategy), and the map decides how
 * its iterations run on Step Functions. An inline Map writes every iteration's events into its execution's history
 * (25,000 events at most); a Distributed Map runs each item as a child execution with its own history. A map runs
 * inline when its worst case (`maxItems` items, each exhausting every retry) stays within `MAP_INLINE_EVENT_BUDGET`,
 * else distributed, so a map of 10,000 items fits by design.
 */
import { LIMITS, MAP_DEFAULTS, type MapNodeDef } from '../definition/schema';
import { SERVICE_TASK_COST, stepsCost } from './estimate';
import type { ExecutionPlan } from './plan';

/** Most worst-case history events an inline Map may add to its execution; over it the map runs distributed. */
export const MAP_INLINE_EVENT_BUDGET = 10_000;

/** History events of one inline iteration besides its body (MapIterationStarted, MapIterationSucceeded). */
const ITERATION_EVENTS = 2;

/** How a map node runs. */
export interface PlannedMap {
  /** The body's plan. */
  body: ExecutionPlan;
  maxConcurrency: number;
  /** Most items (the definition's `maxItems`, else `LIMITS.maxMapItems`). */
  maxItems: number;
  /** `INLINE` or `DISTRIBUTED` (the local engine runs both inline). */
  mode: 'INLINE' | 'DISTRIBUTED';
  /** Worst case of one item: its body plus the item-done task and the iteration's own events. */
  perItem: { transitions: number; events: number };
}

/** Plans a map node from its planned body. */
export function planMap(node: MapNodeDef, body: ExecutionPlan): PlannedMap {
  const cost = stepsCost(body);
  const perItem = {
    transitions: cost.transitions + SERVICE_TASK_COST.transitions,
    events: cost.events + SERVICE_TASK_COST.events + ITERATION_EVENTS,
  };
  const maxItems = node.maxItems ?? LIMITS.maxMapItems;
  // A Distributed Map cannot run inside an inline iteration's history: a map holding one is distributed too.
  const nestedDistributed = [...body.nodes.values()].some((n) => n.map?.mode === 'DISTRIBUTED');
  const mode = !nestedDistributed && maxItems * perItem.events <= MAP_INLINE_EVENT_BUDGET ? 'INLINE' : 'DISTRIBUTED';
  return { body, maxConcurrency: node.maxConcurrency ?? MAP_DEFAULTS.maxConcurrency, maxItems, mode, perItem };
}

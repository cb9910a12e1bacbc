/**
 * The compiled contract of a workflow version: for every node, what the compiler decided and rendered into
 * the ASL (retriers, timeout, `onError`, liveness tests, route keys) and how `parallel`/`join` nodes map onto
 * real ones. It is stored with the version; the executor interprets it and never re-derives policy from the
 * definition (ARCHITECTURE.md, "Execution contract").
 */
import type { RetrierContract } from './retriers';

/** Version of the contract's shape; bumped when a field changes meaning. */
export const CONTRACT_FORMAT = 1;

/** What makes an incoming edge of a tracked node live (the test its `X:route` Choice makes). */
export type LiveTest =
  /** The condition `node` chose the route `key` (`w:<json>` or `default`). */
  | { kind: 'route'; node: string; key: string }
  /** The tracked node `node` was not skipped. */
  | { kind: 'notSkipped'; node: string };

/** `always`, or the tests of which at least one must hold for the node to run (else it is skipped). */
export type Liveness = 'always' | LiveTest[];

/**
 * The contract of an executable node (`agent_call`, `tool_call`, `human_gate`, `condition`, `map`). Nodes of a map's
 * body are keyed by their id like the rest (ids are unique across bodies); `map` names the map they sit in.
 */
export interface NodeContract {
  type: 'agent_call' | 'tool_call' | 'human_gate' | 'condition' | 'map' | 'workflow_call';
  /** The map whose body holds this node; absent at the top level. */
  map?: string;
  /** The Task's retriers, in ASL order (the service retrier first). */
  retriers: RetrierContract[];
  /** The Task's `TimeoutSeconds`. */
  timeoutSeconds: number;
  onError: 'fail' | 'continue';
  /** Writes its route into the `r` routing record (conditions and everything downstream of one). */
  tracked: boolean;
  live: Liveness;
  /** Conditions only: the route keys their out-edges carry (`w:<json>`, `default`), sorted. */
  routeKeys?: string[];
  /** `parallel`/`join` nodes recorded as succeeded when this node starts (virtual ancestors reached only through virtual nodes), in order. */
  settles: string[];
}

/** The contract of a `parallel`/`join` node: it does no work and has no state; its record is derived. */
export interface VirtualNodeContract {
  type: 'parallel' | 'join';
  /** `any`: the output keeps only the first predecessor to finish. */
  mode: 'all' | 'any';
  /** Its direct predecessors (real or virtual), sorted: its output maps theirs. */
  predecessors: string[];
  live: Liveness;
}

/** The compiled contract of a workflow version. */
export interface WorkflowContract {
  format: typeof CONTRACT_FORMAT;
  /** Every node id in a topological order (Kahn levels of the full graph, ids sorted within a level). */
  order: string[];
  nodes: Record<string, NodeContract | VirtualNodeContract>;
  /** Nodes without outgoing edges, in `order`: their outputs make the run's output. */
  terminal: string[];
}

/** True for the contract of a `parallel`/`join` node. */
export function isVirtualContract(node: NodeContract | VirtualNodeContract | undefined): node is VirtualNodeContract {
  return node?.type === 'parallel' || node?.type === 'join';
}

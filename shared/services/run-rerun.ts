/**
 * Rerun from a node (`POST /api/v1/workflows/runs/{runId}/rerun`): which nodes of a new run reuse the old
 * run's records, decided before the new run starts. Pure: definitions and records in, the reuse plan out.
 *
 * Every node not downstream of `fromNode` (in the version the new run uses) is reused: its record is copied
 * into the new run before the execution starts (`reused: true`, no cost), and the executor answers its Task
 * with the recorded route without calling anything (ARCHITECTURE.md, "Redrive and rerun").
 */
import * as z from 'zod';
import { isVirtualContract, type WorkflowContract } from '../contract/node-contract';
import { buildGraph, descendants } from '../definition/graph';
import type { WorkflowDefinition } from '../definition/schema';
import { ValidationError } from '../errors';
import type { NodeRun, NodeStatus } from '../model/types';

/** Body of `POST /api/v1/workflows/runs/{runId}/rerun`. */
export const RerunRequestSchema = z.strictObject({
  /** The node to run again; it and everything downstream of it run, the rest reuse the old run's records. */
  fromNode: z.string().min(1).max(128),
  /** The workflow version the new run uses. @default the old run's version */
  version: z.number().int().min(1).optional(),
  /** The new run's input. @default the old run's input */
  input: z.unknown().optional(),
});

/** A request to rerun. */
export type RerunRequest = z.infer<typeof RerunRequestSchema>;

/** What a reused node keeps from the old run. */
export interface ReusedNode {
  status: Extract<NodeStatus, 'succeeded' | 'skipped'>;
  /** The route the node's Task answers with (`ok` for untracked nodes; a condition's chosen key). */
  route: string;
  output?: unknown;
  startedAt?: string;
  endedAt?: string;
}

/** The statuses a node may be reused in: it finished without needing to run again. */
const REUSABLE: ReadonlySet<NodeStatus> = new Set(['succeeded', 'skipped']);

/**
 * The nodes a rerun from `fromNode` reuses, by id. Throws a `ValidationError` (pointer `/fromNode`) when the
 * node does not exist in either version, and one naming the node when a node to reuse is missing from the old
 * version, changed type, or did not finish there (it failed, was cancelled or never ran).
 */
export function planRerun(input: {
  fromNode: string;
  oldDefinition: WorkflowDefinition;
  newDefinition: WorkflowDefinition;
  newContract: WorkflowContract;
  oldRuns: ReadonlyMap<string, NodeRun>;
}): Record<string, ReusedNode> {
  const { fromNode, oldDefinition, newDefinition, newContract, oldRuns } = input;
  const newIds = newDefinition.nodes.map((n) => n.id);
  const oldTypes = new Map(oldDefinition.nodes.map((n) => [n.id, n.type] as const));
  if (!newIds.includes(fromNode) || !oldTypes.has(fromNode)) {
    throw new ValidationError([{ path: '/fromNode', code: 'unknown_node', message: `node ${fromNode} is not a top-level node of both versions` }]);
  }
  const rerun = descendants(buildGraph(newIds, newDefinition.edges), [fromNode]);
  rerun.add(fromNode);
  const reused: Record<string, ReusedNode> = {};
  for (const node of newDefinition.nodes) {
    if (rerun.has(node.id)) continue;
    const oldType = oldTypes.get(node.id);
    if (oldType !== node.type) {
      const why = oldType === undefined ? 'does not exist in the old run\'s version' : `was a ${oldType} in the old run's version`;
      throw new ValidationError([{ path: '/fromNode', code: 'not_reusable', message: `node ${node.id} (${node.type}) is upstream of ${fromNode} but ${why}: rerun from it instead` }]);
    }
    const old = oldRuns.get(node.id);
    const status = old?.status ?? 'pending';
    if (!REUSABLE.has(status)) {
      throw new ValidationError([{ path: '/fromNode', code: 'not_reusable', message: `node ${node.id} is not downstream of ${fromNode} and did not succeed in the old run (${status}): rerun from it instead` }]);
    }
    const contract = newContract.nodes[node.id];
    const tracked = contract !== undefined && !isVirtualContract(contract) && contract.tracked;
    const recordedRoute = (old as NodeRun & { route?: string }).route;
    const route = status === 'skipped' ? 'skip' : tracked || node.type === 'condition' ? (recordedRoute ?? 'ok') : 'ok';
    reused[node.id] = {
      status: status as ReusedNode['status'], route,
      ...(old?.output !== undefined ? { output: old.output } : {}),
      ...(old?.startedAt !== undefined ? { startedAt: old.startedAt } : {}),
      ...(old?.endedAt !== undefined ? { endedAt: old.endedAt } : {}),
    };
  }
  return reused;
}

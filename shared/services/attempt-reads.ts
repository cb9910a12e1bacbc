/**
 * What `execute` reads before a node's attempt, in as few round trips as it can (ARCHITECTURE.md, "Fewer round
 * trips per node"): the run item, the attempt's record and, for a node whose bindings read only plain upstream
 * nodes, those nodes' records, in one strongly consistent `BatchGetItem`. The version's definition and contract
 * never change once published and are cached per process (`execution-context.ts`), and so are a run's
 * `workflowId` and `version`: once a process has seen a run, its next node knows which upstream records to ask for
 * in the same call. Anything else (conditions, map bodies, retries, `parallel`/`join` ancestors) lists the
 * partition as before.
 */
import { NotFoundError } from '../errors';
import type { NodeRun } from '../model/types';
import { batchRead, itemKeyOf } from '../store/batch-read';
import { attemptOf, firstAttemptOf, toNodeRun, type AttemptRecord } from '../store/node-runs';
import { toRun } from '../store/runs';
import { keys } from '../store/table';
import { cachedDefinition, definitionOf, type LoadedRun, type RunStores, type VersionDefinition } from './execution-context';
import { referencesOf } from './execution-frame';
import { scopeOf } from './map-scope';
import { isVirtual, virtualAncestors } from './scope-graph';

/** Run identities kept per process (a run's `workflowId` and `version` never change). */
const MAX_IDENTITIES = 10_000;
const identities = new Map<string, { workflowId: string; version: number }>();

/** What the reads found. */
export interface AttemptReads {
  /** The attempt's record, when a delivery has started it. */
  previous?: AttemptRecord;
  /**
   * Someone watches the run live (its fan-out mark lists a subscribed connection, `fan-out-marks.ts`) when the
   * attempt is a first one: its `node.started` then goes out at once instead of waiting for its end (start-event.ts).
   */
  watched?: boolean;
  /** The run with its version, or why it could not be loaded (`NotFoundError`, a missing version). */
  loaded: { value: LoadedRun } | { error: unknown };
  /**
   * The records of the nodes the attempt's bindings read (a node without a record is pending), when that is all
   * the attempt needs; `undefined`: the caller lists the partition.
   */
  runs?: Map<string, NodeRun>;
}

/**
 * The upstream nodes a node's first attempt needs, when they are all it needs: a top-level `tool_call` or
 * `agent_call` with no `parallel`/`join` ancestor whose bindings parse and read only plain nodes of its scope.
 * `undefined` otherwise (the caller lists every record of the partition).
 */
export function bindingReads(version: VersionDefinition, nodeId: string, item: string | undefined, attempt: number): string[] | undefined {
  if (item !== undefined || attempt !== 0) return undefined;
  const node = version.nodes.get(nodeId);
  if (node?.type !== 'tool_call' && node?.type !== 'agent_call') return undefined;
  const graph = scopeOf(version.scopes, nodeId)?.graph;
  if (!graph || virtualAncestors(graph, nodeId).length > 0) return undefined;
  const ids = new Set(version.scopes.nodes.keys());
  const refs = referencesOf(node, ids);
  if (!refs) return undefined;
  const reads = [...refs].filter((r) => ids.has(r));
  if (reads.some((r) => !graph.nodes.has(r) || isVirtual(graph.nodes.get(r)))) return undefined;
  return reads;
}

/** Reads the run, the attempt and (when `bindingReads` allows) the upstream records; one round trip on a warm process. */
export async function readForAttempt(stores: RunStores, runId: string, rk: string, nodeId: string, attempt: number, item: string | undefined): Promise<AttemptReads> {
  const table = stores.store.table;
  const known = identities.get(runId);
  const cached = known ? cachedDefinition(known.workflowId, known.version) : undefined;
  const early = cached ? bindingReads(cached, nodeId, item, attempt) : undefined;
  const runKey = keys.run(runId);
  const attemptKey = keys.nodeAttempt(rk, nodeId, attempt);
  // Attempt 0's record may ride on the node's own item (`FirstAttempt`): read it in the same call.
  const nodeKey = attempt === 0 ? keys.nodeRun(rk, nodeId) : undefined;
  // Whether anyone watches the run (same call): a watched run's first attempts log their start at once.
  const markKey = attempt === 0 ? keys.fanOutMark(runId) : undefined;
  const items = await batchRead(table, [runKey, attemptKey, ...(nodeKey ? [nodeKey] : []), ...(markKey ? [markKey] : []), ...(early ?? []).map((id) => keys.nodeRun(rk, id))]);
  const subscribers = markKey ? (items.get(itemKeyOf(markKey))?.subs as Set<string> | undefined) : undefined;
  const watched = subscribers !== undefined && subscribers.size > 0;
  const attemptItem = items.get(itemKeyOf(attemptKey));
  const previous = attemptOf(attemptItem) ?? (nodeKey ? firstAttemptOf(items.get(itemKeyOf(nodeKey))) : undefined);
  const runItem = items.get(itemKeyOf(runKey));
  if (!runItem) return { ...(previous ? { previous } : {}), loaded: { error: new NotFoundError('run', runId) } };
  const run = toRun(runItem);
  let version: VersionDefinition;
  try {
    version = cached ?? (await definitionOf(stores, run));
  } catch (error) {
    return { ...(previous ? { previous } : {}), loaded: { error } };
  }
  if (!known) {
    if (identities.size >= MAX_IDENTITIES) identities.delete(identities.keys().next().value as string);
    identities.set(runId, { workflowId: run.workflowId, version: run.version });
  }
  const loaded = { value: { run, ...version } };
  // A cold process learns the version here: one more round trip for the upstream records (two queries otherwise).
  const reads = early ?? bindingReads(version, nodeId, item, attempt);
  if (!reads) return { ...(previous ? { previous } : {}), loaded };
  const upstream = early ? items : await batchRead(table, reads.map((id) => keys.nodeRun(rk, id)));
  const runs = new Map<string, NodeRun>();
  for (const id of reads) {
    const found = upstream.get(itemKeyOf(keys.nodeRun(rk, id)));
    // A node item without a status holds only a claim: the node is pending.
    if (found && found.status !== undefined) runs.set(id, toNodeRun(found, []));
  }
  return { ...(previous ? { previous } : {}), ...(watched ? { watched } : {}), loaded, runs };
}

/**
 * Closing a run: moving its outstanding nodes and open gates (its map items' too, `close-waits.ts`) to final statuses, and the run itself to a final
 * status with its event. Shared by finalize (the state machine's last task), cancel, and the finalizer that
 * reconciles executions which ended without finalize. Every write is conditional, so running it twice is harmless.
 */
import { TERMINAL_NODE_STATUSES, type ErrorInfo, type NodeRun, type NodeStatus, type Run, type RunStatus } from '../model/types';
import { ConflictError } from '../errors';
import { STATES_ERRORS } from '../contract/error-names';
import { isVirtualContract, type WorkflowContract } from '../contract/node-contract';
import { deadNodes, virtualOutput } from './execution-graph';
import { nowIso, record, type LoadedRun, type RunStores } from './execution-context';
import { isRunTerminal, NODE_ENTERED_FROM, RUN_ENTERED_FROM } from './run-status';
import { gateClosed, notify } from './gate-lifecycle';
import { closeOpenWaits } from './close-waits';
import { firstStartEntry } from './start-event';

/** Where outstanding nodes go. */
export interface ClosePolicy {
  /** Status for nodes that never started. */
  pending: 'skipped' | 'cancelled';
  /** Status for nodes that were running, retrying or waiting. */
  active: 'failed' | 'cancelled';
  /** Error recorded on nodes closed as `failed`. */
  error?: ErrorInfo;
  /** What a waiting gate becomes (a gate past its `timeoutAt` always becomes `timed_out`). */
  gate: 'cancelled' | 'timed_out';
  /**
   * The execution reached its end through every node's task (`finalize` without an error, a `SUCCEEDED` status):
   * each task returned after its node's event was recorded, so succeeded executable nodes are not checked again.
   * @default false
   */
  succeeding?: boolean;
}

const GATE_TIMEOUT: ErrorInfo = { name: STATES_ERRORS.timeout, message: 'the gate timed out before anyone decided' };

/** Moves every outstanding node and open gate of the run to a final status and records the events. */
export async function closeOutstanding(stores: RunStores, loaded: LoadedRun, policy: ClosePolicy): Promise<Map<string, NodeRun>> {
  const { run, contract } = loaded;
  const runs = await stores.nodeRuns.list(run.runId);
  const gates = new Map((await stores.gates.list(run.runId)).map((g) => [g.nodeId, g] as const));
  const now = nowIso(stores);
  const dead = deadNodes(contract, runs);
  const ended: NodeRun[] = [];
  for (const id of contract.order) {
    const current = runs.get(id)?.status ?? 'pending';
    let to: NodeStatus | undefined;
    let fields: { output?: unknown; error?: ErrorInfo } = {};
    if (current === 'pending') {
      if (isVirtualContract(contract.nodes[id]) && !dead.has(id) && policy.pending === 'skipped') {
        const output = virtualOutput(contract, runs, id);
        to = Object.keys(output).length > 0 ? 'succeeded' : 'skipped';
        if (to === 'succeeded') fields = { output };
      } else to = dead.has(id) ? 'skipped' : policy.pending;
    } else if (current === 'waiting') {
      const gate = gates.get(id);
      const gateStatus = gate !== undefined && gate.timeoutAt <= now ? 'timed_out' : policy.gate;
      if (gate?.status === 'waiting' && (await stores.gates.close(run.runId, id, gateStatus, now))) await gateClosed(stores, { ...gate, status: gateStatus });
      to = gateStatus === 'timed_out' ? 'failed' : policy.active;
      if (to === 'failed') fields = { error: gateStatus === 'timed_out' ? GATE_TIMEOUT : policy.error };
    } else if (current === 'running' || current === 'retrying') {
      to = policy.active;
      if (to === 'failed') fields = { error: policy.error };
    }
    if (!to) {
      const node = runs.get(id);
      if (node && (TERMINAL_NODE_STATUSES as readonly string[]).includes(node.status) && !(node.status === 'succeeded' && reportedSuccess(policy, contract.nodes[id]))) ended.push(node);
      continue;
    }
    const updated = await stores.nodeRuns.transition(run.runId, id, to, { ...fields, endedAt: now }, NODE_ENTERED_FROM[to]);
    if (!updated) continue;
    runs.set(id, { ...updated, attempts: runs.get(id)?.attempts ?? [] });
    const data = fields.error ? { error: fields.error } : {};
    await record(stores, run.runId, `node.${to}:${id}`, { type: `node.${to}` as 'node.skipped', nodeId: id, at: now, data });
  }
  // Nodes final already: an earlier try of this close, or a task the execution then failed past (its retries ran
  // out between the node's write and its event), may have written the status without the event; append what is
  // missing, from the record. One read per node, all at once.
  await Promise.all(ended.map(async (node) => {
    if (!(await stores.events.isRecorded(run.runId, `node.${node.status}:${node.nodeId}`))) await recordNodeEnd(stores, run.runId, node, now);
  }));
  // Gates outside the graph (the built-in budget gate) close with the run.
  for (const gate of gates.values()) {
    if (loaded.nodes.has(gate.nodeId) || gate.status !== 'waiting') continue;
    const status = gate.timeoutAt <= now ? 'timed_out' : policy.gate;
    if (await stores.gates.close(run.runId, gate.nodeId, status, now)) await gateClosed(stores, { ...gate, status });
  }
  // Gates and questions still open inside map items (and any index item left above): from the run's open waits.
  await closeOpenWaits(stores, run.runId, policy, now);
  return runs;
}

/**
 * Moves the run to a final status unless it already has one. Returns the updated run, or `undefined` when
 * another writer finished it first (the event is then left to that writer).
 */
export async function finishRun(
  stores: RunStores,
  run: Run,
  status: Extract<RunStatus, 'succeeded' | 'failed' | 'cancelled' | 'timed_out'>,
  fields: { output?: unknown; error?: ErrorInfo; cost?: Run['cost'] },
): Promise<Run | undefined> {
  const endedAt = nowIso(stores);
  let updated: Run;
  try {
    updated = await stores.store.runs.update(run.runId, { status, endedAt, ...fields }, RUN_ENTERED_FROM[status]);
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
    // Final already: by another writer (which records its event), or by an earlier try of this close that failed
    // before its event was appended; append it again from the record (a no-op when recorded).
    const final = await stores.store.runs.get(run.runId);
    if (final) await recordRunEnd(stores, final);
    return undefined;
  }
  const data: Record<string, unknown> = { status };
  if (fields.error) data.error = fields.error;
  if (fields.cost) data.cost = fields.cost;
  await record(stores, run.runId, `run.${status}`, { type: `run.${status}`, at: endedAt, data });
  await notify(stores, { type: 'run.finished', workflowId: run.workflowId, runId: run.runId, at: endedAt, data });
  return updated;
}

/**
 * A succeeded node whose task certainly returned its success, so its event is recorded: in a succeeding close, an
 * executable node with no `onError: continue` (whose `Catch` would let the execution go on past a task that failed
 * after the node's write).
 */
function reportedSuccess(policy: ClosePolicy, node: WorkflowContract['nodes'][string] | undefined): boolean {
  return policy.succeeding === true && node !== undefined && !isVirtualContract(node) && node.onError !== 'continue';
}

/** Appends the end event of a final node from its record (a no-op when its transition key is recorded already). */
async function recordNodeEnd(stores: RunStores, runId: string, node: NodeRun, now: string): Promise<void> {
  const type = `node.${node.status}` as 'node.skipped';
  const end = { transitionKey: `${type}:${node.nodeId}`, event: { type, nodeId: node.nodeId, at: node.endedAt ?? now, data: node.error ? { error: node.error } : {} } };
  // A quick first attempt appends its start with its end (start-event.ts): when the end is missing, so may be the start.
  const first = node.status === 'succeeded' ? node.attempts.find((a) => a.attempt === 0 && a.status === 'succeeded') : undefined;
  const start = first ? [firstStartEntry(node.nodeId, node.nodeId, first.startedAt)] : [];
  await stores.events.appendAll(runId, [...start, end]);
}

/**
 * Appends the end event of a final run from its record (a no-op when it is recorded already). Called where a
 * close finds the run final: the write that made it final may have been an earlier try whose event append
 * failed, and nothing else would ever append it (clients following the log would wait for the run's end forever).
 */
export async function recordRunEnd(stores: RunStores, run: Run): Promise<void> {
  if (!isRunTerminal(run.status) || (await stores.events.isRecorded(run.runId, `run.${run.status}`))) return;
  const data: Record<string, unknown> = { status: run.status };
  if (run.error) data.error = run.error;
  if (run.cost) data.cost = run.cost;
  await record(stores, run.runId, `run.${run.status}`, { type: `run.${run.status}` as 'run.failed', at: run.endedAt ?? nowIso(stores), data });
}

/** The sum of the nodes' reported costs. */
export function totalCost(runs: ReadonlyMap<string, NodeRun>): Run['cost'] {
  const cost: Run['cost'] = { usd: 0 };
  let inputTokens = 0;
  let outputTokens = 0;
  for (const node of runs.values()) {
    if (!node.cost) continue;
    cost.usd += node.cost.usd;
    inputTokens += node.cost.inputTokens ?? 0;
    outputTokens += node.cost.outputTokens ?? 0;
  }
  cost.usd = Math.round(cost.usd * 1e9) / 1e9;
  if (inputTokens > 0) cost.inputTokens = inputTokens;
  if (outputTokens > 0) cost.outputTokens = outputTokens;
  return cost;
}

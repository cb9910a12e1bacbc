/**
 * Closing what still waits for a person when a run ends, inside its map items too: gates and agents' questions
 * whose partition is an item's (`<runId>#I#<path>`) are not among the run's own nodes, so `closeOutstanding` finds
 * them through the run's open-wait items (`shared/store/inbox.ts`), written when each wait opened and deleted when
 * it closed. Cost: one query page per 100 waits still open, and a few writes per wait; never a read of every map
 * item (a 10,000-item map with 40 items running reads at most the waits of those 40).
 */
import { STATES_ERRORS } from '../contract/error-names';
import type { ErrorInfo, NodeStatus } from '../model/types';
import type { PageKey } from '../store/cursor';
import type { GateWithPrincipals } from '../store/gates';
import type { OpenWait } from '../store/inbox';
import { splitPartitionRunId } from '../store/map-items';
import { nowIso, type RunStores } from './execution-context';
import { isRunTerminal } from './run-status';
import { keyOf, recordAt } from './execution-keys';
import { gateClosed } from './gate-lifecycle';

/** How open waits close (the fields of `ClosePolicy` that apply to them). */
export interface WaitClosePolicy {
  /** What a node that waited becomes. */
  active: 'failed' | 'cancelled';
  /** The error of a node closed `failed`. */
  error?: ErrorInfo;
  /** What a waiting gate becomes (one past its `timeoutAt` always becomes `timed_out`). */
  gate: 'cancelled' | 'timed_out';
}

/** How many waits close at once. */
const CONCURRENCY = 8;

const GATE_TIMEOUT: ErrorInfo = { name: STATES_ERRORS.timeout, message: 'the gate timed out before anyone decided' };

/**
 * Closes every wait still open in run `runId` (its own leftovers and its map items'): a waiting gate becomes
 * `cancelled` or `timed_out` (out of the inboxes, timers deleted), a waiting node becomes `policy.active` with its
 * event (carrying `item`), a question leaves the inboxes. Every write is conditional: running it twice, or beside
 * a decision or a reply, is harmless. Returns how many waits it found.
 */
export async function closeOpenWaits(stores: RunStores, runId: string, policy: WaitClosePolicy, now: string): Promise<number> {
  let found = 0;
  let startKey: PageKey | undefined;
  do {
    const page = await stores.inbox.openWaits(runId, startKey);
    found += page.waits.length;
    for (let i = 0; i < page.waits.length; i += CONCURRENCY) {
      await Promise.all(page.waits.slice(i, i + CONCURRENCY).map((wait) => closeWait(stores, wait, policy, now)));
    }
    startKey = page.lastKey;
  } while (startKey);
  return found;
}

/**
 * Closes a wait that just opened when its run has ended already: the task that opened it loaded the run just before
 * it ended (a cancel racing a task in flight), so the run's own close may not have seen it. Called at the end of
 * every opening; costs one read of the run's status. Returns true when the run had ended.
 */
export async function closeIfRunEnded(stores: RunStores, wait: Omit<OpenWait, 'workflowId'>): Promise<boolean> {
  const { runId } = splitPartitionRunId(wait.partition);
  const status = await stores.store.runs.getStatus(runId);
  if (status === undefined || !isRunTerminal(status)) return false;
  await closeWait(stores, wait, { active: 'cancelled', gate: 'cancelled' }, nowIso(stores));
  return true;
}

async function closeWait(stores: RunStores, wait: Omit<OpenWait, 'workflowId'>, policy: WaitClosePolicy, now: string): Promise<void> {
  const { partition, nodeId } = wait;
  if (wait.kind === 'question') {
    await closeNode(stores, partition, nodeId, policy.active, policy.active === 'failed' ? policy.error : undefined, now);
    await stores.inbox.remove({ runId: partition, nodeId, openedAt: wait.openedAt }, wait.principals);
    return;
  }
  const gate = (await stores.gates.get(partition, nodeId)) as GateWithPrincipals | undefined;
  if (gate?.status === 'waiting' && gate.openedAt === wait.openedAt) {
    const status = gate.timeoutAt <= now ? 'timed_out' : policy.gate;
    if (await stores.gates.close(partition, nodeId, status, now)) await gateClosed(stores, { ...gate, status });
    const to = status === 'timed_out' ? 'failed' : policy.active;
    await closeNode(stores, partition, nodeId, to, status === 'timed_out' ? GATE_TIMEOUT : to === 'failed' ? policy.error : undefined, now);
  }
  // Already closed by its decision (or a racing close): only its index items may be left.
  await stores.inbox.remove({ runId: partition, nodeId, openedAt: wait.openedAt }, gate?.openedAt === wait.openedAt ? (gate.inboxPrincipals ?? []) : []);
}

/** Moves a node that still waits to `to`, with its event (once: the transition is conditional, the event keyed). */
async function closeNode(stores: RunStores, partition: string, nodeId: string, to: NodeStatus & ('failed' | 'cancelled'), error: ErrorInfo | undefined, now: string): Promise<void> {
  const updated = await stores.nodeRuns.transition(partition, nodeId, to, { endedAt: now, ...(error ? { error } : {}) }, ['waiting']);
  if (!updated) return;
  const { runId, item } = splitPartitionRunId(partition);
  const at = { runId, ...(item !== undefined ? { item } : {}) };
  await recordAt(stores, at, `node.${to}:${keyOf(at, nodeId)}`, { type: `node.${to}`, nodeId, at: now, data: error ? { error } : {} });
}

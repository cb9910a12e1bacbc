/**
 * What happens around a gate besides its decision: when it opens, it enters its approvers' inboxes, its
 * reminder and escalation timers are scheduled, and `gate.opened` is published; when it closes (decided,
 * cancelled, timed out), it leaves the inboxes, its timers are deleted and `gate.decided` is published for a
 * decision. Each step is idempotent, so a repeated open or close is harmless. Notifications never fail the caller.
 */
import type { Gate } from '../model/types';
import { gateTimerName } from '../ports/gate-timers';
import type { Notification } from '../ports/notifier';
import type { GateWithPrincipals } from '../store/gates';
import { nowIso, type RunStores } from './execution-context';
import { votesInOrder } from './gate-policy';
import { splitPartitionRunId } from '../store/map-items';

/**
 * Where a gate sits, for notifications: its run and, inside a map item, the item path. A gate's `runId` is its
 * partition (`<runId>#I#<path>` inside an item): inbox entries and timer names are keyed by it.
 */
function whereIs(gate: Pick<Gate, 'runId'>): { runId: string; item?: string } {
  const { runId, item } = splitPartitionRunId(gate.runId);
  return item === undefined ? { runId } : { runId, item };
}

/** Publishes a notification, best effort. */
export async function notify(stores: RunStores, notification: Notification): Promise<void> {
  if (!stores.notifier) return;
  try {
    await stores.notifier.publish(notification);
  } catch (error) {
    console.error('notification not published', error);
  }
}

/** Inboxes, timers and the `gate.opened` notification of a gate that just opened. */
export async function gateOpened(stores: RunStores, gate: GateWithPrincipals, policy: { everySeconds?: number }): Promise<void> {
  const workflowId = gate.workflowId ?? '';
  await stores.inbox.add({ kind: 'gate', runId: gate.runId, nodeId: gate.nodeId, workflowId, openedAt: gate.openedAt, timeoutAt: gate.timeoutAt }, gate.inboxPrincipals ?? [], { open: true });
  const opened = Date.parse(gate.openedAt);
  const timeoutAt = Date.parse(gate.timeoutAt);
  if (stores.timers) {
    if (policy.everySeconds !== undefined && opened + policy.everySeconds * 1000 < timeoutAt) {
      await stores.timers.schedule(gateTimerName(gate.runId, gate.nodeId, 'remind', 1), new Date(opened + policy.everySeconds * 1000), { kind: 'gate-timer', action: 'remind', runId: gate.runId, nodeId: gate.nodeId, seq: 1 });
    }
    if (gate.escalation && opened + gate.escalation.afterSeconds * 1000 < timeoutAt) {
      await stores.timers.schedule(gateTimerName(gate.runId, gate.nodeId, 'escalate'), new Date(opened + gate.escalation.afterSeconds * 1000), { kind: 'gate-timer', action: 'escalate', runId: gate.runId, nodeId: gate.nodeId, seq: 0 });
    }
  }
  await notify(stores, {
    type: 'gate.opened', workflowId, ...whereIs(gate), nodeId: gate.nodeId, at: gate.openedAt,
    data: { prompt: gate.prompt, approvers: gate.approvers, quorum: gate.quorum ?? 1, timeoutAt: gate.timeoutAt },
  });
}

/** Inboxes and timers of a gate that closed, and `gate.decided` when it was decided. */
export async function gateClosed(stores: RunStores, gate: GateWithPrincipals): Promise<void> {
  await stores.inbox.remove(gate, gate.inboxPrincipals ?? []);
  if (stores.timers) {
    const names = [gateTimerName(gate.runId, gate.nodeId, 'escalate')];
    if (gate.reminderSeq !== undefined) names.push(gateTimerName(gate.runId, gate.nodeId, 'remind', gate.reminderSeq));
    await stores.timers.cancel(names);
  }
  if (gate.status === 'approved' || gate.status === 'rejected') {
    await notify(stores, {
      type: 'gate.decided', workflowId: gate.workflowId ?? '', ...whereIs(gate), nodeId: gate.nodeId, at: gate.decidedAt ?? nowIso(stores),
      data: { decision: gate.status, by: gate.decidedBy, votes: votesInOrder(gate).map(({ by, decision, at }) => ({ by, decision, at })) },
    });
  }
}

/** True for a gate status that no vote can change any more. */
export function isClosed(gate: Pick<Gate, 'status'>): boolean {
  return gate.status !== 'waiting';
}

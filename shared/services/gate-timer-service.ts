/**
 * What a gate timer does when it fires (the notify function in AWS, an in-process timer locally): a reminder
 * publishes `gate.reminded` and schedules the next one while the gate waits; the escalation makes the
 * escalation approvers eligible, adds the gate to their inboxes, records `gate.escalated` and publishes it.
 * A timer that fires after its gate closed, or twice, does nothing.
 */
import { gateTimerName, type GateTimerEvent } from '../ports/gate-timers';
import { loadRun, nowIso, type RunStores } from './execution-context';
import { keyOf, recordAt } from './execution-keys';
import { isRunTerminal } from './run-status';
import { splitPartitionRunId } from '../store/map-items';

/** The run and item of a timer's gate (its `runId` is the gate's partition), and whether the run still goes on. */
async function gateRun(stores: RunStores, partition: string): Promise<{ runId: string; item?: string; active: boolean }> {
  const where = splitPartitionRunId(partition);
  const status = await stores.store.runs.getStatus(where.runId);
  // A gate inside a map item opened before runs closed their items' gates (open-wait items) may outlive its run: its timers stop here.
  return { ...where, active: status !== undefined && !isRunTerminal(status) };
}
import { notify } from './gate-lifecycle';
import { principalOf } from './gate-policy';

/** Builds the gate timer service. */
export function createGateTimerService(stores: RunStores) {
  async function remind(event: GateTimerEvent): Promise<void> {
    const { runId, nodeId, seq } = event;
    const gate = await stores.gates.get(runId, nodeId);
    if (!gate || gate.status !== 'waiting' || gate.reminderSeq !== seq) return;
    const where = await gateRun(stores, runId);
    if (!where.active) return;
    const node = (await loadRun(stores, where.runId)).scopes.nodes.get(nodeId)?.node;
    const every = node?.type === 'human_gate' ? node.reminders?.everySeconds : undefined;
    const now = stores.clock?.() ?? new Date();
    if (every !== undefined && stores.timers) {
      const next = new Date(now.getTime() + every * 1000);
      if (next.toISOString() < gate.timeoutAt) {
        const name = gateTimerName(runId, nodeId, 'remind', seq + 1);
        await stores.timers.schedule(name, next, { ...event, seq: seq + 1 });
        if (!(await stores.gates.advanceReminder(runId, nodeId, seq + 1))) {
          await stores.timers.cancel([name]);
          return;
        }
      }
    }
    await notify(stores, {
      type: 'gate.reminded', workflowId: gate.workflowId ?? '', runId: where.runId, ...(where.item !== undefined ? { item: where.item } : {}), nodeId, at: now.toISOString(),
      data: { reminder: seq, prompt: gate.prompt, timeoutAt: gate.timeoutAt, approvals: gate.approvals ?? 0, quorum: gate.quorum ?? 1 },
    });
  }

  async function escalate(event: GateTimerEvent): Promise<void> {
    const { runId, nodeId } = event;
    const current = await stores.gates.get(runId, nodeId);
    if (!current?.escalation || current.status !== 'waiting') return;
    const where = await gateRun(stores, runId);
    if (!where.active) return;
    const at = nowIso(stores);
    const added = [...new Set(current.escalation.approvers.map(principalOf))];
    const gate = await stores.gates.escalate(runId, nodeId, at, added);
    if (!gate) return;
    await stores.inbox.add({ ...gate, workflowId: gate.workflowId ?? '' }, added);
    const frame = { runId: where.runId, ...(where.item !== undefined ? { item: where.item } : {}) };
    await recordAt(stores, frame, `gate.escalated:${keyOf(frame, nodeId)}`, { type: 'gate.escalated', nodeId, at, data: { approvers: current.escalation.approvers, afterSeconds: current.escalation.afterSeconds } });
    await notify(stores, {
      type: 'gate.escalated', workflowId: gate.workflowId ?? '', ...frame, nodeId, at,
      data: { approvers: current.escalation.approvers, prompt: gate.prompt, timeoutAt: gate.timeoutAt },
    });
  }

  return {
    /** Handles one fired timer. */
    async fire(event: GateTimerEvent): Promise<void> {
      if (event.action === 'remind') await remind(event);
      else await escalate(event);
    },
  };
}

/** The gate timer service. */
export type GateTimerService = ReturnType<typeof createGateTimerService>;

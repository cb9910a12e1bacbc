/**
 * The gate-timer port: one-time timers for a waiting gate's reminders and escalation. AWS: EventBridge
 * Scheduler one-time schedules (`at(...)`, deleted after they fire, and deleted when the gate closes) that
 * invoke the notify function (`shared/adapters/scheduler-gate-timers.ts`). Locally: in-process timers
 * (`infra/local/local-gate-timers.ts`), which do not survive a restart of the local stack.
 */
import { createHash } from 'node:crypto';

/** What a timer does when it fires. */
export interface GateTimerEvent {
  kind: 'gate-timer';
  action: 'remind' | 'escalate';
  /** The gate's partition run id: the run id, or `<runId>#I#<path>` for a gate inside a map item. */
  runId: string;
  nodeId: string;
  /** The reminder's sequence number (0 for the escalation). */
  seq: number;
}

/** Schedules and deletes gate timers by name. */
export interface GateTimers {
  /** Schedules `event` at `at` under `name`; an existing timer of that name is left as it is. */
  schedule(name: string, at: Date, event: GateTimerEvent): Promise<void>;
  /** Deletes timers; names that do not exist (fired, or never made) are ignored. */
  cancel(names: readonly string[]): Promise<void>;
}

/**
 * The timer name of a gate's reminder `seq` or its escalation: `braid-<24 hex of sha256(runId/nodeId)>-r<seq>` or
 * `-e`, within EventBridge Scheduler's 64 characters of `[0-9a-zA-Z-_.]`.
 */
export function gateTimerName(runId: string, nodeId: string, action: GateTimerEvent['action'], seq = 0): string {
  const hash = createHash('sha256').update(`${runId}/${nodeId}`).digest('hex').slice(0, 24);
  return action === 'escalate' ? `braid-${hash}-e` : `braid-${hash}-r${seq}`;
}

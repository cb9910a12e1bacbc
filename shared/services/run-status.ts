/**
 * The status machines of runs and nodes: from which statuses each status may be entered. Every status write
 * is conditional on these sets, so statuses never go backwards and a repeated delivery writes nothing.
 */
import type { NodeStatus, RunStatus } from '../model/types';
import { TERMINAL_NODE_STATUSES, TERMINAL_RUN_STATUSES } from '../model/types';

/** Node statuses a node may be in when it moves to the key status. */
export const NODE_ENTERED_FROM: Record<NodeStatus, readonly NodeStatus[]> = {
  pending: [],
  // `running` again: a new attempt after a timed-out one that never reported; from `waiting`: an agent's next turn after a reply.
  running: ['pending', 'retrying', 'running', 'waiting'],
  retrying: ['running'],
  waiting: ['pending', 'running', 'retrying'],
  succeeded: ['pending', 'running', 'retrying', 'waiting'],
  failed: ['pending', 'running', 'retrying', 'waiting'],
  skipped: ['pending'],
  cancelled: ['pending', 'running', 'retrying', 'waiting'],
};

/** Run statuses a run may be in when it moves to the key status. */
export const RUN_ENTERED_FROM: Record<RunStatus, readonly RunStatus[]> = {
  running: ['waiting'],
  waiting: ['running'],
  succeeded: ['running', 'waiting'],
  failed: ['running', 'waiting'],
  cancelled: ['running', 'waiting'],
  timed_out: ['running', 'waiting'],
};

/** True when a run status is final. */
export function isRunTerminal(status: RunStatus): boolean {
  return TERMINAL_RUN_STATUSES.includes(status);
}

/** True when a node status is final. */
export function isNodeTerminal(status: NodeStatus): boolean {
  return TERMINAL_NODE_STATUSES.includes(status);
}

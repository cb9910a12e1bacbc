/**
 * A gate's approval policy as pure rules: who may vote (listed users, `group:<name>` members from the token,
 * or, with no list, the owner and grantees of at least `minRole`; escalation approvers once escalated), whose
 * inboxes list the gate, and when the votes decide it (`quorum` distinct approvals approve; `rejectQuorum`
 * distinct rejections, default 1, reject).
 */
import type { HumanGateNodeDef } from '../definition/schema';
import type { Gate, GateVote, Run } from '../model/types';
import type { GateWithPrincipals } from '../store/gates';
import { roleAtLeast, type Caller, type EffectiveRole } from './permissions';

/** Prefix of a group approver. */
export const GROUP_PREFIX = 'group:';

/** The inbox principal of an approver entry: `group:<name>` as is, a user id as `user:<id>`. */
export function principalOf(approver: string): string {
  return approver.startsWith(GROUP_PREFIX) ? approver : `user:${approver}`;
}

/** The caller's principals: `user:<id>` and one `group:<name>` per group in the token. */
export function callerPrincipals(caller: Caller): string[] {
  return [`user:${caller.userId}`, ...(caller.groups ?? []).map((g) => `${GROUP_PREFIX}${g}`)];
}

/** Which entry of `approvers` makes the caller eligible (`user:<id>` or `group:<name>`), if any. */
function matchList(caller: Caller, approvers: readonly string[]): string | undefined {
  const mine = new Set(callerPrincipals(caller));
  for (const a of approvers) {
    const principal = principalOf(a);
    if (mine.has(principal)) return principal;
  }
  return undefined;
}

/**
 * The rule that lets the caller vote on the gate (`user:alice`, `group:finance`, `role:editor`, or any of them
 * prefixed `escalation:`), or `undefined`. `role` is the caller's role on the workflow (undefined: none).
 */
export function eligibility(caller: Caller, gate: Gate, role: EffectiveRole | undefined): string | undefined {
  if (gate.approvers.length > 0) {
    const listed = matchList(caller, gate.approvers);
    if (listed) return listed;
  } else if (roleAtLeast(role, gate.minRole ?? 'approver')) {
    return `role:${role}`;
  }
  if (gate.escalatedAt && gate.escalation) {
    const escalated = matchList(caller, gate.escalation.approvers);
    if (escalated) return `escalation:${escalated}`;
  }
  return undefined;
}

/** The inbox principals of a newly opened gate. */
export function openingPrincipals(gate: Pick<Gate, 'approvers' | 'workflowId'>, ownerId: string): string[] {
  if (gate.approvers.length > 0) return [...new Set(gate.approvers.map(principalOf))];
  return [`user:${ownerId}`, `wf:${gate.workflowId}`];
}

/** What the counted votes say: `approved`, `rejected`, or still `waiting`. */
export function tally(gate: Pick<Gate, 'quorum' | 'rejectQuorum' | 'approvals' | 'rejections'>): 'approved' | 'rejected' | 'waiting' {
  if ((gate.rejections ?? 0) >= (gate.rejectQuorum ?? 1)) return 'rejected';
  if ((gate.approvals ?? 0) >= (gate.quorum ?? 1)) return 'approved';
  return 'waiting';
}

/** The gate's votes, in the order they were cast (ties by voter id). */
export function votesInOrder(gate: Pick<Gate, 'votes'>): GateVote[] {
  return Object.values(gate.votes ?? {}).sort((a, b) => (a.at === b.at ? a.by.localeCompare(b.by) : a.at.localeCompare(b.at)));
}

/**
 * The vote that decided a gate that reached `outcome`: the `quorum`-th approval (or `rejectQuorum`-th rejection)
 * in the order votes were cast, so every racing voter names the same decider.
 */
export function decidingVote(gate: Pick<Gate, 'votes' | 'quorum' | 'rejectQuorum'>, outcome: 'approved' | 'rejected'): GateVote | undefined {
  const kind = outcome === 'approved' ? 'approve' : 'reject';
  const needed = outcome === 'approved' ? (gate.quorum ?? 1) : (gate.rejectQuorum ?? 1);
  const votes = votesInOrder(gate).filter((v) => v.decision === kind);
  return votes[needed - 1] ?? votes.at(-1);
}

/** The policy fields of a gate opened for `node` in `run` (everything but its times, token and inputs). */
export function gatePolicyRecord(node: HumanGateNodeDef, run: Pick<Run, 'workflowId' | 'startedBy' | 'ownerId'>): Omit<GateWithPrincipals, 'runId' | 'nodeId' | 'openedAt' | 'timeoutAt'> {
  const approvers = node.approvers ?? [];
  const gate: Omit<GateWithPrincipals, 'runId' | 'nodeId' | 'openedAt' | 'timeoutAt'> = {
    status: 'waiting', prompt: node.prompt, approvers, workflowId: run.workflowId, requester: run.startedBy,
    quorum: node.quorum ?? 1, rejectQuorum: node.rejectQuorum ?? 1, votes: {}, approvals: 0, rejections: 0,
    inboxPrincipals: openingPrincipals({ approvers, workflowId: run.workflowId }, run.ownerId),
  };
  if (node.forbidRequester) gate.forbidRequester = true;
  if (node.escalation) gate.escalation = { afterSeconds: node.escalation.afterSeconds, approvers: node.escalation.approvers };
  if (node.reminders) gate.reminderSeq = 1;
  return gate;
}

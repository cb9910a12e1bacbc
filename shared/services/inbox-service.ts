/**
 * The approvals inbox (`GET /api/v1/gates?status=waiting`): every open gate the caller may vote on, across
 * workflows and runs, oldest first. The caller's principals are `user:<id>`, one `group:<name>` per group in the
 * token, and `wf:<workflowId>` for each workflow where an unexpired grant gives at least `approver` (gates
 * without an approvers list). Each principal's inbox partition is read from the cursor's sort key on, the
 * results are merged by sort key, and each gate is read and checked again (still waiting, not timed out, the
 * caller eligible, not already voted, not the requester of a `forbidRequester` gate). Cost per page: one query
 * per principal plus one batch read; a page may hold fewer than `limit` gates when some fail the check.
 */
import * as z from 'zod';
import { ValidationError } from '../errors';
import type { Gate, Grant } from '../model/types';
import { decodeCursor, encodeCursor, type Page } from '../store/cursor';
import { isExpired } from '../store/grants';
import type { InboxEntry } from '../store/inbox';
import type { RunStores } from './execution-context';
import { callerPrincipals, eligibility } from './gate-policy';
import { roleAtLeast, type Caller, type EffectiveRole } from './permissions';
import { gateView, type GateView } from './run-views';
import { zodIssues } from './zod-issues';
import { splitPartitionRunId } from '../store/map-items';
import { isRunTerminal } from './run-status';

const InboxQuerySchema = z.object({
  status: z.literal('waiting').default('waiting'),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(4_096).optional(),
});

/** Most grants read to find the caller's `wf:` principals. */
export const MAX_INBOX_GRANTS = 1_000;

const LISTING = 'gates:waiting';

/** One open gate in the inbox: the gate view plus where it is (`item`/`itemPath` for a gate inside a map item). */
export type InboxItem = GateView & { workflowId: string; workflowName?: string };

/** Builds the inbox service. */
export function createInboxService(deps: RunStores) {
  async function grantsOf(userId: string): Promise<Grant[]> {
    const grants: Grant[] = [];
    let startKey: Record<string, string> | undefined;
    do {
      const page = await deps.store.grants.listByUser(userId, 200, startKey);
      grants.push(...page.grants);
      startKey = page.lastKey;
    } while (startKey && grants.length < MAX_INBOX_GRANTS);
    return grants;
  }

  return {
    /** One page of the caller's inbox. */
    async list(caller: Caller, query: Record<string, string | undefined>): Promise<Page<InboxItem>> {
      const parsed = InboxQuerySchema.safeParse(query);
      if (!parsed.success) throw new ValidationError(zodIssues(parsed.error, '/query'));
      const { limit, cursor } = parsed.data;
      const after = decodeCursor(LISTING, cursor).key?.SK;
      const now = deps.clock?.() ?? new Date();
      const roles = new Map<string, EffectiveRole>();
      for (const g of await grantsOf(caller.userId)) if (!isExpired(g, now)) roles.set(g.workflowId, g.role);
      const principals = [...callerPrincipals(caller), ...[...roles].filter(([, r]) => roleAtLeast(r, 'approver')).map(([wf]) => `wf:${wf}`)];

      const pages = await Promise.all(principals.map((p) => deps.inbox.list(p, limit, after)));
      const merged = new Map<string, InboxEntry>();
      for (const entry of pages.flatMap((p) => p.entries).sort((a, b) => a.sortKey.localeCompare(b.sortKey))) merged.set(entry.sortKey, entry);
      const window = [...merged.values()].slice(0, limit);
      // More may follow when a partition was cut at `limit` or the merge had more than a page.
      const more = merged.size > limit || pages.some((p) => p.more);
      const gates = new Map((await deps.inbox.gates(window)).map((g) => [`${g.runId}#${g.nodeId}`, g] as const));
      const workflows = new Map<string, { name: string; ownerId: string } | undefined>();
      const runsActive = new Map<string, boolean>();
      const items: InboxItem[] = [];
      for (const entry of window) {
        const gate = gates.get(`${entry.runId}#${entry.nodeId}`);
        if (!gate || !(await open(caller, gate, now))) continue;
        // A gate inside a map item (its entry's run id is the item's partition) stays open in the store when its
        // run ends (only the run's own gates are closed then): it leaves the inbox with its run.
        const { runId, item } = splitPartitionRunId(entry.runId);
        if (item !== undefined) {
          if (!runsActive.has(runId)) {
            const status = await deps.store.runs.getStatus(runId);
            runsActive.set(runId, status !== undefined && !isRunTerminal(status));
          }
          if (!runsActive.get(runId)) continue;
        }
        if (!workflows.has(entry.workflowId)) {
          const wf = await deps.store.workflows.get(entry.workflowId);
          workflows.set(entry.workflowId, wf && !wf.deletedAt ? { name: wf.name, ownerId: wf.ownerId } : undefined);
        }
        const wf = workflows.get(entry.workflowId);
        if (!wf) continue;
        const role: EffectiveRole | undefined = wf.ownerId === caller.userId ? 'owner' : roles.get(entry.workflowId);
        if (!eligibility(caller, gate, role)) continue;
        items.push({ ...gateView(gate), workflowId: entry.workflowId, workflowName: wf.name });
      }
      const last = window.at(-1);
      return { items, ...(more && last ? { nextCursor: encodeCursor(LISTING, { phase: 0, key: { SK: last.sortKey } }) } : {}) };
    },
  };

  /** True when the gate still takes the caller's vote. */
  async function open(caller: Caller, gate: Gate, now: Date): Promise<boolean> {
    if (gate.status !== 'waiting' || gate.timeoutAt <= now.toISOString()) return false;
    if (gate.votes?.[caller.userId]) return false;
    return !(gate.forbidRequester && gate.requester === caller.userId);
  }
}

/** The inbox service. */
export type InboxService = ReturnType<typeof createInboxService>;

/**
 * The approvals inbox (`GET /api/v1/gates?status=waiting[&kind=gate|question]`): every open gate the caller may
 * vote on and every agent's question they may answer, across workflows and runs, oldest first. The caller's principals are `user:<id>`, one `group:<name>` per group in the
 * token, and `wf:<workflowId>` for each workflow where an unexpired grant gives at least `approver` (gates
 * without an approvers list). Each principal's inbox partition is read from the cursor's sort key on, the
 * results are merged by sort key, and each gate is read and checked again (still waiting, not timed out, the
 * caller eligible, not already voted, not the requester of a `forbidRequester` gate), each question too (the same
 * question still open, its node waiting, its run going on, the caller at least `approver`). Cost per page: one
 * query per principal plus one batch read; a page may hold fewer than `limit` items when some fail the check.
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
import { itemIndex } from './map-scope';

const InboxQuerySchema = z.object({
  status: z.literal('waiting').default('waiting'),
  /** Only gates, or only questions. @default both */
  kind: z.enum(['gate', 'question']).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(4_096).optional(),
});

/** Most grants read to find the caller's `wf:` principals. */
export const MAX_INBOX_GRANTS = 1_000;

const LISTING = 'gates:waiting';

/** One open gate in the inbox: the gate view plus where it is (`item`/`itemPath` for a gate inside a map item). */
export type GateInboxItem = GateView & { kind: 'gate'; workflowId: string; workflowName?: string };

/** One agent's question in the inbox: answer it with `POST …/runs/{runId}/nodes/{nodeId}/reply[?item=<itemPath>]`. */
export interface QuestionInboxItem {
  kind: 'question';
  runId: string;
  nodeId: string;
  /** Inside a map item: its index (the last one of a nested path). */
  item?: number;
  /** Inside a map item: its path (`"7"`, `"3.5"`), what `?item=` takes. */
  itemPath?: string;
  workflowId: string;
  workflowName?: string;
  /** Always `waiting` (the inbox lists only what waits). */
  status: 'waiting';
  /** What the agent asked (text and data each at most 12 KiB, as on the node). */
  question: { text: string; data: unknown; turn: number };
  askedAt: string;
}

/** One entry of the inbox: a gate (`kind: "gate"`, the gate view as before) or an agent's question. */
export type InboxItem = GateInboxItem | QuestionInboxItem;

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
      const { limit, cursor, kind } = parsed.data;
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
      // The kind filter applies after the window, so the cursor still moves past entries of the other kind.
      const wanted = window.filter((e) => kind === undefined || e.kind === kind);
      const [gates, questions] = await Promise.all([
        deps.inbox.gates(wanted.filter((e) => e.kind === 'gate')).then((list) => new Map(list.map((g) => [`${g.runId}#${g.nodeId}`, g] as const))),
        deps.inbox.questions(wanted.filter((e) => e.kind === 'question')),
      ]);
      const workflows = new Map<string, { name: string; ownerId: string } | undefined>();
      const runsActive = new Map<string, boolean>();
      const runActive = async (runId: string): Promise<boolean> => {
        if (!runsActive.has(runId)) {
          const status = await deps.store.runs.getStatus(runId);
          runsActive.set(runId, status !== undefined && !isRunTerminal(status));
        }
        return runsActive.get(runId) ?? false;
      };
      const items: InboxItem[] = [];
      for (const entry of wanted) {
        const { runId, item } = splitPartitionRunId(entry.runId);
        let candidate: InboxItem | undefined;
        let gate: Gate | undefined;
        if (entry.kind === 'gate') {
          gate = gates.get(`${entry.runId}#${entry.nodeId}`);
          if (!gate || !(await open(caller, gate, now))) continue;
          // A gate inside a map item opened before runs closed their items' gates (no open-wait item) may outlive its run.
          if (item !== undefined && !(await runActive(runId))) continue;
        } else {
          const state = questions.get(`${entry.runId}#${entry.nodeId}`);
          const q = state?.question;
          // The entry is for this very question (a later question has its own), which still waits for a reply.
          if (!q || q.askedAt !== entry.openedAt || (q.status !== 'asked' && q.status !== 'waiting') || state.nodeStatus !== 'waiting') continue;
          if (entry.timeoutAt !== undefined && entry.timeoutAt <= now.toISOString()) continue;
          if (!(await runActive(runId))) continue;
          candidate = {
            kind: 'question', runId, nodeId: entry.nodeId, ...(item !== undefined ? { item: itemIndex(item), itemPath: item } : {}),
            workflowId: entry.workflowId, status: 'waiting', question: { text: q.question.text, data: q.question.data ?? null, turn: q.turn }, askedAt: q.askedAt,
          };
        }
        if (!workflows.has(entry.workflowId)) {
          const wf = await deps.store.workflows.get(entry.workflowId);
          workflows.set(entry.workflowId, wf && !wf.deletedAt ? { name: wf.name, ownerId: wf.ownerId } : undefined);
        }
        const wf = workflows.get(entry.workflowId);
        if (!wf) continue;
        const role: EffectiveRole | undefined = wf.ownerId === caller.userId ? 'owner' : roles.get(entry.workflowId);
        if (gate) {
          if (!eligibility(caller, gate, role)) continue;
          items.push({ ...gateView(gate), kind: 'gate', workflowId: entry.workflowId, workflowName: wf.name });
        } else if (candidate && roleAtLeast(role, 'approver')) {
          // Who may reply: the rule of a gate without an approvers list (reply-service.ts).
          items.push({ ...candidate, workflowName: wf.name });
        }
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

/**
 * The approvals inbox index: one small item per (principal, open wait), `INBOX#<principal>` /
 * `<openedAt>#<runId>#<nodeId>`, so "everything waiting for me, oldest first" is a handful of key-range queries
 * (one per principal of the caller) merged by sort key, never a scan. A wait is a gate (`kind: "gate"`, entries
 * written before kinds existed have none) or an agent's question (`kind: "question"`). A principal is `user:<id>`,
 * `group:<name>`, or `wf:<workflowId>` (the workflow's grantees, for gates without an approvers list and questions).
 * Entries are written when the wait opens (and for escalation approvers when a gate escalates) and deleted when it
 * closes; readers still check the gate or question itself, so a late delete never shows a closed one.
 *
 * Each opening also writes one *open-wait* item in its run's partition (`RUN#<runId>` / `WAIT#<partition>#<nodeId>#
 * <openedAt>`, in the same batch as the entries), deleted with them: closing a run lists what still waits in it,
 * inside its map items too, with one query of its open waits, however many items its maps have.
 */
import { BatchGetCommand, BatchWriteCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Gate, NodeStatus } from '../model/types';
import { keys, partitions, sortPrefixes, type TableRef } from './table';
import { storeCall } from './errors';
import { queryPage, stripKeys } from './query';
import { splitPartitionRunId } from './map-items';
import type { NodeQuestion } from './node-questions';
import type { PageKey } from './cursor';

/** What waits for a person: a human gate's decision, or an agent's question. */
export type WaitKind = 'gate' | 'question';

/** An inbox entry: where the wait is. */
export interface InboxEntry {
  principal: string;
  sortKey: string;
  kind: WaitKind;
  /** The partition run id of the gate or question (`<runId>#I#<path>` inside a map item). */
  runId: string;
  nodeId: string;
  workflowId: string;
  openedAt: string;
  /** Past this (ISO), the wait cannot be answered any more (a gate's `timeoutAt`; a question's latest deadline). */
  timeoutAt?: string;
}

/** A wait as the index writes it. */
export interface IndexedWait {
  kind?: WaitKind;
  /** The partition run id (`<runId>#I#<path>` inside a map item). */
  runId: string;
  nodeId: string;
  workflowId: string;
  openedAt: string;
  timeoutAt: string;
}

/** An open wait of a run, as its run partition lists it. */
export interface OpenWait {
  kind: WaitKind;
  /** The partition run id of the gate or question. */
  partition: string;
  nodeId: string;
  openedAt: string;
  workflowId: string;
  /** The principals whose inboxes list it (questions; a gate keeps its own list on the gate). */
  principals: string[];
}

/** A question and its node's status, as the inbox checks them. */
export interface QuestionState {
  question?: NodeQuestion;
  nodeStatus?: NodeStatus;
}

/** Writes, lists and removes inbox entries. */
export class InboxRepository {
  constructor(private readonly table: TableRef) {}

  /**
   * Adds the wait to each principal's inbox (idempotent: the same key is overwritten with the same item). With
   * `open`, also writes the run's open-wait item (a wait that opens; an escalation only adds principals).
   */
  async add(wait: IndexedWait, principals: readonly string[], options: { open?: boolean } = {}): Promise<void> {
    const kind = wait.kind ?? 'gate';
    const ttl = Math.floor(Date.parse(wait.timeoutAt) / 1000) + 86_400;
    const fields = { runId: wait.runId, nodeId: wait.nodeId, workflowId: wait.workflowId, openedAt: wait.openedAt, timeoutAt: wait.timeoutAt, kind };
    const puts: Record<string, unknown>[] = principals.map((principal) => ({
      PutRequest: { Item: { ...keys.inboxEntry(principal, wait.openedAt, wait.runId, wait.nodeId), entity: 'inbox', principal, ...fields, ttl } },
    }));
    if (options.open) {
      const { runId } = splitPartitionRunId(wait.runId);
      puts.push({ PutRequest: { Item: { ...keys.openWait(runId, wait.runId, wait.nodeId, wait.openedAt), entity: 'wait', ...fields, partition: wait.runId, principals: [...principals], ttl } } });
    }
    await this.batchWrite(puts);
  }

  /** Removes the wait from each principal's inbox, and its run's open-wait item. */
  async remove(wait: Pick<Gate, 'runId' | 'nodeId' | 'openedAt'>, principals: readonly string[]): Promise<void> {
    const { runId } = splitPartitionRunId(wait.runId);
    await this.batchWrite([
      ...principals.map((principal) => ({ DeleteRequest: { Key: keys.inboxEntry(principal, wait.openedAt, wait.runId, wait.nodeId) } })),
      { DeleteRequest: { Key: keys.openWait(runId, wait.runId, wait.nodeId, wait.openedAt) } },
    ]);
  }

  /** One page (up to 100) of the open waits of run `runId`, in its map items too; pass `lastKey` on for the next. */
  async openWaits(runId: string, startKey?: PageKey): Promise<{ waits: OpenWait[]; lastKey?: PageKey }> {
    const page = await queryPage(this.table, { index: 'table', partition: partitions.run(runId), sortPrefix: sortPrefixes.openWait, ascending: true, limit: 100, consistent: true, ...(startKey ? { startKey } : {}) });
    const waits = page.items.map((item) => ({
      kind: (item.kind === 'question' ? 'question' : 'gate') as WaitKind, partition: String(item.partition), nodeId: String(item.nodeId), openedAt: String(item.openedAt),
      workflowId: String(item.workflowId), principals: Array.isArray(item.principals) ? item.principals.map(String) : [],
    }));
    return { waits, ...(page.lastKey ? { lastKey: page.lastKey } : {}) };
  }

  /** Up to `limit` entries of one principal with a sort key after `after`, oldest first. */
  async list(principal: string, limit: number, after?: string): Promise<{ entries: InboxEntry[]; more: boolean }> {
    const out = await storeCall(() =>
      this.table.client.send(new QueryCommand({
        TableName: this.table.tableName,
        KeyConditionExpression: after === undefined ? 'PK = :pk' : 'PK = :pk AND SK > :after',
        ExpressionAttributeValues: { ':pk': `INBOX#${principal}`, ...(after === undefined ? {} : { ':after': after }) },
        ScanIndexForward: true,
        Limit: limit,
        ConsistentRead: true,
      })),
    );
    const entries = (out.Items ?? []).map((item): InboxEntry => ({
      principal, sortKey: String(item.SK), kind: item.kind === 'question' ? 'question' : 'gate', runId: String(item.runId), nodeId: String(item.nodeId),
      workflowId: String(item.workflowId), openedAt: String(item.openedAt), ...(typeof item.timeoutAt === 'string' ? { timeoutAt: item.timeoutAt } : {}),
    }));
    return { entries, more: out.LastEvaluatedKey !== undefined };
  }

  /** Reads gates (without their tokens) by (run, node), strongly consistent; missing ones are left out. */
  async gates(refs: ReadonlyArray<{ runId: string; nodeId: string }>): Promise<Array<Gate & { inputs?: Record<string, unknown> }>> {
    const items = await this.batchGet(refs.map((r) => keys.gate(r.runId, r.nodeId)));
    return items.map((item) => {
      const { taskToken: _t, tokenAttempt: _a, ...rest } = stripKeys(item);
      return rest as unknown as Gate;
    });
  }

  /**
   * Reads questions (without their tokens) and their nodes' statuses by (partition run id, node), strongly
   * consistent, keyed `<runId>#<nodeId>`.
   */
  async questions(refs: ReadonlyArray<{ runId: string; nodeId: string }>): Promise<Map<string, QuestionState>> {
    // Which ref and which of its two items each key is.
    const wanted = new Map<string, { ref: string; question: boolean }>();
    const all: Array<Record<string, string>> = [];
    for (const r of refs) {
      for (const [key, question] of [[keys.nodeQuestion(r.runId, r.nodeId), true], [keys.nodeRun(r.runId, r.nodeId), false]] as const) {
        wanted.set(`${key.PK}\n${key.SK}`, { ref: `${r.runId}#${r.nodeId}`, question });
        all.push(key);
      }
    }
    const states = new Map<string, QuestionState>();
    for (const item of await this.batchGet(all)) {
      const which = wanted.get(`${String(item.PK)}\n${String(item.SK)}`);
      if (!which) continue;
      const state = states.get(which.ref) ?? {};
      if (which.question) {
        const { taskToken: _t, reply: _r, ...rest } = stripKeys(item);
        state.question = rest as unknown as NodeQuestion;
      } else state.nodeStatus = item.status as NodeStatus;
      states.set(which.ref, state);
    }
    return states;
  }

  /** Strongly consistent batch read (100 keys a call, unprocessed keys retried); missing items are left out. */
  private async batchGet(all: ReadonlyArray<Record<string, string>>): Promise<Record<string, unknown>[]> {
    const found: Record<string, unknown>[] = [];
    for (let i = 0; i < all.length; i += 100) {
      let request: Record<string, { Keys: Record<string, string>[]; ConsistentRead: boolean }> | undefined = {
        [this.table.tableName]: { Keys: all.slice(i, i + 100), ConsistentRead: true },
      };
      for (let round = 0; request && round < 8; round += 1) {
        const out = await storeCall(() => this.table.client.send(new BatchGetCommand({ RequestItems: request })));
        found.push(...((out.Responses?.[this.table.tableName] ?? []) as Record<string, unknown>[]));
        const unprocessed = out.UnprocessedKeys?.[this.table.tableName];
        request = unprocessed?.Keys?.length ? { [this.table.tableName]: { Keys: unprocessed.Keys as Record<string, string>[], ConsistentRead: true } } : undefined;
      }
    }
    return found;
  }

  private async batchWrite(requests: Record<string, unknown>[]): Promise<void> {
    for (let i = 0; i < requests.length; i += 25) {
      let pending: Record<string, unknown>[] = requests.slice(i, i + 25);
      for (let round = 0; pending.length > 0 && round < 8; round += 1) {
        const out = await storeCall(() => this.table.client.send(new BatchWriteCommand({ RequestItems: { [this.table.tableName]: pending as never } })));
        pending = (out.UnprocessedItems?.[this.table.tableName] ?? []) as Record<string, unknown>[];
      }
    }
  }
}

/**
 * The approvals inbox index: one small item per (principal, open gate), `INBOX#<principal>` /
 * `<openedAt>#<runId>#<nodeId>`, so "every open gate I may vote on, oldest first" is a handful of key-range
 * queries (one per principal of the caller) merged by sort key, never a scan. A principal is `user:<id>`,
 * `group:<name>`, or `wf:<workflowId>` (the workflow's grantees, for gates without an approvers list).
 * Entries are written when the gate opens (and for escalation approvers when it escalates) and deleted when it
 * closes; readers still check the gate itself, so a late delete never shows a closed gate.
 */
import { BatchGetCommand, BatchWriteCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Gate } from '../model/types';
import { keys, type TableRef } from './table';
import { storeCall } from './errors';
import { stripKeys } from './query';

/** An inbox entry: where the gate is. */
export interface InboxEntry {
  principal: string;
  sortKey: string;
  runId: string;
  nodeId: string;
  workflowId: string;
  openedAt: string;
}

/** Writes, lists and removes inbox entries. */
export class InboxRepository {
  constructor(private readonly table: TableRef) {}

  /** Adds the gate to each principal's inbox (idempotent: the same key is overwritten with the same item). */
  async add(gate: Pick<Gate, 'runId' | 'nodeId' | 'openedAt' | 'timeoutAt'> & { workflowId: string }, principals: readonly string[]): Promise<void> {
    const ttl = Math.floor(Date.parse(gate.timeoutAt) / 1000) + 86_400;
    const puts = principals.map((principal) => ({
      PutRequest: { Item: { ...keys.inboxEntry(principal, gate.openedAt, gate.runId, gate.nodeId), entity: 'inbox', principal, runId: gate.runId, nodeId: gate.nodeId, workflowId: gate.workflowId, openedAt: gate.openedAt, ttl } },
    }));
    await this.batchWrite(puts);
  }

  /** Removes the gate from each principal's inbox. */
  async remove(gate: Pick<Gate, 'runId' | 'nodeId' | 'openedAt'>, principals: readonly string[]): Promise<void> {
    await this.batchWrite(principals.map((principal) => ({ DeleteRequest: { Key: keys.inboxEntry(principal, gate.openedAt, gate.runId, gate.nodeId) } })));
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
    const entries = (out.Items ?? []).map((item) => ({
      principal, sortKey: String(item.SK), runId: String(item.runId), nodeId: String(item.nodeId), workflowId: String(item.workflowId), openedAt: String(item.openedAt),
    }));
    return { entries, more: out.LastEvaluatedKey !== undefined };
  }

  /** Reads gates (without their tokens) by (run, node), strongly consistent; missing ones are left out. */
  async gates(refs: ReadonlyArray<{ runId: string; nodeId: string }>): Promise<Array<Gate & { inputs?: Record<string, unknown> }>> {
    const found: Array<Gate & { inputs?: Record<string, unknown> }> = [];
    for (let i = 0; i < refs.length; i += 100) {
      let request: Record<string, { Keys: Record<string, string>[]; ConsistentRead: boolean }> | undefined = {
        [this.table.tableName]: { Keys: refs.slice(i, i + 100).map((r) => keys.gate(r.runId, r.nodeId)), ConsistentRead: true },
      };
      for (let round = 0; request && round < 8; round += 1) {
        const out = await storeCall(() => this.table.client.send(new BatchGetCommand({ RequestItems: request })));
        for (const item of out.Responses?.[this.table.tableName] ?? []) {
          const { taskToken: _t, tokenAttempt: _a, ...rest } = stripKeys(item as Record<string, unknown>);
          found.push(rest as unknown as Gate);
        }
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

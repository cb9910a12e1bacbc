/**
 * Grant repository: a role on a workflow for a user (`WF#<id>` / `GRANT#<userId>`), listed by workflow
 * (base table) and by user (GSI1). Expired grants are kept until TTL removes them; readers check `expiresAt`.
 */
import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Grant } from '../model/types';
import { gsi1Keys, keys, partitions, sortPrefixes, type TableRef } from './table';
import { storeCall } from './errors';
import { queryPage, stripKeys, type RawPage } from './query';
import type { PageKey } from './cursor';

/** Most grants one workflow may hold (bounds the permissions listing). */
export const MAX_GRANTS_PER_WORKFLOW = 1_000;

function toGrant(item: Record<string, unknown>): Grant {
  return stripKeys(item) as unknown as Grant;
}

/** True when the grant has an `expiresAt` at or before `now`. */
export function isExpired(grant: Grant, now: Date): boolean {
  return grant.expiresAt !== undefined && Date.parse(grant.expiresAt) <= now.getTime();
}

/** Puts, reads, lists and removes grants. */
export class GrantRepository {
  constructor(private readonly table: TableRef) {}

  /** Creates or replaces the user's grant on the workflow. */
  async put(grant: Grant): Promise<void> {
    const ttl = grant.expiresAt ? { ttl: Math.ceil(Date.parse(grant.expiresAt) / 1000) + 86_400 } : {};
    await storeCall(() =>
      this.table.client.send(
        new PutCommand({
          TableName: this.table.tableName,
          Item: {
            ...keys.grant(grant.workflowId, grant.userId),
            entity: 'grant',
            ...gsi1Keys.grantByUser(grant.userId, grant.workflowId),
            ...grant,
            ...ttl,
          },
        }),
      ),
    );
  }

  /** Reads a grant, expired or not (strongly consistent). */
  async get(workflowId: string, userId: string): Promise<Grant | undefined> {
    const out = await storeCall(() =>
      this.table.client.send(new GetCommand({ TableName: this.table.tableName, Key: keys.grant(workflowId, userId), ConsistentRead: true })),
    );
    return out.Item ? toGrant(out.Item) : undefined;
  }

  /** Removes a grant; returns whether one existed. */
  async delete(workflowId: string, userId: string): Promise<boolean> {
    const out = await storeCall(() =>
      this.table.client.send(
        new DeleteCommand({ TableName: this.table.tableName, Key: keys.grant(workflowId, userId), ReturnValues: 'ALL_OLD' }),
      ),
    );
    return out.Attributes !== undefined;
  }

  /** Every grant on a workflow (expired ones included), in user-id order. */
  async listByWorkflow(workflowId: string): Promise<Grant[]> {
    const grants: Grant[] = [];
    let startKey: PageKey | undefined;
    do {
      const page = await queryPage(this.table, {
        index: 'table', partition: partitions.workflow(workflowId), sortPrefix: sortPrefixes.grant, ascending: true, limit: 500, startKey, consistent: true,
      });
      grants.push(...page.items.map(toGrant));
      startKey = page.lastKey;
    } while (startKey && grants.length < MAX_GRANTS_PER_WORKFLOW);
    return grants;
  }

  /** One page of a user's grants (expired ones included), by workflow id. */
  async listByUser(userId: string, limit: number, startKey?: PageKey): Promise<RawPage & { grants: Grant[] }> {
    const page = await queryPage(this.table, { index: 'GSI1', partition: partitions.user(userId), sortPrefix: sortPrefixes.grant, ascending: true, limit, startKey });
    return { ...page, grants: page.items.map(toGrant) };
  }
}

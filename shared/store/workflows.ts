/**
 * Workflow repository: the head item (`META`) and immutable version items (`V#<00000001>`).
 * Writes are ordered so a crash leaves nothing half-visible: the version item first, then the head's
 * `latestVersion` bump on condition. A version item newer than the head is invisible (reads go through
 * the head) and may be overwritten by the next writer once it is stale.
 */
import { BatchGetCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { WorkflowContract } from '../contract/node-contract';
import type { Workflow, WorkflowVersion } from '../model/types';
import { NotFoundError } from '../errors';
import { gsi1Keys, keys, partitions, sortPrefixes, type TableRef } from './table';
import { storeCall } from './errors';
import { queryPage, stripKeys, type RawPage } from './query';
import type { PageKey } from './cursor';

/**
 * How long an unreferenced version item (left by a crash) blocks the next version number. Longer than any
 * Lambda can run, so a live writer's version is never taken for a leftover.
 */
export const ORPHAN_VERSION_STALE_MS = 15 * 60_000;

/** The fields of a head that an update may change. */
export type WorkflowHeadPatch = Pick<Workflow, 'name' | 'visibility' | 'isTemplate' | 'updatedAt'> & { description?: string };

function ownerIndex(w: Workflow): Record<string, string> {
  return gsi1Keys.workflowByOwner(w.ownerId, w.updatedAt, w.id);
}

function catalogIndex(w: Workflow): Record<string, string> {
  if (w.isTemplate) return { GSI2PK: 'TEMPLATE', GSI2SK: `${w.createdAt}#${w.id}` };
  if (w.visibility === 'public') return { GSI2PK: 'PUBLIC', GSI2SK: `${w.createdAt}#${w.id}` };
  return {};
}

/** Maps a head item to a `Workflow`. */
export function toWorkflow(item: Record<string, unknown>): Workflow {
  return stripKeys(item) as unknown as Workflow;
}

/** Maps a version item to a `WorkflowVersion` (server-only fields included: callers strip them). */
export function toVersion(item: Record<string, unknown>): WorkflowVersion {
  const { contractGz, ...rest } = stripKeys(item) as Record<string, unknown> & { contractGz?: Uint8Array };
  const version = rest as unknown as WorkflowVersion;
  return contractGz ? { ...version, contract: decodeContract(contractGz) } : version;
}

/**
 * The contract is stored gzipped (a binary attribute): as JSON it can reach hundreds of KB for a 500-node
 * workflow, and the version item (definition included) must stay under DynamoDB's 400 KB.
 */
function encodeContract(contract: WorkflowContract): Uint8Array {
  return gzipSync(Buffer.from(JSON.stringify(contract)));
}

function decodeContract(bytes: Uint8Array): WorkflowContract {
  return JSON.parse(gunzipSync(bytes).toString('utf8')) as WorkflowContract;
}

/** Creates, reads, versions, lists and soft-deletes workflows. */
export class WorkflowRepository {
  constructor(private readonly table: TableRef) {}

  /** Stores version 1, then the head; fails with a conflict if the id is taken. */
  async create(head: Workflow, first: WorkflowVersion): Promise<void> {
    await this.putVersion(first);
    await storeCall(
      () =>
        this.table.client.send(
          new PutCommand({
            TableName: this.table.tableName,
            Item: { ...keys.workflow(head.id), entity: 'workflow', ...head, ...ownerIndex(head), ...catalogIndex(head) },
            ConditionExpression: 'attribute_not_exists(PK)',
          }),
        ),
      { reason: 'workflow_exists', message: `workflow ${head.id} already exists` },
    );
  }

  /** Reads a head (strongly consistent); deleted heads are returned too, callers decide. */
  async get(id: string): Promise<Workflow | undefined> {
    const out = await storeCall(() =>
      this.table.client.send(new GetCommand({ TableName: this.table.tableName, Key: keys.workflow(id), ConsistentRead: true })),
    );
    return out.Item ? toWorkflow(out.Item) : undefined;
  }

  /** Reads heads by id (missing ids are left out); order follows `ids`. */
  async getMany(ids: readonly string[]): Promise<Workflow[]> {
    const found = new Map<string, Workflow>();
    for (let i = 0; i < ids.length; i += 100) {
      let pending: Record<string, unknown>[] | undefined = ids.slice(i, i + 100).map((id) => keys.workflow(id));
      for (let round = 0; pending && pending.length > 0 && round < 5; round++) {
        const request: Record<string, unknown>[] = pending;
        const out = await storeCall(() =>
          this.table.client.send(new BatchGetCommand({ RequestItems: { [this.table.tableName]: { Keys: request } } })),
        );
        for (const item of out.Responses?.[this.table.tableName] ?? []) found.set(String(item.id), toWorkflow(item));
        pending = out.UnprocessedKeys?.[this.table.tableName]?.Keys as Record<string, unknown>[] | undefined;
      }
    }
    return ids.flatMap((id) => (found.has(id) ? [found.get(id)!] : []));
  }

  /** Reads one version; `undefined` if it does not exist or is not yet referenced by the head. */
  async getVersion(head: Workflow, version: number): Promise<WorkflowVersion | undefined> {
    if (version < 1 || version > head.latestVersion) return undefined;
    const out = await storeCall(() =>
      this.table.client.send(
        new GetCommand({ TableName: this.table.tableName, Key: keys.workflowVersion(head.id, version), ConsistentRead: true }),
      ),
    );
    return out.Item ? toVersion(out.Item) : undefined;
  }

  /**
   * Adds version `head.latestVersion + 1` and bumps the head on condition that nobody else did.
   * Throws `VersionConflictError` when another writer won.
   */
  async addVersion(head: Workflow, next: WorkflowVersion, patch: WorkflowHeadPatch): Promise<Workflow> {
    if (next.version !== head.latestVersion + 1) throw new RangeError('next.version must be head.latestVersion + 1');
    await this.putVersion(next);
    const updated: Workflow = { ...head, ...patch, latestVersion: next.version };
    if (patch.description === undefined) delete updated.description;
    const catalog = catalogIndex(updated);
    const names: Record<string, string> = { '#lv': 'latestVersion', '#name': 'name', '#vis': 'visibility', '#tpl': 'isTemplate', '#ua': 'updatedAt', '#desc': 'description' };
    const values: Record<string, unknown> = {
      ':prev': head.latestVersion, ':lv': next.version, ':name': updated.name, ':vis': updated.visibility,
      ':tpl': updated.isTemplate, ':ua': updated.updatedAt, ...Object.fromEntries(Object.entries(ownerIndex(updated)).map(([k, v]) => [`:${k}`, v])),
    };
    const set = ['#lv = :lv', '#name = :name', '#vis = :vis', '#tpl = :tpl', '#ua = :ua', 'GSI1PK = :GSI1PK', 'GSI1SK = :GSI1SK'];
    const remove: string[] = [];
    if (updated.description === undefined) remove.push('#desc');
    else {
      set.push('#desc = :desc');
      values[':desc'] = updated.description;
    }
    if (catalog.GSI2PK) {
      set.push('GSI2PK = :GSI2PK', 'GSI2SK = :GSI2SK');
      values[':GSI2PK'] = catalog.GSI2PK;
      values[':GSI2SK'] = catalog.GSI2SK;
    } else remove.push('GSI2PK', 'GSI2SK');
    await storeCall(() =>
      this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: keys.workflow(head.id),
          UpdateExpression: `SET ${set.join(', ')}${remove.length ? ` REMOVE ${remove.join(', ')}` : ''}`,
          ConditionExpression: '#lv = :prev AND attribute_not_exists(deletedAt)',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      ),
    );
    return updated;
  }

  /** Marks a workflow deleted and drops it from every listing; a second delete is a 404. */
  async softDelete(id: string, deletedAt: string): Promise<void> {
    await storeCall(
      () =>
        this.table.client.send(
          new UpdateCommand({
            TableName: this.table.tableName,
            Key: keys.workflow(id),
            UpdateExpression: 'SET deletedAt = :at REMOVE GSI1PK, GSI1SK, GSI2PK, GSI2SK',
            ConditionExpression: 'attribute_exists(PK) AND attribute_not_exists(deletedAt)',
            ExpressionAttributeValues: { ':at': deletedAt },
          }),
        ),
      () => new NotFoundError('workflow', id),
    );
  }

  /** One page of a workflow's version items, newest first (unreferenced versions included: filter by the head). */
  listVersions(id: string, limit: number, startKey?: PageKey): Promise<RawPage> {
    return queryPage(this.table, { index: 'table', partition: partitions.workflow(id), sortPrefix: sortPrefixes.version, limit, startKey, consistent: true });
  }

  /** One page of an owner's live workflows, most recently updated first. */
  listByOwner(ownerId: string, limit: number, startKey?: PageKey): Promise<RawPage> {
    return queryPage(this.table, { index: 'GSI1', partition: partitions.owner(ownerId), sortPrefix: sortPrefixes.ownedWorkflow, limit, startKey });
  }

  /** One page of the public catalogue or of templates, newest first. */
  listCatalog(kind: 'PUBLIC' | 'TEMPLATE', limit: number, startKey?: PageKey): Promise<RawPage> {
    return queryPage(this.table, { index: 'GSI2', partition: kind, limit, startKey });
  }

  private async putVersion(v: WorkflowVersion): Promise<void> {
    const versionItem = ({ contract, ...rest }: WorkflowVersion) => ({ ...rest, ...(contract ? { contractGz: encodeContract(contract) } : {}) });
    const stale = new Date(Date.now() - ORPHAN_VERSION_STALE_MS).toISOString();
    await storeCall(() =>
      this.table.client.send(
        new PutCommand({
          TableName: this.table.tableName,
          Item: { ...keys.workflowVersion(v.workflowId, v.version), entity: 'version', ...versionItem(v) },
          // A version item older than the head that nobody references is a crash leftover: reuse its number.
          ConditionExpression: 'attribute_not_exists(PK) OR createdAt < :stale',
          ExpressionAttributeValues: { ':stale': stale },
        }),
      ),
    );
  }
}

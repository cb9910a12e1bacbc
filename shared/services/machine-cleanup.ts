/**
 * State machine housekeeping through the orchestrator port: Step Functions keeps at most 1,000 versions per state
 * machine, and a deleted workflow's machine would otherwise stay forever.
 * - After a publish, versions older than the newest `KEEP_LATEST_VERSIONS` are deleted, except those a run in
 *   flight is pinned to (its execution runs on that version). The newest ones stay so that a start that read the
 *   previous head a moment ago still finds its version.
 * - A deleted workflow's machine (with every version) is deleted once no run of it is in flight: at the delete,
 *   or when its last run ends (the finalizer calls `deleteIfUnused` for every execution that ends).
 * Each version item and head remembers what was deleted (`prunedAt`, `machineDeletedAt`), so nothing is deleted
 * twice and a failed cleanup is simply tried again by the next publish or run end.
 */
import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { TERMINAL_RUN_STATUSES } from '../model/types';
import type { Orchestrator } from '../ports/orchestrator';
import { storeCall } from '../store/errors';
import { keys, TABLE_SCHEMA } from '../store/table';
import type { Store } from '../store/store';

/** Versions always kept, newest first (the head's and the one before it). */
export const KEEP_LATEST_VERSIONS = 2;

/** What the cleanup did. */
export interface CleanupResult {
  deletedVersions: number[];
  deletedMachine: boolean;
}

/** Cleans up state machines of a workflow. */
export interface MachineCleanup {
  /** Deletes versions below the newest `KEEP_LATEST_VERSIONS` that no run in flight is pinned to. */
  pruneVersions(workflowId: string): Promise<CleanupResult>;
  /** Deletes the machine of a deleted workflow once no run of it is in flight. */
  deleteIfUnused(workflowId: string): Promise<CleanupResult>;
}

/** Builds the cleanup; without `deleteVersion`/`deleteMachine` on the orchestrator it does nothing. */
export function createMachineCleanup(deps: { store: Store; orchestrator: Pick<Orchestrator, 'deleteVersion' | 'deleteMachine'>; clock?: () => Date }): MachineCleanup {
  const { table } = deps.store;
  const now = () => (deps.clock?.() ?? new Date()).toISOString();
  const none: CleanupResult = { deletedVersions: [], deletedMachine: false };

  /** Versions that runs not yet final are pinned to. */
  async function pinnedVersions(workflowId: string): Promise<Set<number>> {
    const pinned = new Set<number>();
    let start: Record<string, unknown> | undefined;
    do {
      const out = await storeCall(() => table.client.send(new QueryCommand({
        TableName: table.tableName,
        IndexName: TABLE_SCHEMA.gsi1.name,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': TABLE_SCHEMA.gsi1.partitionKey, '#s': 'status', '#v': 'version' },
        ExpressionAttributeValues: { ':pk': `WF#${workflowId}#RUNS` },
        ProjectionExpression: '#s, #v',
        ...(start ? { ExclusiveStartKey: start } : {}),
      })));
      for (const item of out.Items ?? []) {
        if (!TERMINAL_RUN_STATUSES.includes(item.status as never)) pinned.add(Number(item.version));
      }
      start = out.LastEvaluatedKey;
    } while (start);
    return pinned;
  }

  /** Every version item of the workflow: number, registered version ARN, machine ARN, and whether it was pruned. */
  async function versions(workflowId: string): Promise<{ version: number; versionArn?: string; stateMachineArn?: string; prunedAt?: string }[]> {
    const out: { version: number; versionArn?: string; stateMachineArn?: string; prunedAt?: string }[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await storeCall(() => table.client.send(new QueryCommand({
        TableName: table.tableName,
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :v)',
        ExpressionAttributeNames: { '#v': 'version' },
        ExpressionAttributeValues: { ':pk': `WF#${workflowId}`, ':v': 'V#' },
        ProjectionExpression: '#v, stateMachineVersionArn, stateMachineArn, prunedAt',
        ConsistentRead: true,
        ...(start ? { ExclusiveStartKey: start } : {}),
      })));
      for (const item of page.Items ?? []) {
        out.push({ version: Number(item.version), versionArn: item.stateMachineVersionArn as string | undefined, stateMachineArn: item.stateMachineArn as string | undefined, prunedAt: item.prunedAt as string | undefined });
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return out;
  }

  async function mark(key: Record<string, string>, attribute: 'prunedAt' | 'machineDeletedAt'): Promise<void> {
    await storeCall(() => table.client.send(new UpdateCommand({
      TableName: table.tableName, Key: key, UpdateExpression: `SET ${attribute} = :at`, ConditionExpression: 'attribute_exists(PK)', ExpressionAttributeValues: { ':at': now() },
    })));
  }

  return {
    async pruneVersions(workflowId) {
      if (!deps.orchestrator.deleteVersion) return none;
      const head = await deps.store.workflows.get(workflowId);
      if (!head) return none;
      const keepFrom = head.latestVersion - KEEP_LATEST_VERSIONS + 1;
      const candidates = (await versions(workflowId)).filter((v) => v.version < keepFrom && v.version <= head.latestVersion && v.versionArn && !v.prunedAt);
      if (candidates.length === 0) return none;
      const pinned = await pinnedVersions(workflowId);
      const deletedVersions: number[] = [];
      for (const v of candidates) {
        if (pinned.has(v.version)) continue;
        await deps.orchestrator.deleteVersion({ versionArn: v.versionArn! });
        await mark(keys.workflowVersion(workflowId, v.version), 'prunedAt');
        deletedVersions.push(v.version);
      }
      return { deletedVersions, deletedMachine: false };
    },

    async deleteIfUnused(workflowId) {
      if (!deps.orchestrator.deleteMachine) return none;
      const head = await deps.store.workflows.get(workflowId) as (Awaited<ReturnType<Store['workflows']['get']>> & { deletedAt?: string; machineDeletedAt?: string }) | undefined;
      if (!head?.deletedAt || head.machineDeletedAt) return none;
      if ((await pinnedVersions(workflowId)).size > 0) return none;
      const machine = (await versions(workflowId)).find((v) => v.stateMachineArn)?.stateMachineArn;
      if (machine) await deps.orchestrator.deleteMachine({ stateMachineArn: machine });
      await mark(keys.workflow(workflowId), 'machineDeletedAt');
      return { deletedVersions: [], deletedMachine: machine !== undefined };
    },
  };
}

/**
 * Run repository: the run item (`RUN#<runId>` / `META`), runs by workflow newest first (GSI1), active runs
 * oldest first (GSI2, sparse: the entry leaves in the write that makes the run final), and the run
 * idempotency key item. Starting with a key claims the key (pointing at the new run id) before the run item is
 * written, so a retried start finds the same run id and re-creates the run idempotently if it was lost.
 */
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Run, RunStatus } from '../model/types';
import { TERMINAL_RUN_STATUSES } from '../model/types';
import { ConflictError } from '../errors';
import { boundErrorInfo } from '../model/error-bounds';
import { ACTIVE_RUNS_PARTITION, gsi1Keys, keys, partitions, TABLE_SCHEMA, type TableRef } from './table';
import { storeCall } from './errors';
import { releaseActiveRunSlot } from './quotas';
import { queryPage, stripKeys, type RawPage } from './query';
import type { PageKey } from './cursor';

/** How long a run idempotency key is remembered. */
export const RUN_KEY_TTL_SECONDS = 24 * 3_600;

/** A run item (document form) as a `Run`, without its output (read apart when `hasOutput`). */
export function toRun(item: Record<string, unknown>): Run {
  // `childRunIds` (a string set, `run-calls.ts`) is read only by the cancel cascade.
  const { hasOutput: _hasOutput, quotaSlot: _slot, childRunIds: _children, ...run } = stripKeys(item);
  return run as unknown as Run;
}

/** An entry of the active-runs index: what reconciliation needs to check a run against its execution. */
export interface ActiveRun {
  runId: string;
  workflowId: string;
  version: number;
  status: RunStatus;
  startedAt: string;
  /** Absent while (or when) the start has not reached the orchestrator. */
  executionArn?: string;
}

function toActiveRun(item: Record<string, unknown>): ActiveRun {
  const { runId, workflowId, version, status, startedAt, executionArn } = item as unknown as ActiveRun;
  return { runId, workflowId, version, status, startedAt, ...(typeof executionArn === 'string' ? { executionArn } : {}) };
}

/** Fields of a run that change while it runs. */
export type RunPatch = Partial<Pick<Run, 'status' | 'output' | 'error' | 'endedAt' | 'cost'>>;

/** Creates, reads, updates and lists runs. */
export class RunRepository {
  constructor(private readonly table: TableRef) {}

  /** Writes a new run; a run with this id already there is a `ConflictError` (`run_exists`). */
  async create(run: Run, options: { quotaSlot?: string } = {}): Promise<void> {
    await storeCall(
      () =>
        this.table.client.send(
          new PutCommand({
            TableName: this.table.tableName,
            Item: {
              ...keys.run(run.runId), entity: 'run',
              ...gsi1Keys.runByWorkflow(run.workflowId, run.startedAt, run.runId),
              ...(TERMINAL_RUN_STATUSES.includes(run.status) ? {} : { GSI2PK: ACTIVE_RUNS_PARTITION, GSI2SK: `${run.startedAt}#${run.runId}` }),
              ...run,
              ...(options.quotaSlot ? { quotaSlot: options.quotaSlot } : {}),
            },
            ConditionExpression: 'attribute_not_exists(PK)',
          }),
        ),
      { reason: 'run_exists', message: `run ${run.runId} already exists` },
    );
  }

  /** Reads a run (strongly consistent), with its output when it has one (a second read of the output item). */
  async get(runId: string): Promise<Run | undefined> {
    const out = await storeCall(() =>
      this.table.client.send(new GetCommand({ TableName: this.table.tableName, Key: keys.run(runId), ConsistentRead: true })),
    );
    return out.Item ? this.withOutput(out.Item) : undefined;
  }

  /** The run of `item`, with its output item read when the run has one. */
  private async withOutput(item: Record<string, unknown>, known?: { output: unknown }): Promise<Run> {
    const run = toRun(item);
    if (known) return { ...run, output: known.output };
    if (item.hasOutput !== true) return run;
    const out = await storeCall(() =>
      this.table.client.send(new GetCommand({ TableName: this.table.tableName, Key: keys.runOutput(run.runId), ConsistentRead: true })),
    );
    return out.Item ? { ...run, output: out.Item.output } : run;
  }

  /**
   * Applies a patch; with `ifStatusIn`, only while the run's status is one of those
   * (else `ConflictError` with reason `run_finished`). Returns the updated run. A patch to a final status
   * also removes the run from the active-runs index, in the same conditional write.
   */
  async update(runId: string, patch: RunPatch, ifStatusIn?: readonly RunStatus[]): Promise<Run> {
    // The output lives in its own item, written before the run's final write points at it (`hasOutput`), so the
    // run item (with an input of up to 256 KiB) and the output item (up to 256 KiB) each stay under 400 KB.
    // If the conditional write below loses, the output item is never read: readers follow `hasOutput` only.
    const { output, ...fields } = patch;
    if (output !== undefined) {
      await storeCall(() =>
        this.table.client.send(new PutCommand({ TableName: this.table.tableName, Item: { ...keys.runOutput(runId), entity: 'run-output', runId, output } })),
      );
    }
    const stored: Record<string, unknown> = { ...fields, ...(fields.error ? { error: boundErrorInfo(fields.error) } : {}), ...(output !== undefined ? { hasOutput: true } : {}) };
    const entries = Object.entries(stored).filter(([, v]) => v !== undefined);
    if (entries.length === 0) throw new RangeError('empty run patch');
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    const sets = entries.map(([k, v], i) => {
      names[`#f${i}`] = k;
      values[`:v${i}`] = v;
      return `#f${i} = :v${i}`;
    });
    let condition = 'attribute_exists(PK)';
    if (ifStatusIn && ifStatusIn.length > 0) {
      names['#st'] = 'status';
      condition += ` AND #st IN (${ifStatusIn.map((s, i) => {
        values[`:s${i}`] = s;
        return `:s${i}`;
      }).join(', ')})`;
    }
    const out = await storeCall(
      () =>
        this.table.client.send(
          new UpdateCommand({
            TableName: this.table.tableName,
            Key: keys.run(runId),
            UpdateExpression: `SET ${sets.join(', ')}${patch.status && TERMINAL_RUN_STATUSES.includes(patch.status) ? ' REMOVE GSI2PK, GSI2SK' : ''}`,
            ConditionExpression: condition,
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
            ReturnValues: 'ALL_NEW',
          }),
        ),
      () => new ConflictError('run_finished', `run ${runId} is not in a state that allows this change`),
    );
    const attributes = out.Attributes ?? {};
    // The write that made the run final gives back its starter's active-run slot (idempotent: a repeated final
    // write, or reconciliation, deletes the same slot again and frees nothing twice).
    if (patch.status && TERMINAL_RUN_STATUSES.includes(patch.status) && typeof attributes.quotaSlot === 'string' && typeof attributes.startedBy === 'string') {
      await releaseActiveRunSlot(this.table, attributes.startedBy, attributes.quotaSlot);
    }
    return this.withOutput(attributes, output !== undefined ? { output } : undefined);
  }

  /** The run's status only (strongly consistent), `undefined` when there is no such run. */
  async getStatus(runId: string): Promise<RunStatus | undefined> {
    const out = await storeCall(() =>
      this.table.client.send(new GetCommand({ TableName: this.table.tableName, Key: keys.run(runId), ConsistentRead: true, ProjectionExpression: '#s', ExpressionAttributeNames: { '#s': 'status' } })),
    );
    return out.Item?.status as RunStatus | undefined;
  }

  /**
   * Puts a run back to `running` for a redrive, only from one of `from` and only when its `redriveCount` is
   * still `redriveCount - 1` (so two redrives at once cannot both win: the loser gets `ConflictError`
   * `redrive_in_flight`). Clears its end, error and output and puts it back in the active-runs index.
   */
  async reopen(runId: string, redriveCount: number, redrivenAt: string, from: readonly RunStatus[]): Promise<Run> {
    const values: Record<string, unknown> = {
      ':running': 'running', ':count': redriveCount, ':prev': redriveCount - 1, ':zero': 0, ':at': redrivenAt, ':pk': ACTIVE_RUNS_PARTITION,
    };
    const allowed = from.map((status, i) => {
      values[`:s${i}`] = status;
      return `:s${i}`;
    });
    const out = await storeCall(
      () => this.table.client.send(new UpdateCommand({
        TableName: this.table.tableName,
        Key: keys.run(runId),
        UpdateExpression: 'SET #st = :running, redriveCount = :count, redrivenAt = :at, GSI2PK = :pk, GSI2SK = :sk REMOVE endedAt, #err, #out',
        ConditionExpression: `attribute_exists(PK) AND #st IN (${allowed.join(', ')}) AND (redriveCount = :prev OR (attribute_not_exists(redriveCount) AND :prev = :zero))`,
        ExpressionAttributeNames: { '#st': 'status', '#err': 'error', '#out': 'output' },
        ExpressionAttributeValues: { ...values, ':sk': `${redrivenAt}#${runId}` },
        ReturnValues: 'ALL_NEW',
      })),
      () => new ConflictError('redrive_in_flight', `run ${runId} is being redriven or is no longer ${from.join(' or ')}`),
    );
    return toRun(out.Attributes ?? {});
  }

  /** Records the run's execution (server-only; read back with `getExecutionArn`). */
  async setExecutionArn(runId: string, executionArn: string): Promise<void> {
    await storeCall(() =>
      this.table.client.send(new UpdateCommand({
        TableName: this.table.tableName,
        Key: keys.run(runId),
        UpdateExpression: 'SET executionArn = :arn',
        ConditionExpression: 'attribute_exists(PK)',
        ExpressionAttributeValues: { ':arn': executionArn },
      })),
    );
  }

  /** The run's execution ARN, if it has started. */
  async getExecutionArn(runId: string): Promise<string | undefined> {
    const out = await storeCall(() =>
      this.table.client.send(new GetCommand({ TableName: this.table.tableName, Key: keys.run(runId), ConsistentRead: true, ProjectionExpression: 'executionArn' })),
    );
    return typeof out.Item?.executionArn === 'string' ? out.Item.executionArn : undefined;
  }

  /** One page of a workflow's runs, newest first. */
  async listByWorkflow(workflowId: string, limit: number, startKey?: PageKey): Promise<RawPage & { runs: Run[] }> {
    const page = await queryPage(this.table, { index: 'GSI1', partition: partitions.workflowRuns(workflowId), limit, startKey });
    return { ...page, runs: page.items.map(toRun) };
  }

  /**
   * One page of the active-runs index, oldest first: runs not yet final that started before `olderThan`.
   * The index is eventually consistent: read the run itself before acting on an entry.
   */
  async listActive(olderThan: Date, limit: number, cursor?: PageKey): Promise<{ runs: ActiveRun[]; lastKey?: PageKey }> {
    const { gsi2 } = TABLE_SCHEMA;
    const out = await storeCall(() =>
      this.table.client.send(new QueryCommand({
        TableName: this.table.tableName,
        IndexName: gsi2.name,
        KeyConditionExpression: '#pk = :pk AND #sk < :before',
        ExpressionAttributeNames: { '#pk': gsi2.partitionKey, '#sk': gsi2.sortKey, '#st': 'status', '#v': 'version' },
        ExpressionAttributeValues: { ':pk': ACTIVE_RUNS_PARTITION, ':before': olderThan.toISOString() },
        // Only what reconciliation reads: a run's input may be large.
        ProjectionExpression: 'runId, workflowId, #v, #st, startedAt, executionArn',
        ScanIndexForward: true,
        Limit: limit,
        ...(cursor ? { ExclusiveStartKey: cursor } : {}),
      })),
    );
    return {
      runs: (out.Items ?? []).map((item) => toActiveRun(item as Record<string, unknown>)),
      ...(out.LastEvaluatedKey ? { lastKey: out.LastEvaluatedKey as PageKey } : {}),
    };
  }

  /** Where the last reconciliation sweep of the active-runs index stopped (`undefined`: at the start). */
  async getReconcileCursor(): Promise<PageKey | undefined> {
    const out = await storeCall(() =>
      this.table.client.send(new GetCommand({ TableName: this.table.tableName, Key: keys.reconcileCursor(), ConsistentRead: true })),
    );
    const cursor = out.Item?.cursor as unknown;
    return cursor && typeof cursor === 'object' ? (cursor as PageKey) : undefined;
  }

  /** Records where the next sweep resumes; `undefined` starts it from the oldest active run again. */
  async setReconcileCursor(cursor: PageKey | undefined): Promise<void> {
    const { client, tableName } = this.table;
    await storeCall(() => cursor
      ? client.send(new PutCommand({ TableName: tableName, Item: { ...keys.reconcileCursor(), entity: 'reconcile', cursor } }))
      : client.send(new DeleteCommand({ TableName: tableName, Key: keys.reconcileCursor() })));
  }

  /**
   * Claims an idempotency key for `runId`. Returns the run id the key points at: `runId` when this call
   * claimed it, or the earlier run's id when the key was already taken (and not yet expired).
   */
  async claimKey(workflowId: string, userId: string, key: string, runId: string, now: Date): Promise<string> {
    const item = { ...keys.runIdempotency(workflowId, userId, key), entity: 'runkey', runId, createdAt: now.toISOString(), ttl: Math.floor(now.getTime() / 1000) + RUN_KEY_TTL_SECONDS };
    try {
      await storeCall(() =>
        this.table.client.send(
          new PutCommand({
            TableName: this.table.tableName,
            Item: item,
            ConditionExpression: 'attribute_not_exists(PK) OR #ttl < :now',
            ExpressionAttributeNames: { '#ttl': 'ttl' },
            ExpressionAttributeValues: { ':now': Math.floor(now.getTime() / 1000) },
          }),
        ),
      );
      return runId;
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      const out = await storeCall(() =>
        this.table.client.send(new GetCommand({ TableName: this.table.tableName, Key: keys.runIdempotency(workflowId, userId, key), ConsistentRead: true })),
      );
      const existing = out.Item?.runId;
      if (typeof existing !== 'string') throw error;
      return existing;
    }
  }
}

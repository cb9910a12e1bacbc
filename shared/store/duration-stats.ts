/**
 * Learned node durations per workflow (`WF#<id>` / `STATS`): for each node, its durations in the last
 * `DURATION_SAMPLES` successful runs (seconds, newest last), and the ids of the last `RECENT_RUNS` runs recorded,
 * so a repeated finalization records a run once. Bounded: at most 500 nodes (the definition limit) × 5 numbers,
 * about 20 KB. Updated with an optimistic revision check (concurrent finalizations of one workflow retry).
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { StatsContentionError, translateStoreError } from './errors';
import { keys, type TableRef } from './table';

/** Durations kept per node. */
export const DURATION_SAMPLES = 5;
/** Run ids kept to recognise a run already recorded. */
export const RECENT_RUNS = 20;
/** Most nodes kept (the definition limit). */
export const MAX_STAT_NODES = 500;

/** A workflow's learned durations. */
export interface DurationStats {
  workflowId: string;
  /** Durations in seconds by node id, newest last, at most `DURATION_SAMPLES` each. */
  nodes: Record<string, number[]>;
  /** Successful runs recorded in all. */
  runs: number;
  /** The last `RECENT_RUNS` run ids recorded. */
  recentRuns: string[];
  /** Optimistic-lock revision. */
  rev: number;
}

/** Reads and records learned durations. */
export interface DurationStatsRepository {
  get(workflowId: string): Promise<DurationStats | undefined>;
  /**
   * Adds one successful run's node durations (seconds). Nodes not in `keep` (the run's node ids) are dropped, so
   * renamed nodes do not linger. Returns the stats as stored, and whether this call added the run.
   */
  record(workflowId: string, runId: string, seconds: Record<string, number>, keep: readonly string[]): Promise<{ stats: DurationStats; added: boolean }>;
}

/** The median of a node's recorded durations. */
export function medianSeconds(stats: DurationStats): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [id, samples] of Object.entries(stats.nodes)) {
    if (samples.length === 0) continue;
    const sorted = [...samples].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    out[id] = sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  }
  return out;
}

const MAX_TRIES = 5;

/** Creates the repository over the Braid table. */
export function createDurationStatsRepository(table: TableRef): DurationStatsRepository {
  const { client, tableName } = table;

  async function get(workflowId: string): Promise<DurationStats | undefined> {
    try {
      const out = await client.send(new GetCommand({ TableName: tableName, Key: keys.durationStats(workflowId), ConsistentRead: true }));
      if (!out.Item) return undefined;
      return {
        workflowId,
        nodes: (out.Item.nodes ?? {}) as Record<string, number[]>,
        runs: Number(out.Item.runs ?? 0),
        recentRuns: (out.Item.recentRuns ?? []) as string[],
        rev: Number(out.Item.rev ?? 0),
      };
    } catch (error) {
      throw translateStoreError(error);
    }
  }

  return {
    get,
    async record(workflowId, runId, seconds, keep) {
      for (let attempt = 0; attempt < MAX_TRIES; attempt += 1) {
        const before = (await get(workflowId)) ?? { workflowId, nodes: {}, runs: 0, recentRuns: [], rev: 0 };
        if (before.recentRuns.includes(runId)) return { stats: before, added: false };
        const nodes: Record<string, number[]> = {};
        for (const id of keep.slice(0, MAX_STAT_NODES)) {
          const samples = [...(before.nodes[id] ?? [])];
          const value = seconds[id];
          if (value !== undefined && Number.isFinite(value) && value >= 0) samples.push(Math.round(value * 1000) / 1000);
          if (samples.length > 0) nodes[id] = samples.slice(-DURATION_SAMPLES);
        }
        const stats: DurationStats = { workflowId, nodes, runs: before.runs + 1, recentRuns: [...before.recentRuns, runId].slice(-RECENT_RUNS), rev: before.rev + 1 };
        try {
          await client.send(new PutCommand({
            TableName: tableName,
            Item: { ...keys.durationStats(workflowId), workflowId, nodes, runs: stats.runs, recentRuns: stats.recentRuns, rev: stats.rev },
            ConditionExpression: before.rev === 0 ? 'attribute_not_exists(PK)' : 'rev = :rev',
            ...(before.rev === 0 ? {} : { ExpressionAttributeValues: { ':rev': before.rev } }),
          }));
          return { stats, added: true };
        } catch (error) {
          if (!(error instanceof ConditionalCheckFailedException)) throw translateStoreError(error);
        }
      }
      throw new StatsContentionError(workflowId);
    },
  };
}

/**
 * The live fan-out's high-water mark per run (`RUN#<runId>` / `FANOUT`, attribute `sentSeq`): the last seq it
 * pushed to every subscriber of the run. One item per run, written once per fan-out batch, whatever the number
 * of subscribers; the mark only moves forward.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { translateStoreError } from './errors';
import { keys, type TableRef } from './table';

/** Reads and advances the fan-out marks. */
export interface FanOutMarkRepository {
  /** The last seq pushed to the run's subscribers (0 when none). */
  get(runId: string): Promise<number>;
  /** Moves the mark to `seq` unless it is already there or beyond; returns whether it moved. */
  advance(runId: string, seq: number): Promise<boolean>;
}

/** Creates the repository over the Braid table. */
export function createFanOutMarkRepository(table: TableRef): FanOutMarkRepository {
  const { client, tableName } = table;
  return {
    async get(runId) {
      try {
        const out = await client.send(new GetCommand({ TableName: tableName, Key: keys.fanOutMark(runId), ConsistentRead: true }));
        return Number(out.Item?.sentSeq ?? 0);
      } catch (error) {
        throw translateStoreError(error);
      }
    },

    async advance(runId, seq) {
      try {
        await client.send(new UpdateCommand({
          TableName: tableName,
          Key: keys.fanOutMark(runId),
          UpdateExpression: 'SET sentSeq = :seq, runId = :run',
          ConditionExpression: 'attribute_not_exists(sentSeq) OR sentSeq < :seq',
          ExpressionAttributeValues: { ':seq': seq, ':run': runId },
        }));
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw translateStoreError(error);
      }
    },
  };
}

/**
 * The parts of the run item that tie runs calling runs together (`workflow_call`): a parent's set of child run
 * ids (`childRunIds`, read by the cancel cascade) and a child's `calledBy` (where it reports its end, with the
 * parent's task token). Both live on the run item (`RUN#<runId>` / `META`); neither ever reaches a view.
 */
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ConflictError } from '../errors';
import type { RunCaller } from '../model/types';
import { keys, type TableRef } from './table';
import { storeCall } from './errors';

/** Reads and writes the call links of run items. */
export class RunCallRepository {
  constructor(private readonly table: TableRef) {}

  /** Adds a child run id to the parent's set (idempotent: a set `ADD`). */
  async addChild(parentRunId: string, childRunId: string): Promise<void> {
    await storeCall(() =>
      this.table.client.send(new UpdateCommand({
        TableName: this.table.tableName,
        Key: keys.run(parentRunId),
        UpdateExpression: 'ADD childRunIds :child',
        ConditionExpression: 'attribute_exists(PK)',
        ExpressionAttributeValues: { ':child': new Set([childRunId]) },
      })),
    );
  }

  /** The child run ids a run has started, in no particular order. */
  async children(runId: string): Promise<string[]> {
    const out = await storeCall(() =>
      this.table.client.send(new GetCommand({ TableName: this.table.tableName, Key: keys.run(runId), ConsistentRead: true, ProjectionExpression: 'childRunIds' })),
    );
    const set = out.Item?.childRunIds as Set<string> | string[] | undefined;
    return set ? [...set].sort() : [];
  }

  /**
   * Points a child at a new attempt of its caller (a redriven or resumed parent re-entering the node): its new
   * task token. Only while the child still reports to that run and node; false when it no longer does.
   */
  async reattach(childRunId: string, caller: RunCaller): Promise<boolean> {
    try {
      await storeCall(() =>
        this.table.client.send(new UpdateCommand({
          TableName: this.table.tableName,
          Key: keys.run(childRunId),
          UpdateExpression: 'SET calledBy = :caller',
          ConditionExpression: 'attribute_exists(PK) AND calledBy.runId = :runId AND calledBy.nodeId = :nodeId',
          ExpressionAttributeValues: { ':caller': caller, ':runId': caller.runId, ':nodeId': caller.nodeId },
        })),
      { reason: 'caller_changed', message: `run ${childRunId} reports to another caller` });
      return true;
    } catch (error) {
      if (error instanceof ConflictError) return false;
      throw error;
    }
  }
}

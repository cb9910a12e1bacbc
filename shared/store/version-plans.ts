/**
 * The plan a workflow version runs on, as re-planning sees it: fields on the version item (`WF#<id>` /
 * `V#<n>`) next to `stateMachineVersionArn` (the published state machine version new runs start on):
 * `planWeights` (the learned seconds by node id the current plan was made with; absent: none),
 * `plannedAtRuns` (the workflow's recorded successful runs when re-planning last looked) and `replans`.
 * Server-only: the API never returns them.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { translateStoreError } from './errors';
import { keys, type TableRef } from './table';

/** A version's plan state. */
export interface VersionPlan {
  workflowId: string;
  version: number;
  stateMachineVersionArn?: string;
  planWeights?: Record<string, number>;
  /** @default 0 */
  plannedAtRuns: number;
  /** State machine versions published by re-planning. @default 0 */
  replans: number;
}

/** Reads and moves a version's plan. */
export interface VersionPlanRepository {
  get(workflowId: string, version: number): Promise<VersionPlan | undefined>;
  /** Records that re-planning looked at `runs` runs and kept the plan; false when someone looked at as many already. */
  markConsidered(workflowId: string, version: number, runs: number): Promise<boolean>;
  /**
   * Points the version at a re-planned state machine version, if it still runs on `fromArn` (a concurrent
   * re-plan wins otherwise: false). Runs already started keep the version they started on.
   */
  swap(workflowId: string, version: number, change: { fromArn: string; toArn: string; weights: Record<string, number>; runs: number }): Promise<boolean>;
}

/** Creates the repository over the Braid table. */
export function createVersionPlanRepository(table: TableRef): VersionPlanRepository {
  const { client, tableName } = table;

  async function conditional(input: ConstructorParameters<typeof UpdateCommand>[0]): Promise<boolean> {
    try {
      await client.send(new UpdateCommand(input));
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw translateStoreError(error);
    }
  }

  return {
    async get(workflowId, version) {
      try {
        const out = await client.send(new GetCommand({
          TableName: tableName, Key: keys.workflowVersion(workflowId, version), ConsistentRead: true,
          ProjectionExpression: 'stateMachineVersionArn, planWeights, plannedAtRuns, replans',
        }));
        if (!out.Item) return undefined;
        return {
          workflowId, version,
          ...(typeof out.Item.stateMachineVersionArn === 'string' ? { stateMachineVersionArn: out.Item.stateMachineVersionArn } : {}),
          ...(out.Item.planWeights ? { planWeights: out.Item.planWeights as Record<string, number> } : {}),
          plannedAtRuns: Number(out.Item.plannedAtRuns ?? 0),
          replans: Number(out.Item.replans ?? 0),
        };
      } catch (error) {
        throw translateStoreError(error);
      }
    },

    markConsidered(workflowId, version, runs) {
      return conditional({
        TableName: tableName,
        Key: keys.workflowVersion(workflowId, version),
        UpdateExpression: 'SET plannedAtRuns = :runs',
        ConditionExpression: 'attribute_exists(PK) AND (attribute_not_exists(plannedAtRuns) OR plannedAtRuns < :runs)',
        ExpressionAttributeValues: { ':runs': runs },
      });
    },

    swap(workflowId, version, change) {
      return conditional({
        TableName: tableName,
        Key: keys.workflowVersion(workflowId, version),
        UpdateExpression: 'SET stateMachineVersionArn = :to, planWeights = :weights, plannedAtRuns = :runs ADD replans :one',
        ConditionExpression: 'stateMachineVersionArn = :from',
        ExpressionAttributeValues: { ':to': change.toArn, ':from': change.fromArn, ':weights': change.weights, ':runs': change.runs, ':one': 1 },
      });
    },
  };
}

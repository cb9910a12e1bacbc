/**
 * Budget bookkeeping on the run item and its budget gate: spend counted with one atomic `ADD` per attempt
 * (`spentUsd`, `spentTokens` on `RUN#<id>` / `META`, each attempt charged once: the attempt item is marked first),
 * raising the budget, and the run's built-in budget gate (`RUN#<id>` / `GATE#budget`), which collects the task
 * tokens of every `agent_call` paused over budget (`waiters`) and is archived (`GATE#budget#<openedAt>`) when a
 * later pause opens a new one.
 */
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ConflictError } from '../errors';
import type { BudgetLimit, Gate, Spent } from '../model/types';
import { keys, type TableRef } from './table';
import { storeCall } from './errors';
import { stripKeys } from './query';

/** A budget gate as stored: a gate plus the tokens of the tasks it holds. */
export type StoredBudgetGate = Gate & { waiters?: Record<string, string>; inboxPrincipals?: string[] };

/** Counts spend, raises budgets and keeps the budget gate. */
export class BudgetRepository {
  constructor(private readonly table: TableRef) {}

  /**
   * Marks attempt `attempt` of `nodeId` as charged; false when it was charged before (a repeated delivery).
   * Marking before adding means a crash in between under-counts one attempt rather than counting it twice.
   */
  async markCharged(runId: string, nodeId: string, attempt: number): Promise<boolean> {
    try {
      await storeCall(() => this.table.client.send(new UpdateCommand({
        TableName: this.table.tableName, Key: keys.nodeAttempt(runId, nodeId, attempt),
        UpdateExpression: 'SET costCharged = :yes', ConditionExpression: 'attribute_not_exists(costCharged)',
        ExpressionAttributeValues: { ':yes': true },
      })));
      return true;
    } catch (error) {
      if (error instanceof ConflictError) return false;
      throw error;
    }
  }

  /** Adds to the run's spend in one atomic write; returns the spend and budget after it. */
  async charge(runId: string, usd: number, tokens: number): Promise<{ spent: Spent; budget?: BudgetLimit }> {
    const out = await storeCall(() => this.table.client.send(new UpdateCommand({
      TableName: this.table.tableName, Key: keys.run(runId),
      UpdateExpression: 'ADD spentUsd :usd, spentTokens :tokens', ConditionExpression: 'attribute_exists(PK)',
      ExpressionAttributeValues: { ':usd': usd, ':tokens': tokens },
      ReturnValues: 'ALL_NEW',
    })));
    const item = out.Attributes ?? {};
    return { spent: { usd: Number(item.spentUsd ?? 0), tokens: Number(item.spentTokens ?? 0) }, ...(item.budget ? { budget: item.budget as BudgetLimit } : {}) };
  }

  /** Raises the run's budget by `usd`/`tokens` (added to the current cap; an absent cap starts from the spend). */
  async raise(runId: string, by: { usd?: number; tokens?: number }, spent: Spent): Promise<BudgetLimit> {
    const run = await storeCall(() => this.table.client.send(new GetCommand({ TableName: this.table.tableName, Key: keys.run(runId), ConsistentRead: true })));
    const current = (run.Item?.budget ?? {}) as BudgetLimit;
    const next: BudgetLimit = { ...current };
    if (by.usd !== undefined) next.usd = Math.round(((current.usd ?? spent.usd) + by.usd) * 1e9) / 1e9;
    if (by.tokens !== undefined) next.tokens = (current.tokens ?? spent.tokens) + by.tokens;
    await storeCall(() => this.table.client.send(new UpdateCommand({
      TableName: this.table.tableName, Key: keys.run(runId),
      UpdateExpression: 'SET budget = :next', ConditionExpression: 'attribute_exists(PK)',
      ExpressionAttributeValues: { ':next': next },
    })));
    return next;
  }

  /** Marks the budget gate opened at `openedAt` as applied to the budget; false when it was before. */
  async markRaised(runId: string, openedAt: string, at: string): Promise<boolean> {
    try {
      await storeCall(() => this.table.client.send(new UpdateCommand({
        TableName: this.table.tableName, Key: keys.gate(runId, BUDGET_GATE_NODE),
        UpdateExpression: 'SET raisedAt = :at', ConditionExpression: 'openedAt = :opened AND attribute_not_exists(raisedAt)',
        ExpressionAttributeValues: { ':at': at, ':opened': openedAt },
      })));
      return true;
    } catch (error) {
      if (error instanceof ConflictError) return false;
      throw error;
    }
  }

  /** The run's budget gate (with its waiters' tokens: server-only). */
  async getGate(runId: string): Promise<StoredBudgetGate | undefined> {
    const out = await storeCall(() => this.table.client.send(new GetCommand({ TableName: this.table.tableName, Key: keys.gate(runId, BUDGET_GATE_NODE), ConsistentRead: true })));
    return out.Item ? (stripKeys(out.Item) as unknown as StoredBudgetGate) : undefined;
  }

  /** Adds a waiter's token to the waiting budget gate; false when the gate no longer waits. */
  async join(runId: string, forNode: string, taskToken: string): Promise<boolean> {
    try {
      await storeCall(() => this.table.client.send(new UpdateCommand({
        TableName: this.table.tableName, Key: keys.gate(runId, BUDGET_GATE_NODE),
        UpdateExpression: 'SET waiters.#n = :token', ConditionExpression: 'attribute_exists(PK) AND #st = :waiting',
        ExpressionAttributeNames: { '#n': forNode, '#st': 'status' }, ExpressionAttributeValues: { ':token': taskToken, ':waiting': 'waiting' },
      })));
      return true;
    } catch (error) {
      if (error instanceof ConflictError) return false;
      throw error;
    }
  }

  /**
   * Opens a new budget gate in place of `previous` (archived first, as it was) or of none; false when another
   * writer replaced or opened it first (read again and join).
   */
  async open(gate: StoredBudgetGate, previous: StoredBudgetGate | undefined): Promise<boolean> {
    const { client, tableName } = this.table;
    if (previous) {
      await storeCall(() => client.send(new PutCommand({ TableName: tableName, Item: { ...keys.gate(gate.runId, `${BUDGET_GATE_NODE}#${previous.openedAt}`), entity: 'gate-archive', ...previous, nodeId: `${BUDGET_GATE_NODE}#${previous.openedAt}`, waiters: {} } })));
    }
    try {
      await storeCall(() => client.send(new PutCommand({
        TableName: tableName, Item: { ...keys.gate(gate.runId, BUDGET_GATE_NODE), entity: 'gate', ...gate },
        ...(previous
          ? { ConditionExpression: 'openedAt = :prev', ExpressionAttributeValues: { ':prev': previous.openedAt } }
          : { ConditionExpression: 'attribute_not_exists(PK)' }),
      })));
      return true;
    } catch (error) {
      if (error instanceof ConflictError) return false;
      throw error;
    }
  }
}

/** Node id of the built-in budget gate. */
export const BUDGET_GATE_NODE = 'budget';

/**
 * Gate repository: a human gate opened in a run (`RUN#<runId>` / `GATE#<nodeId>`). The task token is stored
 * here and nowhere else; `get` and `list` leave it out, only `getToken` reads it. A decision is one
 * conditional write from `waiting` before `timeoutAt`, so exactly one decision wins.
 */
import { MAX_GATE_INPUTS_BYTES, omitOver } from '../model/stored-bounds';
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Gate, GateStatus } from '../model/types';
import { ConflictError } from '../errors';
import { keys, partitions, sortPrefixes, type TableRef } from './table';
import { storeCall } from './errors';
import { queryPage, stripKeys } from './query';

/** Why a gate could not be decided or closed. */
export type GateConflictReason = 'already_decided' | 'gate_closed' | 'gate_timed_out' | 'gate_not_found';

/** A decision on a gate, as stored. */
export interface GateDecision {
  status: 'approved' | 'rejected';
  decidedBy: string;
  decidedAt: string;
  comment?: string;
  data?: unknown;
}

/** A gate as opened: its token (server-only) and the gate's resolved inputs, shown to approvers. */
export type OpenGate = Gate & { taskToken: string; inputs?: Record<string, unknown> };

function toGate(item: Record<string, unknown>): Gate {
  const { taskToken: _t, tokenAttempt: _a, ...rest } = stripKeys(item);
  return rest as unknown as Gate;
}

/** Opens, reads, decides and closes gates. */
export class GateRepository {
  constructor(private readonly table: TableRef) {}

  /**
   * Opens a gate once; a second open of the same gate (a redelivery) keeps the first gate. When the second
   * open comes from a newer attempt of the gate's task (Step Functions retried it with a new token, and only
   * that token can still complete the task), the stored token is replaced. Returns the stored gate.
   */
  async open(gate: OpenGate, attempt = 0): Promise<{ gate: Gate; created: boolean }> {
    try {
      await storeCall(() =>
        this.table.client.send(new PutCommand({
          TableName: this.table.tableName,
          // Resolved inputs can be large (bindings of up to 1 MiB each): over 64 KiB they are stored as a size marker.
          Item: { ...keys.gate(gate.runId, gate.nodeId), entity: 'gate', ...gate, ...(gate.inputs !== undefined ? { inputs: omitOver(gate.inputs, MAX_GATE_INPUTS_BYTES) } : {}), tokenAttempt: attempt },
          ConditionExpression: 'attribute_not_exists(PK)',
        })),
      { reason: 'gate_exists', message: `gate ${gate.nodeId} exists` });
      return { gate: toGate(gate as unknown as Record<string, unknown>), created: true };
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      const existing = await this.get(gate.runId, gate.nodeId);
      if (!existing) throw error;
      await this.replaceToken(gate.runId, gate.nodeId, gate.taskToken, attempt);
      return { gate: existing, created: false };
    }
  }

  /** Stores the token of a newer task attempt (and forgets any delivery to the old one); older attempts change nothing. */
  private async replaceToken(runId: string, nodeId: string, taskToken: string, attempt: number): Promise<void> {
    try {
      await storeCall(() =>
        this.table.client.send(new UpdateCommand({
          TableName: this.table.tableName,
          Key: keys.gate(runId, nodeId),
          UpdateExpression: 'SET taskToken = :token, tokenAttempt = :attempt REMOVE deliveredAt',
          ConditionExpression: 'attribute_exists(PK) AND (attribute_not_exists(tokenAttempt) OR tokenAttempt < :attempt)',
          ExpressionAttributeValues: { ':token': taskToken, ':attempt': attempt },
        })),
      { reason: 'token_current', message: 'the stored token is as new' });
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
    }
  }

  /** Reads a gate without its token. */
  async get(runId: string, nodeId: string): Promise<Gate | undefined> {
    const item = await this.read(runId, nodeId);
    return item ? toGate(item) : undefined;
  }

  /** Reads the gate's task token (server-only: pass it straight to the orchestrator). */
  async getToken(runId: string, nodeId: string): Promise<string | undefined> {
    const item = await this.read(runId, nodeId);
    return typeof item?.taskToken === 'string' ? item.taskToken : undefined;
  }

  /** Every gate of a run, without tokens. */
  async list(runId: string): Promise<Gate[]> {
    const page = await queryPage(this.table, { index: 'table', partition: partitions.run(runId), sortPrefix: sortPrefixes.gate, ascending: true, limit: 1_000, consistent: true });
    return page.items.map(toGate);
  }

  /**
   * Decides a waiting gate whose `timeoutAt` is after `decision.decidedAt`. Throws `ConflictError` with reason
   * `already_decided`, `gate_closed` (cancelled), `gate_timed_out` or `gate_not_found` when it is not decidable.
   */
  async decide(runId: string, nodeId: string, decision: GateDecision): Promise<Gate> {
    const values: Record<string, unknown> = { ':waiting': 'waiting', ':now': decision.decidedAt, ':status': decision.status, ':by': decision.decidedBy, ':at': decision.decidedAt };
    const sets = ['#st = :status', 'decidedBy = :by', 'decidedAt = :at'];
    if (decision.comment !== undefined) {
      sets.push('#comment = :comment');
      values[':comment'] = decision.comment;
    }
    if (decision.data !== undefined) {
      sets.push('#data = :data');
      values[':data'] = decision.data;
    }
    let lost: unknown;
    try {
      const out = await storeCall(() =>
        this.table.client.send(new UpdateCommand({
          TableName: this.table.tableName,
          Key: keys.gate(runId, nodeId),
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: 'attribute_exists(PK) AND #st = :waiting AND timeoutAt > :now',
          ExpressionAttributeNames: { '#st': 'status', ...(decision.comment !== undefined ? { '#comment': 'comment' } : {}), ...(decision.data !== undefined ? { '#data': 'data' } : {}) },
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        })),
      );
      return toGate(out.Attributes ?? {});
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      lost = error;
    }
    throw await this.whyNotDecidable(runId, nodeId, decision.decidedAt, lost);
  }

  /** Records that a decided gate's task result reached the orchestrator, so no later caller sends it again. */
  async markDelivered(runId: string, nodeId: string, at: string): Promise<void> {
    await storeCall(() =>
      this.table.client.send(new UpdateCommand({
        TableName: this.table.tableName,
        Key: keys.gate(runId, nodeId),
        UpdateExpression: 'SET deliveredAt = :at',
        ConditionExpression: 'attribute_exists(PK)',
        ExpressionAttributeValues: { ':at': at },
      })),
    );
  }

  /** True when the decided gate's task result reached the orchestrator (`markDelivered`). */
  async isDelivered(runId: string, nodeId: string): Promise<boolean> {
    return typeof (await this.read(runId, nodeId))?.deliveredAt === 'string';
  }

  /**
   * Removes a gate that ended without approval (cancelled, timed out or rejected), so a redrive opens it afresh
   * with a new timeout; the event log keeps what happened to it. A waiting or approved gate is left alone.
   */
  async discardClosed(runId: string, nodeId: string): Promise<boolean> {
    try {
      await storeCall(() => this.table.client.send(new DeleteCommand({
        TableName: this.table.tableName,
        Key: keys.gate(runId, nodeId),
        ConditionExpression: '#st IN (:c, :t, :r)',
        ExpressionAttributeNames: { '#st': 'status' },
        ExpressionAttributeValues: { ':c': 'cancelled', ':t': 'timed_out', ':r': 'rejected' },
      })), { reason: 'gate_open', message: 'the gate is waiting or approved' });
      return true;
    } catch (error) {
      if (error instanceof ConflictError) return false;
      throw error;
    }
  }

  /** Closes a waiting gate as `cancelled` or `timed_out`; returns false when it was not waiting. */
  async close(runId: string, nodeId: string, status: Extract<GateStatus, 'cancelled' | 'timed_out'>, at: string): Promise<boolean> {
    try {
      await storeCall(() =>
        this.table.client.send(new UpdateCommand({
          TableName: this.table.tableName,
          Key: keys.gate(runId, nodeId),
          UpdateExpression: 'SET #st = :status, closedAt = :at',
          ConditionExpression: 'attribute_exists(PK) AND #st = :waiting',
          ExpressionAttributeNames: { '#st': 'status' },
          ExpressionAttributeValues: { ':status': status, ':at': at, ':waiting': 'waiting' },
        })),
      { reason: 'gate_not_waiting', message: 'gate is not waiting' });
      return true;
    } catch (error) {
      if (error instanceof ConflictError) return false;
      throw error;
    }
  }

  private async read(runId: string, nodeId: string): Promise<Record<string, unknown> | undefined> {
    const out = await storeCall(() =>
      this.table.client.send(new GetCommand({ TableName: this.table.tableName, Key: keys.gate(runId, nodeId), ConsistentRead: true })),
    );
    return out.Item;
  }

  private async whyNotDecidable(runId: string, nodeId: string, now: string, cause: unknown): Promise<ConflictError> {
    const gate = await this.get(runId, nodeId);
    if (!gate) return new ConflictError('gate_not_found', `node ${nodeId} has no open gate`, { cause });
    if (gate.status === 'approved' || gate.status === 'rejected') return new ConflictError('already_decided', `gate ${nodeId} was already ${gate.status}`, { cause });
    if (gate.status === 'cancelled') return new ConflictError('gate_closed', `gate ${nodeId} was closed: the run was cancelled`, { cause });
    if (gate.status === 'timed_out' || gate.timeoutAt <= now) return new ConflictError('gate_timed_out', `gate ${nodeId} timed out at ${gate.timeoutAt}`, { cause });
    return new ConflictError('already_decided', `gate ${nodeId} changed concurrently`, { cause });
  }
}

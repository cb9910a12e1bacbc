/**
 * Gate repository: a human gate opened in a run (`RUN#<runId>` / `GATE#<nodeId>`). The task token is stored
 * here and nowhere else; `get` and `list` leave it out, only `getToken` reads it. A decision is one
 * conditional write from `waiting` before `timeoutAt`, so exactly one decision wins.
 */
import { MAX_GATE_INPUTS_BYTES, omitOver } from '../model/stored-bounds';
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Gate, GateStatus, GateVote } from '../model/types';
import { ConflictError } from '../errors';
import { keys, partitions, sortPrefixes, type TableRef } from './table';
import { storeCall } from './errors';
import { queryPage, stripKeys } from './query';

/** Why a gate could not be decided or closed. */
export type GateConflictReason = 'already_decided' | 'already_voted' | 'gate_closed' | 'gate_timed_out' | 'gate_not_found';

/** A decision on a gate, as stored. */
export interface GateDecision {
  status: 'approved' | 'rejected';
  decidedBy: string;
  decidedAt: string;
  comment?: string;
  data?: unknown;
}

/** A gate as opened: its token (server-only), the gate's resolved inputs (shown to approvers) and its inbox principals. */
export type OpenGate = Gate & { taskToken: string; inputs?: Record<string, unknown>; inboxPrincipals?: string[] };

/** The principals whose inboxes list the gate (server-side bookkeeping, kept on the gate item). */
export type GateWithPrincipals = Gate & { inboxPrincipals?: string[] };

function toGate(item: Record<string, unknown>): Gate {
  const { taskToken: _t, tokenAttempt: _a, deliveringBy: _b, deliveringUntil: _u, ...rest } = stripKeys(item);
  return rest as unknown as Gate;
}

/** True for DynamoDB's refusal to write into a map that does not exist. */
function isMissingPath(error: unknown): boolean {
  return error instanceof Error && error.name === 'ValidationException' && /document path/i.test(error.message);
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

  /**
   * Records one person's vote: a conditional write that holds only while the gate waits, before `timeoutAt`,
   * and the voter has not voted (`ConflictError` `already_voted`, or a reason of `decide`). The vote and its
   * count change in the same write, so concurrent votes are each counted once. Returns the gate after the vote.
   */
  async vote(runId: string, nodeId: string, vote: GateVote): Promise<Gate> {
    let lost: unknown;
    try {
      return await this.writeVote(runId, nodeId, vote);
    } catch (error) {
      if (isMissingPath(error)) {
        // A gate opened before votes existed has no `votes` map to write into: give it one, then vote.
        await this.ensureVotesMap(runId, nodeId);
        try {
          return await this.writeVote(runId, nodeId, vote);
        } catch (retryError) {
          if (!(retryError instanceof ConflictError)) throw retryError;
          lost = retryError;
        }
      } else if (!(error instanceof ConflictError)) throw error;
      else lost = error;
    }
    const gate = await this.get(runId, nodeId);
    if (gate?.status === 'waiting' && gate.votes?.[vote.by]) throw new ConflictError('already_voted', `${vote.by} has already voted on gate ${nodeId}`, { cause: lost });
    throw await this.whyNotDecidable(runId, nodeId, vote.at, lost);
  }

  private async writeVote(runId: string, nodeId: string, vote: GateVote): Promise<Gate> {
    const counter = vote.decision === 'approve' ? 'approvals' : 'rejections';
    const out = await storeCall(() =>
      this.table.client.send(new UpdateCommand({
        TableName: this.table.tableName,
        Key: keys.gate(runId, nodeId),
        UpdateExpression: `SET votes.#voter = :vote ADD ${counter} :one`,
        ConditionExpression: 'attribute_exists(PK) AND #st = :waiting AND timeoutAt > :now AND attribute_not_exists(votes.#voter)',
        ExpressionAttributeNames: { '#st': 'status', '#voter': vote.by },
        ExpressionAttributeValues: { ':vote': vote, ':one': 1, ':waiting': 'waiting', ':now': vote.at },
        ReturnValues: 'ALL_NEW',
      })),
    );
    return toGate(out.Attributes ?? {});
  }

  private async ensureVotesMap(runId: string, nodeId: string): Promise<void> {
    try {
      await storeCall(() => this.table.client.send(new UpdateCommand({
        TableName: this.table.tableName, Key: keys.gate(runId, nodeId),
        UpdateExpression: 'SET votes = :empty', ConditionExpression: 'attribute_exists(PK) AND attribute_not_exists(votes)',
        ExpressionAttributeValues: { ':empty': {} },
      })));
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
    }
  }

  /** Marks a waiting gate escalated (once); returns the gate, or `undefined` when it no longer waits or was escalated. */
  async escalate(runId: string, nodeId: string, at: string, addPrincipals: readonly string[]): Promise<Gate | undefined> {
    try {
      const out = await storeCall(() =>
        this.table.client.send(new UpdateCommand({
          TableName: this.table.tableName,
          Key: keys.gate(runId, nodeId),
          UpdateExpression: 'SET escalatedAt = :at, inboxPrincipals = list_append(if_not_exists(inboxPrincipals, :none), :more)',
          ConditionExpression: 'attribute_exists(PK) AND #st = :waiting AND attribute_not_exists(escalatedAt)',
          ExpressionAttributeNames: { '#st': 'status' },
          ExpressionAttributeValues: { ':at': at, ':waiting': 'waiting', ':none': [], ':more': [...addPrincipals] },
          ReturnValues: 'ALL_NEW',
        })),
      );
      return toGate(out.Attributes ?? {});
    } catch (error) {
      if (error instanceof ConflictError) return undefined;
      throw error;
    }
  }

  /** Moves the gate's current reminder from `seq - 1` to `seq` while it waits; false when it no longer waits or another firing moved it. */
  async advanceReminder(runId: string, nodeId: string, seq: number): Promise<boolean> {
    try {
      await storeCall(() =>
        this.table.client.send(new UpdateCommand({
          TableName: this.table.tableName,
          Key: keys.gate(runId, nodeId),
          UpdateExpression: 'SET reminderSeq = :seq',
          ConditionExpression: 'attribute_exists(PK) AND #st = :waiting AND reminderSeq = :prev',
          ExpressionAttributeNames: { '#st': 'status' },
          ExpressionAttributeValues: { ':seq': seq, ':prev': seq - 1, ':waiting': 'waiting' },
        })),
      );
      return true;
    } catch (error) {
      if (error instanceof ConflictError) return false;
      throw error;
    }
  }

  /**
   * Claims the sending of a decided gate's task result for `by` until `until`: granted when nothing was
   * delivered and no one else holds an unexpired claim (the same person may take their own claim over, as a
   * retried request does). So concurrent voters send the decision once; a follow-up cut short is finished by
   * its own retry at once, or by anyone after the claim expires.
   */
  async claimDelivery(runId: string, nodeId: string, by: string, now: string, until: string): Promise<boolean> {
    try {
      await storeCall(() =>
        this.table.client.send(new UpdateCommand({
          TableName: this.table.tableName,
          Key: keys.gate(runId, nodeId),
          UpdateExpression: 'SET deliveringBy = :by, deliveringUntil = :until',
          ConditionExpression: 'attribute_exists(PK) AND attribute_not_exists(deliveredAt) AND (attribute_not_exists(deliveringBy) OR deliveringBy = :by OR deliveringUntil < :now)',
          ExpressionAttributeValues: { ':by': by, ':until': until, ':now': now },
        })),
      );
      return true;
    } catch (error) {
      if (error instanceof ConflictError) return false;
      throw error;
    }
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

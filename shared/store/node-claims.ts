/**
 * Node claims: before an attempt's side effect (calling the agent or tool), it takes the node's claim
 * (`RUN#<runId>` / `CLAIM#<nodeId>`) with one conditional write, and releases it when its bookkeeping is done.
 * At most one attempt of a node holds it at a time, so no two deliveries of a node's attempts call the tool at
 * once: a duplicate delivery of the same attempt, or a later attempt arriving while an earlier one still runs
 * (a service retry after Lambda's client timed out), finds it held and waits. A holder that dies leaves its
 * claim to expire (`leaseUntil`: the node's timeout plus a margin), after which it can be taken over.
 */
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ConflictError } from '../errors';
import { storeCall } from './errors';
import { keys, type TableRef } from './table';

/** A node's claim as stored. */
export interface NodeClaim {
  /** The attempt holding (or that last held) the claim. */
  attempt: number;
  /** Who holds it: one id per delivery. */
  owner: string;
  /** `running` while held; `done` once released. */
  state: 'running' | 'done';
  /** Epoch milliseconds after which a `running` claim may be taken over. */
  leaseUntil: number;
  /** Set when a later attempt found the claim held and waits for it (ISO time). */
  supersededAt?: string;
}

/** What `take` found. */
export type ClaimOutcome =
  /** This delivery holds the claim (`takeover`: from a holder of the same attempt whose lease expired). */
  | { kind: 'taken'; takeover: boolean }
  /** Another delivery holds it, or a later attempt has taken it: see `claim`. */
  | { kind: 'refused'; claim: NodeClaim };

/** Takes and releases node claims. */
export class NodeClaimRepository {
  constructor(private readonly table: TableRef) {}

  /**
   * Takes the claim of `nodeId` for `attempt`: when nobody has it, when an earlier attempt released it or let
   * its lease expire, when a holder of the same attempt let its lease expire (a takeover), or when this owner
   * already holds it (a retried call whose first try applied). `retake`: also when a delivery of the same
   * attempt released it without recording an outcome (the caller has checked the attempt record).
   */
  async take(runId: string, nodeId: string, attempt: number, owner: string, leaseUntil: number, now: number, retake = false): Promise<ClaimOutcome> {
    const sameAttemptOpen = retake ? '(#a = :n AND (#s = :done OR #l < :now))' : '(#a = :n AND #s = :running AND #l < :now)';
    try {
      const out = await storeCall(() => this.table.client.send(new UpdateCommand({
        TableName: this.table.tableName,
        Key: keys.nodeClaim(runId, nodeId),
        UpdateExpression: 'SET #a = :n, #o = :owner, #s = :running, #l = :lease REMOVE supersededAt',
        ConditionExpression: `attribute_not_exists(PK) OR #o = :owner OR (#a < :n AND (#s = :done OR #l < :now)) OR ${sameAttemptOpen}`,
        ExpressionAttributeNames: { '#a': 'attempt', '#o': 'owner', '#s': 'state', '#l': 'leaseUntil' },
        ExpressionAttributeValues: { ':n': attempt, ':owner': owner, ':running': 'running', ':done': 'done', ':lease': leaseUntil, ':now': now },
        ReturnValues: 'ALL_OLD',
      })), { reason: 'claim_held', message: `node ${nodeId} is claimed` });
      const previous = out.Attributes;
      return { kind: 'taken', takeover: previous !== undefined && Number(previous.attempt) === attempt && previous.owner !== owner };
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      const claim = await this.get(runId, nodeId);
      if (!claim) throw error;
      return { kind: 'refused', claim };
    }
  }

  /**
   * Marks the claim of an earlier `attempt`, still running, as superseded: the state machine has retried it and
   * a later attempt waits for it. Does nothing when the claim has moved on.
   */
  async supersede(runId: string, nodeId: string, attempt: number, at: string): Promise<void> {
    try {
      await storeCall(() => this.table.client.send(new UpdateCommand({
        TableName: this.table.tableName,
        Key: keys.nodeClaim(runId, nodeId),
        UpdateExpression: 'SET supersededAt = if_not_exists(supersededAt, :at)',
        ConditionExpression: '#a = :n AND #s = :running',
        ExpressionAttributeNames: { '#a': 'attempt', '#s': 'state' },
        ExpressionAttributeValues: { ':n': attempt, ':running': 'running', ':at': at },
      })), { reason: 'claim_moved', message: `the claim of ${nodeId} has moved on` });
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
    }
  }

  /** Releases this owner's claim (nothing when another owner has taken it since). */
  async release(runId: string, nodeId: string, owner: string): Promise<void> {
    try {
      await storeCall(() => this.table.client.send(new UpdateCommand({
        TableName: this.table.tableName,
        Key: keys.nodeClaim(runId, nodeId),
        UpdateExpression: 'SET #s = :done',
        ConditionExpression: '#o = :owner',
        ExpressionAttributeNames: { '#s': 'state', '#o': 'owner' },
        ExpressionAttributeValues: { ':done': 'done', ':owner': owner },
      })), { reason: 'claim_lost', message: `the claim of ${nodeId} is not this owner's` });
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
    }
  }

  /** Reads a node's claim (strongly consistent); `undefined` when no attempt has taken it. */
  async get(runId: string, nodeId: string): Promise<NodeClaim | undefined> {
    const out = await storeCall(() => this.table.client.send(new GetCommand({ TableName: this.table.tableName, Key: keys.nodeClaim(runId, nodeId), ConsistentRead: true })));
    if (!out.Item) return undefined;
    return {
      attempt: Number(out.Item.attempt), owner: String(out.Item.owner), state: out.Item.state === 'done' ? 'done' : 'running', leaseUntil: Number(out.Item.leaseUntil),
      ...(typeof out.Item.supersededAt === 'string' ? { supersededAt: out.Item.supersededAt } : {}),
    };
  }
}

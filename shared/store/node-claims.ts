/**
 * Node claims: before an attempt's side effect (calling the agent or tool), it takes the node's claim with one
 * conditional write, and releases it when its bookkeeping is done. The claim is a map attribute `claim` of the
 * node's own item (`RUN#<runId>` / `NODE#<nodeId>`), so taking it can move the node to `running` in the same write
 * and releasing it can record the node's outcome in the same write (`takeStarting`, `NodeRunRepository.transition`
 * with `releasing`). At most one attempt of a node holds it at a time, so no two deliveries of a node's attempts
 * call the tool at once: a duplicate delivery of the same attempt, or a later attempt arriving while an earlier one
 * still runs (a service retry after Lambda's client timed out), finds it held and waits. A holder that dies leaves
 * its claim to expire (`leaseUntil`: the node's timeout plus a margin), after which it can be taken over. A node
 * item that holds only a claim (no `status`) is a pending node.
 */
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ConflictError } from '../errors';
import type { NodeRun } from '../model/types';
import { storeCall } from './errors';
import { toNodeRun } from './node-runs';
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

/** Attribute names of every claim expression. */
const NAMES = { '#c': 'claim', '#a': 'attempt', '#o': 'owner', '#s': 'state', '#l': 'leaseUntil' } as const;

/** The condition under which `owner` may take the claim for attempt `:n` (values `:n`, `:owner`, `:done`, `:running`, `:now`). */
function takeCondition(retake: boolean): string {
  const sameAttemptOpen = retake ? '(#c.#a = :n AND (#c.#s = :done OR #c.#l < :now))' : '(#c.#a = :n AND #c.#s = :running AND #c.#l < :now)';
  return `(attribute_not_exists(#c) OR #c.#o = :owner OR (#c.#a < :n AND (#c.#s = :done OR #c.#l < :now)) OR ${sameAttemptOpen})`;
}

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
    try {
      const out = await storeCall(() => this.table.client.send(new UpdateCommand({
        TableName: this.table.tableName,
        Key: keys.nodeRun(runId, nodeId),
        // The whole map is set: a new claim carries no `supersededAt`.
        UpdateExpression: 'SET #c = :claim',
        ConditionExpression: takeCondition(retake),
        ExpressionAttributeNames: NAMES,
        ExpressionAttributeValues: { ':claim': { attempt, owner, state: 'running', leaseUntil }, ':n': attempt, ':owner': owner, ...(retake ? {} : { ':running': 'running' }), ':done': 'done', ':now': now },
        ReturnValues: 'ALL_OLD',
      })), { reason: 'claim_held', message: `node ${nodeId} is claimed` });
      const previous = out.Attributes?.claim as Record<string, unknown> | undefined;
      return { kind: 'taken', takeover: previous !== undefined && Number(previous.attempt) === attempt && previous.owner !== owner };
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      const claim = await this.get(runId, nodeId);
      if (!claim) throw error;
      return { kind: 'refused', claim };
    }
  }

  /**
   * Takes the claim for a node's first attempt and moves the node from `pending` to `running` in the same
   * conditional write. Returns the running node, or `undefined` when either part did not hold (someone holds the
   * claim, or the node has left `pending`: a redelivery); the caller then takes the claim on its own
   * (`execution-claim.ts`), with the same owner so a first try that applied is recognised.
   */
  async takeStarting(runId: string, nodeId: string, attempt: number, owner: string, leaseUntil: number, now: number, startedAt: string): Promise<NodeRun | undefined> {
    try {
      const out = await storeCall(() => this.table.client.send(new UpdateCommand({
        TableName: this.table.tableName,
        Key: keys.nodeRun(runId, nodeId),
        UpdateExpression: 'SET #c = :claim, #st = :runningStatus, #runId = :runId, #nodeId = :nodeId, #entity = :entity, #startedAt = :startedAt',
        ConditionExpression: `${takeCondition(false)} AND (attribute_not_exists(#st) OR #st = :pending)`,
        ExpressionAttributeNames: { ...NAMES, '#st': 'status', '#runId': 'runId', '#nodeId': 'nodeId', '#entity': 'entity', '#startedAt': 'startedAt' },
        ExpressionAttributeValues: {
          // The attempt's start rides on the claim until its record is written at its end (`finishAttempt`).
          ':claim': { attempt, owner, state: 'running', leaseUntil, startedAt }, ':n': attempt, ':owner': owner, ':running': 'running', ':done': 'done', ':now': now,
          ':runningStatus': 'running', ':pending': 'pending', ':runId': runId, ':nodeId': nodeId, ':entity': 'node', ':startedAt': startedAt,
        },
        ReturnValues: 'ALL_NEW',
      })), { reason: 'claim_held', message: `node ${nodeId} is claimed or has started` });
      return toNodeRun(out.Attributes ?? {}, []);
    } catch (error) {
      if (error instanceof ConflictError) return undefined;
      throw error;
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
        Key: keys.nodeRun(runId, nodeId),
        UpdateExpression: 'SET #c.supersededAt = if_not_exists(#c.supersededAt, :at)',
        ConditionExpression: '#c.#a = :n AND #c.#s = :running',
        ExpressionAttributeNames: { '#c': NAMES['#c'], '#a': NAMES['#a'], '#s': NAMES['#s'] },
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
        Key: keys.nodeRun(runId, nodeId),
        UpdateExpression: 'SET #c.#s = :done',
        ConditionExpression: '#c.#o = :owner',
        ExpressionAttributeNames: { '#c': NAMES['#c'], '#s': NAMES['#s'], '#o': NAMES['#o'] },
        ExpressionAttributeValues: { ':done': 'done', ':owner': owner },
      })), { reason: 'claim_lost', message: `the claim of ${nodeId} is not this owner's` });
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
    }
  }

  /** Reads a node's claim (strongly consistent); `undefined` when no attempt has taken it. */
  async get(runId: string, nodeId: string): Promise<NodeClaim | undefined> {
    const out = await storeCall(() => this.table.client.send(new GetCommand({ TableName: this.table.tableName, Key: keys.nodeRun(runId, nodeId), ConsistentRead: true })));
    return claimOf(out.Item);
  }
}

/** The claim held in a node item, if any. */
export function claimOf(item: Record<string, unknown> | undefined): NodeClaim | undefined {
  const claim = item?.claim as Record<string, unknown> | undefined;
  if (!claim || typeof claim !== 'object') return undefined;
  return {
    attempt: Number(claim.attempt), owner: String(claim.owner), state: claim.state === 'done' ? 'done' : 'running', leaseUntil: Number(claim.leaseUntil),
    ...(typeof claim.supersededAt === 'string' ? { supersededAt: claim.supersededAt } : {}),
  };
}

/**
 * Node-run repository: a node's record within a run (`RUN#<runId>` / `NODE#<nodeId>`) and one item per attempt
 * (`ATTEMPT#<nodeId>#<0000>`). Every status change is a conditional write naming the statuses it may leave, so a
 * status never goes backwards and a repeated delivery changes nothing. A node without an item is `pending`.
 */
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { batchRead, itemKeyOf } from './batch-read';
import type { Cost, ErrorInfo, NodeAttempt, NodeRun, NodeStatus } from '../model/types';
import { ConflictError } from '../errors';
import { boundErrorInfo } from '../model/error-bounds';
import { MAX_STORED_OUTPUT_BYTES, omitOver } from '../model/stored-bounds';
import { keys, partitions, sortPrefixes, type TableRef } from './table';
import { storeCall } from './errors';
import { queryPage, stripKeys } from './query';
import type { PageKey } from './cursor';

/** One attempt as stored: the public attempt plus the route it returned (for redelivery). */
export interface AttemptRecord extends NodeAttempt {
  runId: string;
  nodeId: string;
  /** The route the attempt returned to the state machine, once it succeeded. */
  route?: string;
  /**
   * Read from the node's item (`FirstAttempt`): written with the node's success, before the attempt's events, so a
   * delivery that replays it appends them first (a no-op when they are in the log). Never shown.
   */
  onNode?: true;
}

/** Fields a node transition may set besides its status. */
export interface NodeFields {
  startedAt?: string;
  endedAt?: string;
  output?: unknown;
  error?: ErrorInfo;
  cost?: Cost;
  /** The route a succeeded node's task returned, kept so a retried task can report it again. */
  route?: string;
  /** A map node's item counters, set when its items are stored. */
  progress?: { total: number; succeeded: number; failed: number; running: number };
  /** Copied from the run this one was rerun from. */
  reused?: boolean;
  /** A `workflow_call` node's child run. */
  childRunId?: string;
  /**
   * The record of attempt 0 when its claim holder recorded it in the node's own write (`FirstAttempt`): no
   * `ATTEMPT#` item is written for it. Read through `getAttempt` and `list`, never shown as a node field.
   */
  firstAttempt?: FirstAttempt;
}

/**
 * Attempt 0 of a node started with its claim (`NodeClaimRepository.takeStarting`) and succeeded: its record rides
 * on the success write of the node item (issue 18, one round trip fewer per node). `getAttempt(…, 0)` and `list`
 * read it where an `ATTEMPT#…#0000` item has no status; a later write of that item (a retried attempt closing it)
 * wins over it.
 */
export type FirstAttempt = Omit<AttemptRecord, 'runId' | 'nodeId' | 'attempt' | 'status'> & { attempt: 0; status: 'succeeded' };

const ATTEMPT_PREFIX = sortPrefixes.attempt;
const NODE_PREFIX = sortPrefixes.nodeRun;

/** Reads and writes node runs and their attempts. */
export class NodeRunRepository {
  constructor(private readonly table: TableRef) {}

  /**
   * Records the start of an attempt once. Returns the stored attempt and whether this call created it
   * (`false`: a repeated delivery; the caller looks at the stored status).
   */
  async startAttempt(runId: string, nodeId: string, attempt: number, startedAt: string): Promise<{ record: AttemptRecord; created: boolean }> {
    const record: AttemptRecord = { runId, nodeId, attempt, status: 'running', startedAt };
    try {
      await storeCall(() =>
        this.table.client.send(new PutCommand({
          TableName: this.table.tableName,
          Item: { ...keys.nodeAttempt(runId, nodeId, attempt), entity: 'attempt', ...record },
          ConditionExpression: 'attribute_not_exists(PK)',
        })),
      { reason: 'attempt_exists', message: `attempt ${attempt} of ${nodeId} exists` });
      return { record, created: true };
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      const existing = await this.getAttempt(runId, nodeId, attempt);
      if (!existing) throw error;
      return { record: existing, created: false };
    }
  }

  /** Reads one attempt (strongly consistent); attempt 0 also from the node's item (`FirstAttempt`), in the same round trip. */
  async getAttempt(runId: string, nodeId: string, attempt: number): Promise<AttemptRecord | undefined> {
    if (attempt === 0) {
      const attemptKey = keys.nodeAttempt(runId, nodeId, 0);
      const nodeKey = keys.nodeRun(runId, nodeId);
      const found = await batchRead(this.table, [attemptKey, nodeKey]);
      return attemptOf(found.get(itemKeyOf(attemptKey))) ?? firstAttemptOf(found.get(itemKeyOf(nodeKey)));
    }
    const out = await storeCall(() =>
      this.table.client.send(new GetCommand({ TableName: this.table.tableName, Key: keys.nodeAttempt(runId, nodeId, attempt), ConsistentRead: true })),
    );
    return attemptOf(out.Item);
  }

  /**
   * Finishes a running attempt; returns false when it had already finished (nothing written). With `startedAt`,
   * also records an attempt that has no item yet (a first attempt started by `NodeClaimRepository.takeStarting`
   * keeps its start on the node's claim and writes its record once, here).
   */
  async finishAttempt(
    runId: string,
    nodeId: string,
    attempt: number,
    result: { status: 'succeeded' | 'failed'; endedAt: string; error?: ErrorInfo; route?: string; supersededAt?: string; cost?: Cost; startedAt?: string },
  ): Promise<boolean> {
    // Errors are bounded here, where attempts are recorded: a failure is always stored with its real error.
    const { names, values, sets } = setClause({ status: result.status, endedAt: result.endedAt, error: result.error && boundErrorInfo(result.error), route: result.route, supersededAt: result.supersededAt, cost: result.cost });
    values[':running'] = 'running';
    let condition = 'attribute_exists(PK) AND #f0 = :running';
    if (result.startedAt !== undefined) {
      Object.assign(names, { '#startedAt': 'startedAt', '#runId': 'runId', '#nodeId': 'nodeId', '#attempt': 'attempt', '#entity': 'entity' });
      Object.assign(values, { ':startedAt': result.startedAt, ':runId': runId, ':nodeId': nodeId, ':attempt': attempt, ':entity': 'attempt' });
      sets.push('#startedAt = if_not_exists(#startedAt, :startedAt)', '#runId = :runId', '#nodeId = :nodeId', '#attempt = :attempt', '#entity = :entity');
      // No status yet: the item holds only what was written about the attempt meanwhile (its budget mark).
      condition = 'attribute_not_exists(PK) OR attribute_not_exists(#f0) OR #f0 = :running';
    }
    try {
      await storeCall(() =>
        this.table.client.send(new UpdateCommand({
          TableName: this.table.tableName,
          Key: keys.nodeAttempt(runId, nodeId, attempt),
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        })),
      { reason: 'attempt_finished', message: 'attempt already finished' });
      return true;
    } catch (error) {
      if (error instanceof ConflictError) return false;
      throw error;
    }
  }

  /**
   * Moves a node to `to` with `fields`, only from one of `from` (`pending` includes "no item yet").
   * Returns the updated node, or `undefined` when the node was in another status (nothing written).
   */
  async transition(runId: string, nodeId: string, to: NodeStatus, fields: NodeFields, from: readonly NodeStatus[], options: { releasing?: string } = {}): Promise<NodeRun | undefined> {
    // By construction no node item passes DynamoDB's limit: executable nodes' outputs are already held to 256 KiB
    // by the executor; a derived output over it (a join of large outputs, which no binding may read) becomes a marker.
    const { names, values, sets } = setClause({
      status: to, ...fields,
      ...(fields.error ? { error: boundErrorInfo(fields.error) } : {}),
      ...(fields.output !== undefined ? { output: omitOver(fields.output, MAX_STORED_OUTPUT_BYTES) } : {}),
    });
    names['#runId'] = 'runId';
    names['#nodeId'] = 'nodeId';
    names['#entity'] = 'entity';
    values[':runId'] = runId;
    values[':nodeId'] = nodeId;
    values[':entity'] = 'node';
    sets.push('#runId = :runId', '#nodeId = :nodeId', '#entity = :entity');
    const allowed = from.map((s, i) => {
      values[`:from${i}`] = s;
      return `:from${i}`;
    });
    const inClause = allowed.length > 0 ? `#f0 IN (${allowed.join(', ')})` : undefined;
    // A node item without a status holds only a claim (`node-claims.ts`): the node is pending.
    const statusCondition = from.includes('pending')
      ? `attribute_not_exists(#f0) OR ${inClause}`
      : (inClause ?? 'attribute_not_exists(PK) AND attribute_exists(PK)');
    let condition = statusCondition;
    if (options.releasing !== undefined) {
      // The claim's holder records the outcome and releases the claim in one write (ARCHITECTURE.md, "Fewer round
      // trips per node"); lost (another owner took over): nothing is written and the caller goes the long way.
      names['#claim'] = 'claim';
      names['#claimState'] = 'state';
      names['#claimOwner'] = 'owner';
      values[':claimDone'] = 'done';
      values[':claimOwner'] = options.releasing;
      sets.push('#claim.#claimState = :claimDone');
      condition = `(${statusCondition}) AND #claim.#claimOwner = :claimOwner`;
    }
    try {
      const out = await storeCall(() =>
        this.table.client.send(new UpdateCommand({
          TableName: this.table.tableName,
          Key: keys.nodeRun(runId, nodeId),
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        })),
      { reason: 'node_status', message: `node ${nodeId} cannot move to ${to}` });
      return toNodeRun(out.Attributes ?? {}, []);
    } catch (error) {
      if (error instanceof ConflictError) return undefined;
      throw error;
    }
  }

  /**
   * Puts a node back to `pending` for a redrive, only from one of `from`, clearing its end and error (its
   * attempts stay: the node view lists every attempt of every drive). Returns false when it was in another status.
   */
  async reopen(runId: string, nodeId: string, from: readonly NodeStatus[]): Promise<boolean> {
    const values: Record<string, unknown> = { ':pending': 'pending' };
    const allowed = from.map((status, i) => {
      values[`:s${i}`] = status;
      return `:s${i}`;
    });
    try {
      await storeCall(() => this.table.client.send(new UpdateCommand({
        TableName: this.table.tableName,
        Key: keys.nodeRun(runId, nodeId),
        UpdateExpression: 'SET #st = :pending REMOVE endedAt, #err',
        ConditionExpression: `attribute_exists(PK) AND #st IN (${allowed.join(', ')})`,
        ExpressionAttributeNames: { '#st': 'status', '#err': 'error' },
        ExpressionAttributeValues: values,
      })), { reason: 'node_status', message: `node ${nodeId} cannot be reopened` });
      return true;
    } catch (error) {
      if (error instanceof ConflictError) return false;
      throw error;
    }
  }

  /** Reads a node's record (without attempts); `undefined` means pending. */
  async get(runId: string, nodeId: string): Promise<NodeRun | undefined> {
    const out = await storeCall(() =>
      this.table.client.send(new GetCommand({ TableName: this.table.tableName, Key: keys.nodeRun(runId, nodeId), ConsistentRead: true })),
    );
    return out.Item?.status !== undefined ? toNodeRun(out.Item, []) : undefined;
  }

  /** Every recorded node of a run with its attempts, by node id. */
  async list(runId: string): Promise<Map<string, NodeRun>> {
    const [nodes, attempts] = await Promise.all([this.queryAll(runId, NODE_PREFIX), this.queryAll(runId, ATTEMPT_PREFIX)]);
    const byNode = new Map<string, NodeAttempt[]>();
    for (const item of attempts) {
      const a = attemptOf(item);
      if (!a) continue;
      const list = byNode.get(a.nodeId) ?? [];
      list.push(publicAttempt(a));
      byNode.set(a.nodeId, list);
    }
    const out = new Map<string, NodeRun>();
    for (const item of nodes) {
      if (item.status === undefined) continue; // a claim alone: the node is pending
      // A first attempt started with its claim (`takeStarting`) has no item until it ends: it shows as running.
      const claim = item.claim as { attempt?: unknown; startedAt?: unknown } | undefined;
      const listed = byNode.get(String(item.nodeId)) ?? [];
      // Attempt 0 recorded on the node's own item, unless an attempt item says otherwise.
      const first = firstAttemptOf(item);
      if (first && !listed.some((a) => a.attempt === 0)) listed.push(publicAttempt(first));
      if (typeof claim?.startedAt === 'string' && typeof claim.attempt === 'number' && !listed.some((a) => a.attempt === claim.attempt)) {
        listed.push({ attempt: claim.attempt, status: 'running', startedAt: claim.startedAt });
      }
      const node = toNodeRun(item, listed);
      out.set(node.nodeId, node);
    }
    // Attempts of a node whose own item is not written yet still show (as running).
    for (const [nodeId, list] of byNode) {
      if (!out.has(nodeId)) out.set(nodeId, { runId, nodeId, status: 'running', attempts: list, startedAt: list[0]?.startedAt });
    }
    return out;
  }

  private async queryAll(runId: string, prefix: string): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let startKey: PageKey | undefined;
    do {
      const page = await queryPage(this.table, { index: 'table', partition: partitions.run(runId), sortPrefix: prefix, ascending: true, limit: 500, startKey, consistent: true });
      items.push(...page.items);
      startKey = page.lastKey;
    } while (startKey);
    return items;
  }
}

/**
 * An attempt item as a record; `undefined` when it has no status: a first attempt started with its claim has no
 * record until its end, though its budget mark (`costCharged`) may be written on the item before that.
 */
export function attemptOf(item: Record<string, unknown> | undefined): AttemptRecord | undefined {
  if (!item || item.status === undefined) return undefined;
  return stripKeys(item) as unknown as AttemptRecord;
}

/** Attempt 0 as recorded on a node item (`FirstAttempt`), if it is. */
export function firstAttemptOf(item: Record<string, unknown> | undefined): AttemptRecord | undefined {
  const first = item?.firstAttempt as FirstAttempt | undefined;
  if (!first || typeof first !== 'object' || first.status === undefined) return undefined;
  return { ...first, runId: String(item?.runId), nodeId: String(item?.nodeId), onNode: true } as AttemptRecord;
}

function publicAttempt(a: AttemptRecord): NodeAttempt {
  const { runId: _r, nodeId: _n, route, onNode: _o, ...rest } = a;
  // The attempt that ended with the agent's question (route `input-required`, agent-replies.ts).
  return route === 'input-required' ? { ...rest, asked: true } : rest;
}

/** A node item (document form) with its attempts as a `NodeRun`. */
export function toNodeRun(item: Record<string, unknown>, attempts: NodeAttempt[]): NodeRun {
  const { updatedAt: _u, claim: _claim, firstAttempt: _first, ...rest } = stripKeys(item);
  return { ...(rest as unknown as NodeRun), attempts: attempts.sort((a, b) => a.attempt - b.attempt) };
}

/** Builds `SET #f0 = :v0, …` for the defined fields; `#f0` is always the first field (the status). */
function setClause(fields: Record<string, unknown>): { names: Record<string, string>; values: Record<string, unknown>; sets: string[] } {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const sets: string[] = [];
  Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .forEach(([k, v], i) => {
      names[`#f${i}`] = k;
      values[`:v${i}`] = v;
      sets.push(`#f${i} = :v${i}`);
    });
  return { names, values, sets };
}

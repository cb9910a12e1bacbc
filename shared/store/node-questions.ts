/**
 * Questions of `agent_call` nodes (A2A `input-required`): one item per node (`RUN#<runId>` / `ASK#<nodeId>`, in
 * the item's partition inside a map) holding the latest question, the A2A task it belongs to, the token of the
 * `X:reply` task that waits for the reply, and the reply once someone gave it. Every change is one conditional
 * write, so a reply and the token's arrival can race in either order and exactly one of them completes the task.
 */
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ConflictError } from '../errors';
import { storeCall } from './errors';
import { keys, type TableRef } from './table';

/** Where a question stands. */
export type QuestionStatus =
  /** The agent asked; no `X:reply` task has registered its token yet. */
  | 'asked'
  /** `X:reply` waits with its token. */
  | 'waiting'
  /** Someone replied (the next turn sends the reply; a later question replaces the item). */
  | 'replied';

/** What the agent asked. */
export interface Question {
  /** The agent's message text (its text parts joined by newlines; `""` when none). */
  text: string;
  /** Its data parts (one value, an array of several, or `null`). */
  data: unknown;
}

/** A reply to a question. */
export interface Reply {
  text?: string;
  data?: unknown;
  /** Who replied (user id). */
  by: string;
  /** When (ISO). */
  at: string;
}

/** A node's question as stored (`taskToken` is never returned by a route or written to an event or a log). */
export interface NodeQuestion {
  nodeId: string;
  /** The turn that asked it (0: the node's first call). */
  turn: number;
  /** The drive (`$$.Execution.RedriveCount`) that asked it: a later drive's question replaces any earlier one. */
  drive: number;
  status: QuestionStatus;
  question: Question;
  /** The A2A task and context the reply goes to. */
  taskId: string;
  contextId: string;
  askedAt: string;
  taskToken?: string;
  reply?: Reply;
  /** When the reply reached the waiting task. */
  deliveredAt?: string;
}

function toQuestion(item: Record<string, unknown>): NodeQuestion {
  const { PK: _pk, SK: _sk, entity: _entity, ...rest } = item;
  return rest as unknown as NodeQuestion;
}

/** Reads and writes node questions. */
export class NodeQuestionRepository {
  constructor(private readonly table: TableRef) {}

  /** Reads the node's latest question (strongly consistent); `undefined` when it never asked. */
  async get(runId: string, nodeId: string): Promise<NodeQuestion | undefined> {
    const out = await storeCall(() => this.table.client.send(new GetCommand({ TableName: this.table.tableName, Key: keys.nodeQuestion(runId, nodeId), ConsistentRead: true })));
    return out.Item ? toQuestion(out.Item) : undefined;
  }

  /**
   * Records the question of `turn` in `drive`, replacing an earlier turn's (or an earlier drive's). A repeated
   * record of the same question (a redelivery) changes nothing. Returns false when a later question (or this
   * one's reply) is already recorded.
   */
  async ask(runId: string, q: Omit<NodeQuestion, 'status' | 'taskToken' | 'reply' | 'deliveredAt'>): Promise<boolean> {
    try {
      await storeCall(() => this.table.client.send(new PutCommand({
        TableName: this.table.tableName,
        Item: { ...keys.nodeQuestion(runId, q.nodeId), entity: 'question', ...q, status: 'asked' },
        ConditionExpression: 'attribute_not_exists(PK) OR #d < :drive OR (#d = :drive AND (turn < :turn OR (turn = :turn AND #s = :asked)))',
        ExpressionAttributeNames: { '#s': 'status', '#d': 'drive' },
        ExpressionAttributeValues: { ':turn': q.turn, ':drive': q.drive, ':asked': 'asked' },
      })), { reason: 'question_recorded', message: `the question of ${q.nodeId} is recorded` });
      return true;
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      return false;
    }
  }

  /**
   * Keeps the token of the `X:reply` task waiting for the reply to `turn` (a newer task's token replaces an older
   * one's). Returns the question as it stands: `waiting` with this token, or `replied` when the reply came first
   * (the caller then completes the token itself), or whatever else it found.
   */
  async await(runId: string, nodeId: string, taskToken: string): Promise<NodeQuestion | undefined> {
    try {
      const out = await storeCall(() => this.table.client.send(new UpdateCommand({
        TableName: this.table.tableName,
        Key: keys.nodeQuestion(runId, nodeId),
        UpdateExpression: 'SET taskToken = :token, #s = :waiting',
        ConditionExpression: '#s IN (:asked, :waiting)',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':token': taskToken, ':asked': 'asked', ':waiting': 'waiting' },
        ReturnValues: 'ALL_NEW',
      })), { reason: 'not_waiting', message: `node ${nodeId} is not waiting for a reply` });
      return out.Attributes ? toQuestion(out.Attributes) : undefined;
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      return this.get(runId, nodeId);
    }
  }

  /**
   * Records the reply to the question of `turn` while it is open (`asked` or `waiting`): exactly one reply wins.
   * Returns the replied question (with the token when `X:reply` already waits); `ConflictError` `not_waiting`
   * when it was answered, closed, or replaced meanwhile.
   */
  async reply(runId: string, nodeId: string, turn: number, reply: Reply): Promise<NodeQuestion> {
    const out = await storeCall(() => this.table.client.send(new UpdateCommand({
      TableName: this.table.tableName,
      Key: keys.nodeQuestion(runId, nodeId),
      UpdateExpression: 'SET #s = :replied, reply = :reply',
      ConditionExpression: '#s IN (:asked, :waiting) AND turn = :turn',
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: { ':replied': 'replied', ':reply': reply, ':asked': 'asked', ':waiting': 'waiting', ':turn': turn },
      ReturnValues: 'ALL_NEW',
    })), { reason: 'not_waiting', message: `node ${nodeId} is not waiting for a reply` });
    return toQuestion(out.Attributes as Record<string, unknown>);
  }

  /** Notes that the reply of `turn` reached its task (idempotent). */
  async markDelivered(runId: string, nodeId: string, turn: number, at: string): Promise<void> {
    try {
      await storeCall(() => this.table.client.send(new UpdateCommand({
        TableName: this.table.tableName,
        Key: keys.nodeQuestion(runId, nodeId),
        UpdateExpression: 'SET deliveredAt = if_not_exists(deliveredAt, :at)',
        ConditionExpression: 'turn = :turn',
        ExpressionAttributeValues: { ':turn': turn, ':at': at },
      })), { reason: 'question_moved', message: `the question of ${nodeId} has moved on` });
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
    }
  }
}

/**
 * The single DynamoDB table behind Braid: key names, key builders and the document client.
 * The key design is written down in ARCHITECTURE.md ("Store"); every repository builds keys here.
 */
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { marshallSafe } from './plain-data';

/** Names of the table's key attributes and indexes. The CDK stack creates exactly these. */
export const TABLE_SCHEMA = {
  partitionKey: 'PK',
  sortKey: 'SK',
  /** Owner/user/workflow listings: workflows by owner, grants by user, runs by workflow. */
  gsi1: { name: 'GSI1', partitionKey: 'GSI1PK', sortKey: 'GSI1SK' },
  /** Sparse catalogue: public workflows and templates; active runs. */
  gsi2: { name: 'GSI2', partitionKey: 'GSI2PK', sortKey: 'GSI2SK' },
  /** Epoch seconds after which DynamoDB may delete the item (connections, subscriptions). */
  ttlAttribute: 'ttl',
} as const;

/** Builders for every key in the table, so no repository spells a prefix by hand. */
export const keys = {
  workflow: (id: string) => ({ PK: `WF#${id}`, SK: 'META' }),
  workflowVersion: (id: string, version: number) => ({ PK: `WF#${id}`, SK: `V#${String(version).padStart(8, '0')}` }),
  grant: (workflowId: string, userId: string) => ({ PK: `WF#${workflowId}`, SK: `GRANT#${userId}` }),
  /** Recent successful durations of a workflow's nodes (the critical-path planner's learned weights). */
  durationStats: (workflowId: string) => ({ PK: `WF#${workflowId}`, SK: 'STATS' }),
  run: (runId: string) => ({ PK: `RUN#${runId}`, SK: 'META' }),
  /** A finished run's output, apart from its input: each item stays under DynamoDB's 400 KB on its own. */
  runOutput: (runId: string) => ({ PK: `RUN#${runId}`, SK: 'OUTPUT' }),
  runIdempotency: (workflowId: string, userId: string, key: string) => ({ PK: `RUNKEY#${workflowId}#${userId}#${key}`, SK: 'META' }),
  nodeRun: (runId: string, nodeId: string) => ({ PK: `RUN#${runId}`, SK: `NODE#${nodeId}` }),
  nodeAttempt: (runId: string, nodeId: string, attempt: number) => ({ PK: `RUN#${runId}`, SK: `ATTEMPT#${nodeId}#${String(attempt).padStart(4, '0')}` }),
  gate: (runId: string, nodeId: string) => ({ PK: `RUN#${runId}`, SK: `GATE#${nodeId}` }),
  /** The question an `agent_call` asked (A2A `input-required`), its reply task token and the reply. */
  nodeQuestion: (runId: string, nodeId: string) => ({ PK: `RUN#${runId}`, SK: `ASK#${nodeId}` }),
  eventLog: (runId: string) => ({ PK: `RUN#${runId}`, SK: 'LOG' }),
  event: (runId: string, seq: number) => ({ PK: `RUN#${runId}`, SK: `EV#${String(seq).padStart(10, '0')}` }),
  /** A recorded transition of a run's event log: binds its key to its seq, once. */
  transition: (runId: string, transitionKey: string) => ({ PK: `RUN#${runId}`, SK: `TK#${transitionKey}` }),
  connection: (connectionId: string) => ({ PK: `CONN#${connectionId}`, SK: 'META' }),
  subscription: (runId: string, connectionId: string) => ({ PK: `RUN#${runId}`, SK: `SUB#${connectionId}` }),
  connectionSubscription: (connectionId: string, runId: string) => ({ PK: `CONN#${connectionId}`, SK: `SUB#${runId}` }),
  /** An open gate in the inbox of one principal (`user:<id>`, `group:<name>`, `wf:<workflowId>` for its grantees). */
  inboxEntry: (principal: string, openedAt: string, runId: string, nodeId: string) => ({ PK: `INBOX#${principal}`, SK: `${openedAt}#${runId}#${nodeId}` }),
  /**
   * An open wait of a run (a gate or an agent's question, in the run or one of its map items: `partition` is the
   * gate's or question's partition run id), so closing a run finds what still waits without reading every item.
   */
  openWait: (runId: string, partition: string, nodeId: string, openedAt: string) => ({ PK: `RUN#${runId}`, SK: `WAIT#${partition}#${nodeId}#${openedAt}` }),
  /** A workflow's webhook signing secret. */
  webhookSecret: (workflowId: string) => ({ PK: `WF#${workflowId}`, SK: 'WEBHOOK' }),
  /** One webhook delivery of a workflow, newest last. */
  webhookDelivery: (workflowId: string, at: string, id: string) => ({ PK: `WF#${workflowId}`, SK: `DELIVERY#${at}#${id}` }),
  /** The last seq the live fan-out has pushed to a run's subscribers. */
  fanOutMark: (runId: string) => ({ PK: `RUN#${runId}`, SK: 'FANOUT' }),
  /** A user's quota counter: `ACTIVE_RUNS` (a set of slots), `WORKFLOWS`, `SECRETS` (counts), `STARTS#<minute>`. */
  quota: (userId: string, counter: string) => ({ PK: `QUOTA#${userId}`, SK: counter }),
  /** Where the scheduled reconciliation's sweep of the active-runs index resumes. */
  reconcileCursor: () => ({ PK: 'RECONCILE', SK: 'ACTIVE_RUNS' }),
} as const;

/** Partition keys that queries read (each matches the builders above). */
export const partitions = {
  workflow: (id: string) => keys.workflow(id).PK,
  run: (runId: string) => keys.run(runId).PK,
  /** GSI1: an owner's workflows. */
  owner: (ownerId: string) => `OWNER#${ownerId}`,
  /** GSI1: a user's grants. */
  user: (userId: string) => `USER#${userId}`,
  /** GSI1: a workflow's runs. */
  workflowRuns: (workflowId: string) => `WF#${workflowId}#RUNS`,
} as const;

/** Sort-key prefixes that queries read. */
export const sortPrefixes = {
  version: 'V#',
  grant: 'GRANT#',
  nodeRun: 'NODE#',
  attempt: 'ATTEMPT#',
  gate: 'GATE#',
  /** A run's open waits (`keys.openWait`). */
  openWait: 'WAIT#',
  /** GSI1 sort keys of an owner's workflows. */
  ownedWorkflow: 'WF#',
} as const;

/** GSI1 keys of the items indexed there. */
export const gsi1Keys = {
  workflowByOwner: (ownerId: string, updatedAt: string, id: string) => ({ GSI1PK: partitions.owner(ownerId), GSI1SK: `${sortPrefixes.ownedWorkflow}${updatedAt}#${id}` }),
  grantByUser: (userId: string, workflowId: string) => ({ GSI1PK: partitions.user(userId), GSI1SK: `${sortPrefixes.grant}${workflowId}` }),
  runByWorkflow: (workflowId: string, startedAt: string, runId: string) => ({ GSI1PK: partitions.workflowRuns(workflowId), GSI1SK: `${startedAt}#${runId}` }),
} as const;

/** GSI2 partition of the sparse active-runs index (runs not yet final; `GSI2SK` is `<startedAt>#<runId>`). */
export const ACTIVE_RUNS_PARTITION = 'ACTIVE_RUNS';

/** Sort-key prefix of event items: the table's stream is filtered on it. */
export const EVENT_SK_PREFIX = 'EV#';

/**
 * Builds the document client every repository uses.
 * @example createDocumentClient({ endpoint: 'http://127.0.0.1:4567', region: 'local' })
 */
export function createDocumentClient(config: DynamoDBClientConfig = {}): DynamoDBDocumentClient {
  const inner = new DynamoDBClient(config);
  const client = DynamoDBDocumentClient.from(inner, {
    // `convertClassInstanceToMap`: user JSON may hold a `constructor` key, which makes the marshaller take a
    // plain object for a class instance and throw; every value Braid stores is plain data, so map them all.
    // `allowImpreciseNumbers`: a JSON number beyond 2^53 has already lost its precision in JSON.parse; store it
    // as parsed instead of throwing. (Numbers outside DynamoDB's range are refused at the HTTP edge.)
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: true, allowImpreciseNumbers: true },
    // Read every number back as a JSON number (the SDK would return a BigInt beyond 2^53, which JSON cannot encode).
    unmarshallOptions: { wrapNumbers: (value: string) => Number(value) },
  });
  // The marshaller dispatches on `value.constructor.name`, which a user's own `constructor` key overrides
  // (`{"constructor":{"name":"Set"}}`): every document-client command's input goes through `marshallSafe`.
  // Low-level commands (attribute-value inputs) pass untouched; they are recognised by the lack of key nodes.
  const send = client.send.bind(client) as (command: unknown, ...rest: unknown[]) => Promise<unknown>;
  (client as { send: unknown }).send = (command: { input?: Record<string, unknown>; inputKeyNodes?: unknown }, ...rest: unknown[]) => {
    if (command.inputKeyNodes !== undefined && command.input) {
      for (const [key, value] of Object.entries(command.input)) command.input[key] = marshallSafe(value);
    }
    return send(command, ...rest);
  };
  // The document client's own `destroy()` is a no-op: without this its keep-alive sockets outlive it, and a local
  // server closing behind it waits for them to time out (dynalite's close took 6 s).
  client.destroy = () => inner.destroy();
  return client;
}

/** Where repositories find the table. */
export interface TableRef {
  client: DynamoDBDocumentClient;
  tableName: string;
}

/**
 * DynamoDB Streams emulation for the local stack (dynalite has no streams): SDK middleware on the local
 * DynamoDB client that, after a successful write of an event item (`SK` begins with `EV#`), hands a
 * Streams-shaped record (`INSERT`, `NewImage` in attribute-value form) to a consumer — the `ws-fanout`
 * handler — one batch at a time per run, in write order. Records that arrive while a run's batch is being
 * consumed wait and form its next batch (up to `batchSize`), as Lambda's poller batches a shard. A batch that
 * reports item failures is retried from the first failed record, as Lambda does with `ReportBatchItemFailures`.
 */
import { AsyncResource } from 'node:async_hooks';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { EVENT_SK_PREFIX } from '../../shared/store/table';

/** Anything with an SDK middleware stack: a `DynamoDBClient` or a `DynamoDBDocumentClient` (they share one). */
interface HasMiddlewareStack {
  middlewareStack: { add(middleware: unknown, options: { step: 'initialize'; name: string; override?: boolean }): void };
}

/** Receives stream batches, like a Lambda on a DynamoDB event source mapping. */
export type StreamConsumer = (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse | void>;

/** Options of `attachStreamEmulation`. */
export interface StreamEmulationOptions {
  /** Attempts per batch before it is dropped (and logged). @default 3 */
  maxAttempts?: number;
  /** Delay between attempts, ms. @default 50 */
  retryDelayMs?: number;
  /** Where dropped batches are reported. @default console.error */
  onDropped?: (error: unknown, event: DynamoDBStreamEvent) => void;
  /** Table name for the record's `eventSourceARN`. @default "braid" */
  tableName?: string;
  /** Most records per batch (the stack's event source mapping uses 100). @default 100 */
  batchSize?: number;
}

/** A running emulation. */
export interface StreamEmulation {
  /** Resolves when every record handed over so far has been consumed. */
  idle(): Promise<void>;
  /** Records emitted so far. */
  readonly emitted: number;
}

type Item = Record<string, unknown>;

/** Attaches the emulation to a client; every later successful event-item write yields one record. */
export function attachStreamEmulation(client: HasMiddlewareStack, consume: StreamConsumer, options: StreamEmulationOptions = {}): StreamEmulation {
  const maxAttempts = options.maxAttempts ?? 3;
  const retryDelayMs = options.retryDelayMs ?? 50;
  const onDropped = options.onDropped ?? ((error: unknown) => console.error('ws-stream: dropped a stream batch', error));
  const arn = `arn:aws:dynamodb:local:000000000000:table/${options.tableName ?? 'braid'}/stream/local`;
  const batchSize = options.batchSize ?? 100;
  /** Records waiting per run, and the worker consuming each run's records (at most one per run). */
  const waiting = new Map<string, DynamoDBRecord[]>();
  const workers = new Map<string, Promise<void>>();
  let sequence = 0;
  let emitted = 0;
  // The consumer is another function (ws-fanout), not part of the writer's call: its work runs in the async
  // context of the emulation's creation, so context-keyed instruments (the per-node bench) do not charge it to the writer.
  const detached = new AsyncResource('braid-local-stream');

  async function deliver(records: DynamoDBRecord[]): Promise<void> {
    let batch = records;
    for (let attempt = 1; ; attempt += 1) {
      const event: DynamoDBStreamEvent = { Records: batch };
      try {
        const response = await consume(event);
        if (!response || response.batchItemFailures.length === 0) return;
        // Retry from the first failed record on, like Lambda.
        const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
        const from = batch.findIndex((r) => failed.has(r.dynamodb?.SequenceNumber ?? ''));
        batch = from >= 0 ? batch.slice(from) : batch;
        throw new Error(`consumer reported ${response.batchItemFailures.length} failed record(s)`);
      } catch (error) {
        if (attempt >= maxAttempts) {
          onDropped(error, event);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, retryDelayMs));
      }
    }
  }

  /** Consumes a run's waiting records, a batch at a time, until none are left. */
  async function work(runKey: string): Promise<void> {
    for (;;) {
      const queue = waiting.get(runKey) ?? [];
      if (queue.length === 0) {
        waiting.delete(runKey);
        workers.delete(runKey);
        return;
      }
      await deliver(queue.splice(0, batchSize));
    }
  }

  function emit(item: Record<string, AttributeValue>): void {
    const runKey = item.PK?.S ?? '';
    sequence += 1;
    emitted += 1;
    const record: DynamoDBRecord = {
      eventID: `local-${sequence}`,
      eventName: 'INSERT',
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: 'local',
      eventSourceARN: arn,
      dynamodb: {
        ApproximateCreationDateTime: Math.floor(Date.now() / 1000),
        Keys: { PK: { S: runKey }, SK: { S: item.SK?.S ?? '' } },
        NewImage: item as NonNullable<DynamoDBRecord['dynamodb']>['NewImage'],
        SequenceNumber: String(sequence).padStart(21, '0'),
        SizeBytes: JSON.stringify(item).length,
        StreamViewType: 'NEW_IMAGE',
      },
    };
    // One worker per run: records of a run are consumed in write order, runs in parallel. The worker starts a
    // microtask later, so the records of one write (a `BatchWriteItem` of a node's two events) form one batch,
    // as Lambda's poller takes what the shard holds.
    const queue = waiting.get(runKey) ?? [];
    queue.push(record);
    waiting.set(runKey, queue);
    if (!workers.has(runKey)) workers.set(runKey, detached.runInAsyncScope(() => Promise.resolve().then(() => work(runKey))));
  }

  client.middlewareStack.add(
    (next: (args: { input: Item }) => Promise<unknown>) => async (args: { input: Item }) => {
      const result = await next(args);
      for (const item of writtenItems(args.input)) {
        const image = toAttributeValues(item);
        if (image.SK?.S?.startsWith(EVENT_SK_PREFIX)) emit(image);
      }
      return result;
    },
    { step: 'initialize', name: 'braidLocalStreamEmulation', override: true },
  );

  return {
    async idle() {
      while (workers.size > 0) await Promise.all([...workers.values()]);
    },
    get emitted() {
      return emitted;
    },
  };
}

/**
 * Items a PutItem or BatchWriteItem input writes. Other commands carry `RequestItems` too (BatchGetItem's is a
 * map of `{ Keys }`, not a list of write requests): anything that is not a list of write requests writes nothing.
 */
export function writtenItems(input: Item): Item[] {
  if (input.Item && typeof input.Item === 'object') return [input.Item as Item];
  const requests = input.RequestItems as Record<string, unknown> | undefined;
  if (!requests || typeof requests !== 'object') return [];
  return Object.values(requests).flatMap((list) => {
    if (!Array.isArray(list)) return [];
    return list.flatMap((r: { PutRequest?: { Item?: Item } } | null) => (r?.PutRequest?.Item && typeof r.PutRequest.Item === 'object' ? [r.PutRequest.Item] : []));
  });
}

/** At `initialize`, a document-client input is still plain JS (a string `PK`), a low-level input is not. */
function toAttributeValues(item: Item): Record<string, AttributeValue> {
  if (typeof item.PK === 'string') return marshall(item, { removeUndefinedValues: true, convertClassInstanceToMap: true, allowImpreciseNumbers: true });
  return item as Record<string, AttributeValue>;
}

/**
 * Event-log cost: DynamoDB write units and round trips of one `append`, at transition 10 and at transition
 * 10,000 of a run, measured by an instrumented document client on dynalite. Write units follow DynamoDB's rule
 * (1 WCU per started KB of the larger of the item before and after the write); the instrument reads each written
 * item before and after on an uninstrumented client, so its own reads are not counted.
 * `npx tsx bench/event-log-cost.ts [--seed]`: `--seed` reaches transition 10,000 by writing the log's state
 * directly (for a layout whose appends get too slow to replay 10,000 times), else by real appends.
 */
import { marshall } from '@aws-sdk/util-dynamodb';
import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { startDynamo } from '../infra/local/dynamo';
import { createEventLogRepository } from '../shared/store/events';
import type { TableRef } from '../shared/store/table';

/** One append's cost. */
export interface AppendCost {
  transition: number;
  roundTrips: number;
  writes: number;
  writeUnits: number;
  /** Largest item written, in bytes. */
  largestItemBytes: number;
}

/** DynamoDB's item size: attribute names plus values (strings as UTF-8, numbers about 1 byte per 2 digits). */
export function itemBytes(item: Record<string, unknown> | undefined): number {
  if (!item) return 0;
  const size = (v: Record<string, unknown>): number => {
    if ('S' in v) return Buffer.byteLength(String(v.S));
    if ('N' in v) return Math.ceil(String(v.N).replace(/[-.]/g, '').length / 2) + 1;
    if ('B' in v) return (v.B as Uint8Array).length;
    if ('BOOL' in v || 'NULL' in v) return 1;
    if ('M' in v) return 3 + Object.entries(v.M as Record<string, Record<string, unknown>>).reduce((n, [k, x]) => n + Buffer.byteLength(k) + size(x) + 1, 0);
    if ('L' in v) return 3 + (v.L as Record<string, unknown>[]).reduce((n, x) => n + size(x) + 1, 0);
    return 0;
  };
  const raw = marshall(item, { removeUndefinedValues: true, convertClassInstanceToMap: true });
  return Object.entries(raw).reduce((n, [k, v]) => n + Buffer.byteLength(k) + size(v as unknown as Record<string, unknown>), 0);
}

/** A table ref whose client counts round trips and write units of every call it sends. */
export function instrumented(table: TableRef): { table: TableRef; reset(): void; cost(): Omit<AppendCost, 'transition'> } {
  let roundTrips = 0;
  let writes = 0;
  let writeUnits = 0;
  let largest = 0;
  const read = async (key: Record<string, unknown>) =>
    (await table.client.send(new GetCommand({ TableName: table.tableName, Key: key, ConsistentRead: true }))).Item;
  const client = new Proxy(table.client, {
    get(target, prop, receiver) {
      if (prop !== 'send') return Reflect.get(target, prop, receiver);
      return async (command: { constructor: { name: string }; input: { Key?: Record<string, unknown>; Item?: Record<string, unknown> } }) => {
        roundTrips += 1;
        const name = command.constructor.name;
        if (!/^(Put|Update|Delete)Command$/.test(name)) return target.send(command as never);
        const key = command.input.Key ?? { PK: command.input.Item?.PK, SK: command.input.Item?.SK };
        const before = itemBytes(await read(key));
        try {
          return await target.send(command as never);
        } finally {
          const after = itemBytes(await read(key));
          writes += 1;
          largest = Math.max(largest, before, after);
          writeUnits += Math.max(1, Math.ceil(Math.max(before, after) / 1024));
        }
      };
    },
  }) as DynamoDBDocumentClient;
  return {
    table: { client, tableName: table.tableName },
    reset() { roundTrips = 0; writes = 0; writeUnits = 0; largest = 0; },
    cost: () => ({ roundTrips, writes, writeUnits, largestItemBytes: largest }),
  };
}

/** A transition key like the executor's (`node.started:<node>:<attempt>` over 500 nodes). */
function transitionKey(i: number): string {
  return `node.started:node_${String(i % 500).padStart(3, '0')}:${Math.floor(i / 500)}`;
}

/** Measures the cost of appends number `at` (1-based) of one run. */
export async function eventLogCost(at: readonly number[], options: { seed?: (table: TableRef, runId: string, upTo: number) => Promise<void> } = {}): Promise<AppendCost[]> {
  const dynamo = await startDynamo({ tableName: 'bench-events' });
  try {
    const probe = instrumented(dynamo);
    const log = createEventLogRepository(probe.table);
    const plain = createEventLogRepository(dynamo);
    const runId = 'bench-run';
    const out: AppendCost[] = [];
    let done = 0;
    for (const n of [...at].sort((a, b) => a - b)) {
      if (options.seed && n - 1 > done) {
        await options.seed(dynamo, runId, n - 1);
        done = n - 1;
      }
      for (; done < n - 1; done += 1) await plain.append(runId, transitionKey(done), { type: 'node.started', at: new Date().toISOString(), data: { attempt: 0 } });
      probe.reset();
      await log.append(runId, transitionKey(done), { type: 'node.started', at: new Date().toISOString(), data: { attempt: 0 } });
      done += 1;
      out.push({ transition: n, ...probe.cost() });
    }
    return out;
  } finally {
    await dynamo.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const started = Date.now();
  const costs = await eventLogCost([10, 10_000]);
  console.log(JSON.stringify({ costs, seconds: (Date.now() - started) / 1000 }, null, 2));
}

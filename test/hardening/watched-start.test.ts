/**
 * A quick first attempt logs its start with its end (start-event.ts) only while nobody watches the run: when the
 * run's fan-out mark lists a subscribed connection (read in the attempt's first `BatchGetItem`, no extra round trip),
 * the start goes out at once, so a live client sees the node start when it starts. Counted, never timed.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkflowDefinition } from '../../shared/definition/schema';
import { createExecutionService, type ExecutionService } from '../../shared/services/execution';
import { keys } from '../../shared/store/table';
import { assertConsistentRun, startRunHarness, type RunHarness } from './run-harness';

const FLOW: WorkflowDefinition = {
  name: 'watched-start',
  nodes: [{ id: 'a', type: 'tool_call', tool: { kind: 'builtin', name: 'echo' }, inputs: { n: '$context.q' } }],
  edges: [],
};

let h: RunHarness;
let execution: ExecutionService;
let counting = false;
const commands: string[] = [];

beforeAll(async () => {
  h = await startRunHarness();
  // The start would wait for the end for a minute: whatever the machine's speed, only a watcher changes it.
  execution = createExecutionService(h.stores, {}, { startEventDeferMs: 60_000 });
  h.table.client.middlewareStack.add((next, context) => async (args) => {
    // The version's two reads (once per process and version: each seeded run has a new workflow) are left out.
    const key = (args.input as { Key?: { PK?: unknown } }).Key;
    if (counting && !String(key?.PK ?? '').startsWith('WF#')) commands.push(String((context as { commandName?: string }).commandName).replace(/Command$/, ''));
    return next(args);
  }, { step: 'initialize', name: 'watchedStartCount' });
});
afterAll(async () => { await h?.close(); });

/** Runs node `a`'s first attempt and returns the commands it sent, sorted. */
async function executeCounted(runId: string): Promise<string[]> {
  commands.length = 0;
  counting = true;
  try {
    await execution.execute(runId, 'a', 0);
  } finally {
    counting = false;
  }
  return [...commands].sort();
}

describe('a quick node\'s start, watched or not', () => {
  it('waits for the end while nobody watches: one claim, one binding, one batch for both events', async () => {
    const { runId } = await h.seedRun(FLOW);
    expect(await executeCounted(runId)).toStrictEqual(['BatchGetItem', 'BatchWriteItem', 'UpdateItem', 'UpdateItem', 'UpdateItem', 'UpdateItem']);
    await assertConsistentRun(h.stores, runId);
  });

  it('goes out at once when a connection watches the run', async () => {
    // Prepare: a subscribed connection, as `subscribe` records it on the run's fan-out mark
    const { runId } = await h.seedRun(FLOW);
    await h.table.client.send(new UpdateCommand({ TableName: h.table.tableName, Key: keys.fanOutMark(runId), UpdateExpression: 'ADD subs :c', ExpressionAttributeValues: { ':c': new Set(['conn-1']) } }));

    // Act
    const sent = await executeCounted(runId);

    // Assess: the start's claim, binding and item on their own, then the end's
    expect(sent).toStrictEqual(['BatchGetItem', 'PutItem', 'PutItem', 'UpdateItem', 'UpdateItem', 'UpdateItem', 'UpdateItem', 'UpdateItem', 'UpdateItem']);
    const events = (await h.stores.events.list(runId)).events.map((e) => e.type);
    expect(events).toStrictEqual(['run.started', 'node.started', 'node.succeeded']);
    await assertConsistentRun(h.stores, runId);
  });
});

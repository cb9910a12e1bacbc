/**
 * A quick node writes its outcome and its two events in four writes (issue 18, ARCHITECTURE.md "Fewer round trips
 * per node"): the node's success with attempt 0's record, one claim of two seqs on the log's head, one binding
 * update for both keys, one batch of the two event items. Each test stops the attempt at one of those writes (the
 * store fails it, before it commits) or leaves what a crashed process leaves, then lets the state machine's retry
 * (attempt 1) run, and checks the log has each event once, in order, and agrees with the records.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { WorkflowDefinition } from '../../shared/definition/schema';
import { createExecutionService, type ExecutionService } from '../../shared/services/execution';
import { nowIso } from '../../shared/services/execution-context';
import { assertConsistentRun, startRunHarness, type RunHarness } from './run-harness';

const FLOW: WorkflowDefinition = {
  name: 'quick-node-faults',
  nodes: [
    { id: 'a', type: 'tool_call', tool: { kind: 'builtin', name: 'echo' }, inputs: { n: '$context.q' } },
    { id: 'b', type: 'tool_call', tool: { kind: 'builtin', name: 'echo' }, inputs: { n: '$a.n' } },
  ],
  edges: [{ from: 'a', to: 'b' }],
};

let h: RunHarness;
let execution: ExecutionService;
/** Which write fails next (once, before it commits). */
let failNext: ((command: string, input: Record<string, any>) => boolean) | undefined;

beforeAll(async () => {
  h = await startRunHarness();
  // A start always waits for its end here: the writes are the same on every machine.
  execution = createExecutionService(h.stores, {}, { startEventDeferMs: 60_000 });
  h.table.client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = String((context as { commandName?: string }).commandName);
      if (failNext?.(command, args.input as Record<string, any>)) {
        failNext = undefined;
        throw Object.assign(new Error('injected: throughput exceeded'), { name: 'ProvisionedThroughputExceededException', $fault: 'client', $metadata: { httpStatusCode: 400 } });
      }
      return next(args);
    },
    { step: 'initialize', name: 'quickNodeFault', priority: 'high' },
  );
});
afterEach(() => { failNext = undefined; });
afterAll(async () => { await h?.close(); });

/** The run's log as `type node attempt` strings. */
async function log(runId: string): Promise<string[]> {
  return (await h.stores.events.list(runId)).events.map((e) => [e.type, e.nodeId, e.data.attempt].filter((x) => x !== undefined).join(' '));
}

const isSuccessWrite = (command: string, input: Record<string, any>) => command === 'UpdateItemCommand' && String(input.Key?.SK).startsWith('NODE#a') && Object.values(input.ExpressionAttributeValues ?? {}).includes('succeeded');
const isJointClaim = (command: string, input: Record<string, any>) => command === 'UpdateItemCommand' && String(input.UpdateExpression).startsWith('SET lastSeq') && Object.values(input.ExpressionAttributeNames ?? {}).includes('node.succeeded:a');
const isBinding = (command: string, input: Record<string, any>) => command === 'UpdateItemCommand' && input.Key?.SK === 'TN#a';
const isEventBatch = (command: string) => command === 'BatchWriteItemCommand';

describe('a quick node stopped at one of its writes', () => {
  it.each([
    ['the joint claim of its two events', isJointClaim],
    ['the binding of its two events', isBinding],
    ['the batch of its two event items', isEventBatch],
  ])('after its success is written, at %s: the retry logs what is missing, once', async (_name, fault) => {
    // Prepare
    const { runId } = await h.seedRun(FLOW);
    failNext = fault;
    const first = await execution.execute(runId, 'a', 0).then(() => 'returned', (error: unknown) => (error as Error).name);
    expect(failNext, 'the fault was injected').toBeUndefined();
    expect(first).toBe('Braid.Transient');
    expect((await h.stores.nodeRuns.get(runId, 'a'))?.status).toBe('succeeded');

    // Act: the state machine retries the Task; then the next node runs
    const retry = await execution.execute(runId, 'a', 1);
    await execution.execute(runId, 'b', 0);

    // Assess
    expect(retry).toStrictEqual({ route: 'ok' });
    expect(await log(runId)).toStrictEqual(['run.started', 'node.started a 0', 'node.succeeded a 1', 'node.started b 0', 'node.succeeded b 0'].map((l) => (l === 'node.succeeded a 1' && fault !== isJointClaim ? 'node.succeeded a 0' : l)));
    const nodes = await h.stores.nodeRuns.list(runId);
    expect(nodes.get('a')?.attempts.map((a) => [a.attempt, a.status])).toStrictEqual([[0, 'succeeded'], [1, 'succeeded']]);
    await assertConsistentRun(h.stores, runId);
  });

  it('after its success is written, at the joint claim: a second delivery of the same attempt logs both events before it answers', async () => {
    // Prepare
    const { runId } = await h.seedRun(FLOW);
    failNext = isJointClaim;
    expect(await execution.execute(runId, 'a', 0).then(() => 'returned', (error: unknown) => (error as Error).name)).toBe('Braid.Transient');

    // Act: the same attempt delivered again (a duplicate invocation) replays the recorded success
    const twin = await execution.execute(runId, 'a', 0);

    // Assess: it answers only once the events are in the log, so the run can go on without them missing
    expect(twin).toStrictEqual({ route: 'ok' });
    expect(await log(runId)).toStrictEqual(['run.started', 'node.started a 0', 'node.succeeded a 0']);
    await execution.execute(runId, 'b', 0);
    await assertConsistentRun(h.stores, runId);
  });

  it('at its success write: the attempt fails like any other and the retry runs the node again', async () => {
    // Prepare
    const { runId } = await h.seedRun(FLOW);
    failNext = isSuccessWrite;
    const first = await execution.execute(runId, 'a', 0).then(() => 'returned', (error: unknown) => (error as Error).name);
    expect(first).toBe('Braid.Transient');

    // Act
    await execution.execute(runId, 'a', 1);

    // Assess: the start and the retry's record come together, the second attempt's start and success together
    expect(await log(runId)).toStrictEqual(['run.started', 'node.started a 0', 'node.retrying a 0', 'node.started a 1', 'node.succeeded a 1']);
    await assertConsistentRun(h.stores, runId);
  });

  it('when its process died during the call: the retry logs the start it never logged, then runs the node again', async () => {
    // Prepare: what a process that died in the call leaves: the node running under its claim (lease over), no event;
    // the retry comes before the node's timeout, so the attempt is closed as stopped (Braid.Transient), not timed out
    const { runId } = await h.seedRun(FLOW);
    const startedAt = nowIso(h.stores);
    expect(await h.stores.claims.takeStarting(runId, 'a', 0, 'a-dead-process', Date.now() - 1, Date.now(), startedAt)).toBeDefined();

    // Act
    const retry = await execution.execute(runId, 'a', 1);

    // Assess
    expect(retry).toStrictEqual({ route: 'ok' });
    expect(await log(runId)).toStrictEqual(['run.started', 'node.started a 0', 'node.started a 1', 'node.succeeded a 1']);
    const attempts = (await h.stores.nodeRuns.list(runId)).get('a')?.attempts ?? [];
    expect(attempts.map((a) => [a.attempt, a.status, a.error?.name])).toStrictEqual([[0, 'failed', 'Braid.Transient'], [1, 'succeeded', undefined]]);
    await assertConsistentRun(h.stores, runId);
  });
});

/**
 * Closing a run is retried (the finalizer's status event is redelivered or the sweep finds the run; the finalize
 * Task is retried): a try that failed between a status write and its event must not leave that event out, or the
 * log never shows the node's (or the run's) end and a client following it waits for ever. Each test fails the
 * store at the exact call (the event-log claim of one transition key, once, before it commits), then retries.
 * Found by the fault suite (`faults.test.ts`): a finalizer whose three tries all failed, each at another call.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { WorkflowDefinition } from '../../shared/definition/schema';
import { createReconciler } from '../../shared/services/execution-reconcile';
import { assertConsistentRun, startRunHarness, type RunHarness } from './run-harness';

const FLOW: WorkflowDefinition = {
  name: 'close-retries',
  nodes: [
    { id: 'a', type: 'tool_call', tool: { kind: 'builtin', name: 'echo' } },
    { id: 'b', type: 'tool_call', tool: { kind: 'builtin', name: 'echo' } },
  ],
  edges: [{ from: 'a', to: 'b' }],
};

let h: RunHarness;
/** The transition key whose next event-log claim fails (throttled, before it commits); cleared once it has. */
let failClaimOf: string | undefined;

beforeAll(async () => {
  h = await startRunHarness();
  h.table.client.middlewareStack.add(
    (next) => async (args) => {
      const input = args.input as { ExpressionAttributeNames?: Record<string, string>; UpdateExpression?: string };
      if (failClaimOf !== undefined && Object.values(input?.ExpressionAttributeNames ?? {}).includes(failClaimOf) && input.UpdateExpression?.startsWith('SET lastSeq')) {
        failClaimOf = undefined;
        throw Object.assign(new Error('injected: throughput exceeded'), { name: 'ProvisionedThroughputExceededException', $fault: 'client', $metadata: { httpStatusCode: 400 } });
      }
      return next(args);
    },
    { step: 'initialize', name: 'closeRetriesFault', priority: 'high' },
  );
});
afterEach(() => { failClaimOf = undefined; });
afterAll(async () => { await h?.close(); });

/** The run's log as `type node` strings. */
async function log(runId: string): Promise<string[]> {
  return (await h.stores.events.list(runId)).events.map((e) => `${e.type}${e.nodeId ? ` ${e.nodeId}` : ''}`);
}

describe('a retried close records what its failed try wrote', () => {
  it('a node closed by a failed reconcile gets its end event on the retry', async () => {
    // Prepare
    const { runId } = await h.seedRun(FLOW);
    const reconciler = createReconciler(h.stores);
    const ended = { runId, status: 'FAILED' as const, error: 'Braid.Transient', cause: 'the store is temporarily unavailable' };
    failClaimOf = 'node.cancelled:a';

    // Act
    const first = await reconciler.reconcile(ended).then(() => 'returned', (error: unknown) => (error as Error).name);
    const retry = await reconciler.reconcile(ended);

    // Assess
    expect(first).toBe('Braid.Transient');
    expect(failClaimOf, 'the fault was injected').toBeUndefined();
    expect(retry).toBe('finished');
    // The retry closes what is still open first, then appends what its failed try left out.
    expect(await log(runId)).toStrictEqual(['run.started', 'node.cancelled b', 'node.cancelled a', 'run.failed']);
    await assertConsistentRun(h.stores, runId);
  });

  it('a run made final by a failed reconcile gets its end event on the retry', async () => {
    // Prepare
    const { runId } = await h.seedRun(FLOW);
    const reconciler = createReconciler(h.stores);
    const ended = { runId, status: 'FAILED' as const, error: 'Braid.Transient', cause: 'the store is temporarily unavailable' };
    failClaimOf = 'run.failed';

    // Act
    const first = await reconciler.reconcile(ended).then(() => 'returned', (error: unknown) => (error as Error).name);
    const retry = await reconciler.reconcile(ended);

    // Assess
    expect(first).toBe('Braid.Transient');
    expect((await h.stores.store.runs.get(runId))?.status, 'the failed try made the run final').toBe('failed');
    expect(retry).toBe('closed');
    expect(await log(runId)).toStrictEqual(['run.started', 'node.cancelled a', 'node.cancelled b', 'run.failed']);
    const events = await assertConsistentRun(h.stores, runId);
    expect(events.at(-1)?.data).toMatchObject({ status: 'failed', error: { name: 'Braid.Transient' } });
  });

  it('a node whose success was written but whose event failed gets it when the execution fails past it', async () => {
    // Prepare: the node's task fails after the node's write (the state machine would retry it; say its retries ran out).
    const { runId } = await h.seedRun(FLOW);
    const reconciler = createReconciler(h.stores);
    failClaimOf = 'node.succeeded:a';
    const task = await h.execution.execute(runId, 'a', 0).then(() => 'returned', (error: unknown) => (error as Error).name);
    expect(task).toBe('Braid.Transient');
    expect((await h.stores.nodeRuns.get(runId, 'a'))?.status, 'the failed task made the node succeeded').toBe('succeeded');

    // Act
    const outcome = await reconciler.reconcile({ runId, status: 'FAILED', error: 'Braid.Transient', cause: 'the store is temporarily unavailable' });

    // Assess
    expect(outcome).toBe('finished');
    // Its quick attempt appends its start with its success (start-event.ts): both were left out, both come back.
    expect(await log(runId)).toStrictEqual(['run.started', 'node.cancelled b', 'node.started a', 'node.succeeded a', 'run.failed']);
    await assertConsistentRun(h.stores, runId);
  });

  it('a run made final by a failed finalize task gets its end event when the task is retried', async () => {
    // Prepare
    const { runId } = await h.seedRun(FLOW);
    await h.execution.execute(runId, 'a', 0);
    await h.execution.execute(runId, 'b', 0);
    failClaimOf = 'run.succeeded';

    // Act
    const first = await h.execution.finalize(runId).then(() => 'returned', (error: unknown) => (error as Error).name);
    const retry = await h.execution.finalize(runId);

    // Assess
    expect(first).toBe('Braid.Transient');
    expect(retry).toStrictEqual({ route: 'ok' });
    expect(await log(runId)).toStrictEqual(['run.started', 'node.started a', 'node.succeeded a', 'node.started b', 'node.succeeded b', 'run.succeeded']);
    await assertConsistentRun(h.stores, runId);
  });
});

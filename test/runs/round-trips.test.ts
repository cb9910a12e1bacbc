/**
 * Store round trips of an executed node (issue 18): a regression guard that counts, never times. The executor's
 * DynamoDB commands are counted inside each invocation (an `AsyncLocalStorage` context set by the `wrapExecutor`
 * seam), on a chain of builtin `echo` nodes each reading the previous one's output.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkflow, getEvents, getNodes, startRun, startRunStack, waitForRun, type TestStack } from './helpers';

const context = new AsyncLocalStorage<{ nodeId: string; action: string }>();
const calls = new Map<string, string[]>();

/**
 * A quick node's start waits up to `startEventDeferMs` to be logged with its end (start-event.ts): fixed here, so the
 * count never depends on how fast the machine is. 60 s: always together; 0: the start at once, on its own.
 */
describe.each([
  { deferMs: 60_000, expected: ['BatchGetItem', 'BatchWriteItem', 'UpdateItem', 'UpdateItem', 'UpdateItem', 'UpdateItem'] },
  { deferMs: 0, expected: ['BatchGetItem', 'PutItem', 'PutItem', 'UpdateItem', 'UpdateItem', 'UpdateItem', 'UpdateItem', 'UpdateItem', 'UpdateItem'] },
])('store round trips per executed node, start logged after at most $deferMs ms', ({ deferMs, expected }) => {
  let stack: TestStack;
  beforeAll(async () => {
    calls.clear();
    stack = await startRunStack({
      startEventDeferMs: deferMs,
      wrapExecutor: (executor) => (event) => {
        const e = event as { action?: string; nodeId?: string };
        return context.run({ nodeId: String(e.nodeId), action: String(e.action) }, () => executor(event));
      },
    });
    stack.store.table.client.middlewareStack.add((next: (a: any) => Promise<any>, ctx: { commandName?: string }) => async (args: any) => {
      const tag = context.getStore();
      if (tag?.action === 'execute') calls.set(tag.nodeId, [...(calls.get(tag.nodeId) ?? []), String(ctx.commandName).replace(/Command$/, '')]);
      return next(args);
    }, { step: 'initialize', name: 'roundTripCount' });
  });
  afterAll(async () => { await stack?.close(); });

  it(`takes ${expected.length} for a first attempt that succeeds, with every record and event in place`, async () => {
    // Prepare
    const chain = ['a', 'b', 'c', 'd'];
    const wf = await createWorkflow(stack, 'alice', {
      name: 'chain',
      nodes: chain.map((id, i) => ({ id, type: 'tool_call', tool: { kind: 'builtin', name: 'echo' }, inputs: i === 0 ? { n: '$context.n' } : { n: `$${chain[i - 1]}.n` } })),
      edges: chain.slice(1).map((id, i) => ({ from: chain[i], to: id })),
    });

    // Act
    const runId = await startRun(stack, 'alice', wf, { input: { n: 7 } });
    const run = await waitForRun(stack, 'alice', runId, ['succeeded', 'failed']);

    // Assess: the first node of a run in this process also learns the version (2 reads) and the upstream records
    // it did not know to ask for (1 read). Every later node, together: one read; the claim that starts the node; its
    // success with attempt 0's record; one claim of two seqs, one binding update and one batch for its two events.
    // At once: the start's claim, binding and item come apart from the end's.
    expect(run.status).toBe('succeeded');
    expect(run.output).toStrictEqual({ d: { n: 7 } });
    for (const id of ['b', 'c', 'd']) expect([...(calls.get(id) ?? [])].sort(), id).toStrictEqual(expected);
    const nodes = await getNodes(stack, 'alice', runId);
    for (const id of chain) {
      expect(nodes[id].status).toBe('succeeded');
      expect(nodes[id].attempts.map((a: any) => [a.attempt, a.status])).toStrictEqual([[0, 'succeeded']]);
      expect(nodes[id]).not.toHaveProperty('claim');
    }
    const events = await getEvents(stack, 'alice', runId);
    expect(events.map((e) => e.seq)).toStrictEqual(events.map((_, i) => i + 1));
    expect(events.filter((e) => e.nodeId).map((e) => `${e.type}:${e.nodeId}`)).toStrictEqual(chain.flatMap((id) => [`node.started:${id}`, `node.succeeded:${id}`]));
  });
});

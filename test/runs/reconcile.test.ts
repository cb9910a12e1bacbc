import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHandler as createExecutorHandler } from '../../functions/executor/handler';
import { createHandler as createFinalizerHandler, type FinalizerResult } from '../../functions/finalizer/handler';
import { createLogger } from '../../functions/http/logger';
import { LocalOrchestrator } from '../../infra/local/local-orchestrator';
import { createRunStores } from '../../shared/services/execution-context';
import { createWorkflow, getEvents, startRun, waitFor, waitForRun, type TestStack } from './helpers';
import { startTestStack } from '../support/local-stack';
import { testExecutorDeps } from '../support/egress';

// The stack's orchestrator has no finalizer: executions end without the status-change event, as when
// EventBridge drops it. Only the scheduled sweep can then end their runs.
const logger = createLogger('reconcile-test', 'SILENT');
const FIFTEEN_MINUTES = 15 * 60_000;
const SCHEDULED = { version: '0', id: 'e1', 'detail-type': 'Scheduled Event', source: 'aws.events', account: '000000000000', time: '', region: 'local', resources: [], detail: {} };

const gated = {
  name: 'gated',
  nodes: [
    { id: 'ask', type: 'human_gate', prompt: 'Ship it?', timeoutSeconds: 3600 },
    { id: 'after', type: 'tool_call', tool: { kind: 'builtin', name: 'echo' }, inputs: { ok: '$ask.approved' } },
  ],
  edges: [{ from: 'ask', to: 'after' }],
};

let stack: TestStack;
let local: LocalOrchestrator;
let workflowId: string;

/** A finalizer whose clock reads `now` (default: 16 minutes from now, so every run started so far is due). */
function finalizer(now: () => Date = () => new Date(Date.now() + FIFTEEN_MINUTES + 60_000), maxRuns?: number) {
  return createFinalizerHandler({ store: stack.store, logger, orchestrator: local, clock: now, ...(maxRuns ? { sweep: { maxRuns } } : {}) });
}

/** Writes a `running` run of the gated workflow straight to the store, started at `startedAt`, with no execution. */
async function writeRun(startedAt: string): Promise<string> {
  const runId = randomUUID();
  await stack.store.runs.create({
    runId, workflowId, version: 1, ownerId: 'alice', startedBy: 'alice', status: 'running', input: {}, startedAt, cost: { usd: 0 },
  });
  return runId;
}

/** Starts the run's execution on the local engine without recording its ARN on the run. */
async function startExecution(runId: string): Promise<string> {
  const version = await stack.store.workflows.getVersion((await stack.store.workflows.get(workflowId))!, 1);
  const { executionArn } = await local.start({ versionArn: version!.stateMachineVersionArn!, runId, input: { runId, r: {} } });
  return executionArn;
}

/** Run ids in the active-runs index (everything started before the far future). */
async function activeRunIds(): Promise<string[]> {
  const ids: string[] = [];
  let cursor;
  do {
    const page = await stack.store.runs.listActive(new Date('2999-01-01T00:00:00Z'), 100, cursor);
    ids.push(...page.runs.map((r) => r.runId));
    cursor = page.lastKey;
  } while (cursor);
  return ids;
}

async function sweep(handler: ReturnType<typeof finalizer>): Promise<Extract<FinalizerResult, { outcome: 'swept' }>> {
  const result = await handler(SCHEDULED);
  if (result.outcome !== 'swept') throw new Error(`expected a sweep, got ${result.outcome}`);
  return result;
}

beforeAll(async () => {
  let executor: (event: unknown) => Promise<unknown> = async () => undefined;
  local = new LocalOrchestrator({ executor: (event) => executor(event) });
  stack = await startTestStack({ orchestrator: local });
  executor = createExecutorHandler({ store: stack.store, logger, executors: testExecutorDeps() });
  workflowId = await createWorkflow(stack, 'alice', gated);
});

afterAll(async () => {
  local?.close();
  await stack?.close();
});

describe('scheduled reconciliation', () => {
  it('ends a run whose execution ended without a status-change event', async () => {
    // Prepare
    const runId = await startRun(stack, 'alice', workflowId);
    await waitForRun(stack, 'alice', runId, ['waiting']);
    const executionArn = (await stack.store.runs.getExecutionArn(runId))!;
    await local.stop({ executionArn, error: 'Console.Stop', cause: 'stopped in the console' });
    await waitFor(async () => ((await local.describe({ executionArn })).status === 'ABORTED' ? true : undefined), 'the execution to abort');
    expect((await stack.store.runs.get(runId))?.status).toBe('waiting');

    // Act
    await sweep(finalizer());

    // Assess
    const run = await stack.store.runs.get(runId);
    expect(run?.status).toBe('cancelled');
    const stores = createRunStores(stack.store);
    expect((await stores.nodeRuns.list(runId)).get('ask')?.status).toBe('cancelled');
    expect((await stores.gates.list(runId)).map((g) => g.status)).toStrictEqual(['cancelled']);
    expect((await getEvents(stack, 'alice', runId)).map((e) => e.type).filter((t) => t.startsWith('run.'))).toStrictEqual(['run.started', 'run.cancelled']);
  });

  it('fails a run whose start never reached the orchestrator with Braid.StartLost', async () => {
    // Prepare
    const now = new Date();
    const runId = await writeRun(new Date(now.getTime() - FIFTEEN_MINUTES - 60_000).toISOString());

    // Act: the sweep's clock is the same instant
    await sweep(finalizer(() => now));

    // Assess
    const run = await stack.store.runs.get(runId);
    expect(run?.status).toBe('failed');
    expect(run?.error?.name).toBe('Braid.StartLost');
    expect(run?.error?.message).toContain('never started');
  });

  it('leaves alone a run younger than 15 minutes that has no execution yet', async () => {
    // Prepare
    const now = new Date();
    const runId = await writeRun(new Date(now.getTime() - FIFTEEN_MINUTES + 60_000).toISOString());

    // Act: the sweep's clock is the same instant
    await sweep(finalizer(() => now));

    // Assess
    expect((await stack.store.runs.get(runId))?.status).toBe('running');
    expect(await activeRunIds()).toContain(runId);
  });

  it('leaves alone an active run whose execution is still running', async () => {
    // Prepare
    const runId = await startRun(stack, 'alice', workflowId);
    await waitForRun(stack, 'alice', runId, ['waiting']);

    // Act
    const result = await sweep(finalizer());

    // Assess
    expect(result.summary.running).toBeGreaterThanOrEqual(1);
    expect((await stack.store.runs.get(runId))?.status).toBe('waiting');
    expect((await local.describe({ executionArn: (await stack.store.runs.getExecutionArn(runId))! })).status).toBe('RUNNING');
    expect(await activeRunIds()).toContain(runId);
  });

  it('finds the execution of a run whose ARN was never recorded, leaves it running and records the ARN', async () => {
    // Prepare
    const runId = await writeRun(new Date(Date.now() - FIFTEEN_MINUTES - 60_000).toISOString());
    const executionArn = await startExecution(runId);
    await waitForRun(stack, 'alice', runId, ['waiting']);

    // Act
    await sweep(finalizer(() => new Date()));

    // Assess
    expect((await stack.store.runs.get(runId))?.status).toBe('waiting');
    expect(await stack.store.runs.getExecutionArn(runId)).toBe(executionArn);
  });

  it('changes nothing on a second sweep', async () => {
    // Prepare
    const runId = await writeRun(new Date(Date.now() - FIFTEEN_MINUTES - 60_000).toISOString());
    await sweep(finalizer(() => new Date()));
    const first = await stack.store.runs.get(runId);

    // Act
    await sweep(finalizer(() => new Date()));

    // Assess
    expect(await stack.store.runs.get(runId)).toStrictEqual(first);
    expect((await getEvents(stack, 'alice', runId)).filter((e) => e.type === 'run.failed')).toHaveLength(1);
  });

  it('resumes where the previous bounded sweep stopped, so a long-running run does not starve the rest', async () => {
    // Prepare: in a window of their own, an old run still running, then a lost start.
    const running = await writeRun('2001-01-01T00:00:01.000Z');
    await stack.store.runs.setExecutionArn(running, await startExecution(running));
    await waitForRun(stack, 'alice', running, ['waiting']);
    const lost = await writeRun('2001-01-01T00:00:02.000Z');
    const oneAtATime = finalizer(() => new Date('2001-01-01T01:00:00.000Z'), 1);
    const first = await sweep(oneAtATime);
    expect(first.summary).toMatchObject({ checked: 1, running: 1, complete: false });

    // Act
    const second = await sweep(oneAtATime);

    // Assess
    expect(second.summary).toMatchObject({ checked: 1, finished: 1 });
    expect((await stack.store.runs.get(lost))?.error?.name).toBe('Braid.StartLost');
    expect((await stack.store.runs.get(running))?.status).toBe('waiting');
  });
});

describe('active-runs index', () => {
  it('holds a run while it is active', async () => {
    // Act
    const runId = await startRun(stack, 'alice', workflowId);

    // Assess
    expect(await activeRunIds()).toContain(runId);
  });

  it('loses a run in the write that makes it final', async () => {
    // Prepare
    const runId = await startRun(stack, 'alice', workflowId);
    await waitForRun(stack, 'alice', runId, ['waiting']);

    // Act
    const res = await stack.call('POST', `/api/v1/workflows/runs/${runId}/cancel`, { as: 'alice' });

    // Assess
    expect(res.status, res.text).toBe(200);
    expect(await activeRunIds()).not.toContain(runId);
  });
});

/**
 * The local orchestrator on the core's ASL runner, and the finalizer's reconciliation of executions that end
 * without `finalize` (here: stopped from outside the run service).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileWorkflow } from '../../shared/compiler/compile';
import type { WorkflowDefinition } from '../../shared/definition/schema';
import { TaskClosedError } from '../../shared/ports/orchestrator';
import { LocalOrchestrator } from '../../infra/local/local-orchestrator';
import { createWorkflow, getNodes, startRun, startRunStack, waitFor, waitForNode, waitForRun, type TestStack } from './helpers';

const EXECUTOR = 'arn:aws:lambda:local:000000000000:function:braid-executor';

const gated: WorkflowDefinition = {
  name: 'gated',
  nodes: [
    { id: 'a', type: 'tool_call', tool: { kind: 'builtin', name: 'echo' } },
    { id: 'ask', type: 'human_gate', prompt: 'ok?', timeoutSeconds: 60 },
  ],
  edges: [{ from: 'a', to: 'ask' }],
};

/** An orchestrator whose executor records its events and answers `{ route: 'ok' }`. */
function recordingOrchestrator(dataDir?: string) {
  const invoked: any[] = [];
  const ended: any[] = [];
  const orchestrator = new LocalOrchestrator({
    executor: async (event) => {
      invoked.push(event);
      return { route: 'ok' };
    },
    finalizer: async (event) => {
      ended.push(event);
    },
    ...(dataDir ? { dataDir } : {}),
  });
  return { orchestrator, invoked, ended };
}

describe('local orchestrator', () => {
  it('starts an execution once per run id and mints a token for the gate', async () => {
    // Prepare
    const { orchestrator, invoked } = recordingOrchestrator();
    const { versionArn } = await orchestrator.register({ workflowId: 'wf1', version: 1, definition: compileWorkflow(gated, { executorArn: EXECUTOR }).asl });

    // Act
    const first = await orchestrator.start({ versionArn, runId: 'r1', input: { runId: 'r1', r: {} } });
    const second = await orchestrator.start({ versionArn, runId: 'r1', input: { runId: 'r1', r: {} } });
    const gate = await waitFor(async () => invoked.find((e) => e.action === 'gate'), 'the gate task');

    // Assess
    expect(second.executionArn).toBe(first.executionArn);
    expect(first.executionArn).toMatch(/:execution:braid_wf1:r1$/);
    expect(invoked.filter((e) => e.action === 'execute')).toEqual([{ action: 'execute', runId: 'r1', nodeId: 'a', attempt: 0, drive: 0 }]);
    expect(gate.taskToken).toEqual(expect.any(String));
    orchestrator.close();
  });

  it('reports an aborted execution to the finalizer and refuses its token afterwards', async () => {
    // Prepare
    const { orchestrator, invoked, ended } = recordingOrchestrator();
    const { versionArn } = await orchestrator.register({ workflowId: 'wf2', version: 1, definition: compileWorkflow(gated, { executorArn: EXECUTOR }).asl });
    const { executionArn } = await orchestrator.start({ versionArn, runId: 'r2', input: { runId: 'r2', r: {} } });
    const gate = await waitFor(async () => invoked.find((e) => e.action === 'gate'), 'the gate task');

    // Act
    await orchestrator.stop({ executionArn, error: 'Braid.Cancelled', cause: 'test' });
    await orchestrator.idle();

    // Assess
    expect(ended).toHaveLength(1);
    expect(ended[0]).toMatchObject({
      source: 'aws.states', 'detail-type': 'Step Functions Execution Status Change',
      detail: { executionArn, name: 'r2', status: 'ABORTED', input: JSON.stringify({ runId: 'r2', r: {} }) },
    });
    await expect(orchestrator.sendTaskSuccess({ taskToken: gate.taskToken, output: { route: 'ok' } })).rejects.toBeInstanceOf(TaskClosedError);
  });

  it('answers an unknown token with TaskClosedError', async () => {
    // Prepare
    const { orchestrator } = recordingOrchestrator();

    // Act
    const sent = orchestrator.sendTaskFailure({ taskToken: 'nope', error: 'Braid.GateRejected', cause: 'x' });

    // Assess
    await expect(sent).rejects.toMatchObject({ name: 'TaskClosedError', reason: 'task_closed' });
  });

  it('keeps registered definitions under its data dir across restarts', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'braid-orch-'));
    try {
      const before = recordingOrchestrator(dir);
      const { versionArn } = await before.orchestrator.register({ workflowId: 'wf3', version: 2, definition: compileWorkflow(gated, { executorArn: EXECUTOR }).asl });
      const after = recordingOrchestrator(dir);

      // Act
      await after.orchestrator.start({ versionArn, runId: 'r3', input: { runId: 'r3', r: {} } });
      const executed = await waitFor(async () => after.invoked.find((e) => e.action === 'execute'), 'the first task');

      // Assess
      expect(executed).toMatchObject({ runId: 'r3', nodeId: 'a' });
      after.orchestrator.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('finalizer', () => {
  let stack: TestStack;
  beforeAll(async () => { stack = await startRunStack(); });
  afterAll(async () => { await stack?.close(); });

  it('reconciles a run whose execution was stopped outside the run service', async () => {
    // Prepare
    const wf = await createWorkflow(stack, 'alice', gated);
    const runId = await startRun(stack, 'alice', wf);
    await waitForNode(stack, 'alice', runId, 'ask', 'waiting');
    const executionArn = await stack.store.runs.getExecutionArn(runId);

    // Act
    await stack.orchestrator.stop({ executionArn: executionArn!, error: 'Operator', cause: 'stopped in the console' });
    const run = await waitForRun(stack, 'alice', runId, ['cancelled', 'failed', 'succeeded']);

    // Assess
    expect(run.status).toBe('cancelled');
    const nodes = await getNodes(stack, 'alice', runId);
    expect(nodes.a.status).toBe('succeeded');
    expect(nodes.ask).toMatchObject({ status: 'cancelled', gate: { status: 'cancelled' } });
  });
});

/**
 * Fixtures for the run and gate rows of the authorization matrix (`test/api/authz-cases.ts`): a run of the
 * prepared workflow written straight to the store (started by the owner), optionally with a waiting gate.
 */
import { randomUUID } from 'node:crypto';
import { createRunStores } from '../../shared/services/execution-context';
import type { TestStack } from '../support/local-stack';

/** Writes a running run of workflow `workflowId` started by its owner; returns `{ runId }`. */
export async function prepareRun(stack: TestStack, workflowId: string): Promise<{ runId: string }> {
  const workflow = await stack.store.workflows.get(workflowId);
  if (!workflow) throw new Error(`workflow ${workflowId} not found`);
  const runId = randomUUID();
  const startedAt = new Date().toISOString();
  await stack.store.runs.create({
    runId, workflowId, version: workflow.latestVersion, ownerId: workflow.ownerId, startedBy: workflow.ownerId,
    status: 'running', input: {}, startedAt, cost: { usd: 0 },
  });
  await createRunStores(stack.store).events.append(runId, 'run.started', { type: 'run.started', at: startedAt, data: {} });
  return { runId };
}

/** Writes a run whose node `only` waits at a gate that lists no approvers; returns `{ runId, nodeId }`. */
export async function prepareGate(stack: TestStack, workflowId: string): Promise<{ runId: string; nodeId: string }> {
  const { runId } = await prepareRun(stack, workflowId);
  const stores = createRunStores(stack.store);
  const openedAt = new Date().toISOString();
  await stores.gates.open({
    runId, nodeId: 'only', status: 'waiting', prompt: 'ok?', approvers: [], openedAt,
    timeoutAt: new Date(Date.now() + 3_600_000).toISOString(), taskToken: `fake-token-${runId}`,
  });
  await stores.nodeRuns.transition(runId, 'only', 'waiting', { startedAt: openedAt }, ['pending']);
  await stack.store.runs.update(runId, { status: 'waiting' }, ['running']);
  return { runId, nodeId: 'only' };
}

/** Writes a run whose node `only` succeeded with an output; returns `{ runId, nodeId }`. */
export async function prepareNodeOutput(stack: TestStack, workflowId: string): Promise<{ runId: string; nodeId: string }> {
  const { runId } = await prepareRun(stack, workflowId);
  const at = new Date().toISOString();
  await createRunStores(stack.store).nodeRuns.transition(runId, 'only', 'succeeded', { startedAt: at, endedAt: at, output: { matrix: true } }, ['pending']);
  return { runId, nodeId: 'only' };
}

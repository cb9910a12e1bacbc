/**
 * Helpers of the run tests: an in-memory local stack with the real local orchestrator, and small calls that
 * create a workflow, start a run and poll it (every wait has a deadline).
 */
import { expect } from 'vitest';
import { startTestStack, type TestStack } from '../support/local-stack';
import { DEFAULT_WAIT_MS, waitFor } from '../support/poll';
import type { LocalStackOptions } from '../../infra/local/stack';
import type { RunStatus } from '../../shared/model/types';

export type { TestStack };

/**
 * Starts the stack used by the run tests (`retryIntervalOverrides`: ms before each retry, by state name;
 * `wrapExecutor`: a delivery seam; `startEventDeferMs`; `store`: where dynalite runs, in-process unless asked).
 */
export function startRunStack(options: Pick<LocalStackOptions, 'retryIntervalOverrides' | 'wrapExecutor' | 'startEventDeferMs' | 'store'> = {}): Promise<TestStack> {
  return startTestStack(options);
}

/** Creates a workflow owned by `as` and returns its id. */
export async function createWorkflow(stack: TestStack, as: string, definition: object): Promise<string> {
  const res = await stack.call('POST', '/api/v1/workflows', { as, body: definition });
  expect(res.status, res.text).toBe(201);
  return res.body.id as string;
}

/** Starts a run and returns its id. */
export async function startRun(stack: TestStack, as: string, workflowId: string, body: object = { input: {} }): Promise<string> {
  const res = await stack.call('POST', `/api/v1/workflows/${workflowId}/run`, { as, body });
  expect(res.status, res.text).toBe(202);
  return res.body.runId as string;
}

export { waitFor };

/** Polls the run until its status is one of `statuses`; returns the run. */
export function waitForRun(stack: TestStack, as: string, runId: string, statuses: RunStatus[], timeoutMs = DEFAULT_WAIT_MS): Promise<any> {
  return waitFor(async () => {
    const res = await stack.call('GET', `/api/v1/workflows/runs/${runId}`, { as });
    return statuses.includes(res.body?.status) ? res.body : undefined;
  }, `run ${runId} to be ${statuses.join('|')}`, timeoutMs);
}

/** Polls the run's nodes until `nodeId` has `status`; returns all nodes by id. */
export function waitForNode(stack: TestStack, as: string, runId: string, nodeId: string, status: string, timeoutMs = DEFAULT_WAIT_MS): Promise<Record<string, any>> {
  return waitFor(async () => {
    const nodes = await getNodes(stack, as, runId);
    return nodes[nodeId]?.status === status ? nodes : undefined;
  }, `node ${nodeId} to be ${status}`, timeoutMs);
}

/** The run's nodes by id. */
export async function getNodes(stack: TestStack, as: string, runId: string): Promise<Record<string, any>> {
  const res = await stack.call('GET', `/api/v1/workflows/runs/${runId}/nodes`, { as });
  expect(res.status, res.text).toBe(200);
  return Object.fromEntries((res.body.items as any[]).map((n) => [n.nodeId, n]));
}

/** Every event of the run (follows `nextAfter`). */
export async function getEvents(stack: TestStack, as: string, runId: string): Promise<any[]> {
  const events: any[] = [];
  let after = 0;
  for (let page = 0; page < 50; page++) {
    const res = await stack.call('GET', `/api/v1/workflows/runs/${runId}/events?after=${after}`, { as });
    expect(res.status, res.text).toBe(200);
    events.push(...res.body.events);
    if (res.body.nextAfter === undefined) return events;
    after = res.body.nextAfter;
  }
  return events;
}

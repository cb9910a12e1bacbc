/**
 * State machine housekeeping: old versions pruned after a publish (except the newest two and any a run in flight
 * is pinned to), a deleted workflow's machine deleted once its last run ends; the AWS adapter's calls checked
 * with aws-sdk-client-mock, the rest on the local stack with the local orchestrator.
 */
import { DeleteStateMachineCommand, DeleteStateMachineVersionCommand, ResourceNotFound, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SfnOrchestrator } from '../../shared/adapters/sfn-orchestrator';
import { KEEP_LATEST_VERSIONS } from '../../shared/services/machine-cleanup';
import { createWorkflow, startRun, startRunStack, waitForNode, waitForRun, waitFor, type TestStack } from './helpers';

describe('SfnOrchestrator deletes', () => {
  const sfnMock = mockClient(SFNClient);
  const client = new SFNClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  const sm = 'arn:aws:states:eu-west-1:123456789012:stateMachine:braid-wf1';

  it('deletes a version and a machine, and treats one already gone as done', async () => {
    // Prepare
    sfnMock.reset();
    sfnMock.on(DeleteStateMachineVersionCommand, { stateMachineVersionArn: `${sm}:1` }).resolves({});
    sfnMock.on(DeleteStateMachineVersionCommand, { stateMachineVersionArn: `${sm}:2` }).rejects(new ResourceNotFound({ message: 'gone', $metadata: {} }));
    sfnMock.on(DeleteStateMachineCommand).resolves({});
    const orchestrator = new SfnOrchestrator({ client });
    // Act
    await orchestrator.deleteVersion({ versionArn: `${sm}:1` });
    await orchestrator.deleteVersion({ versionArn: `${sm}:2` });
    await orchestrator.deleteMachine({ stateMachineArn: sm });
    // Assess
    expect(sfnMock.commandCalls(DeleteStateMachineVersionCommand).map((c) => c.args[0].input.stateMachineVersionArn)).toStrictEqual([`${sm}:1`, `${sm}:2`]);
    expect(sfnMock.commandCalls(DeleteStateMachineCommand)[0]?.args[0].input).toStrictEqual({ stateMachineArn: sm });
  });

  it('passes on any other error', async () => {
    sfnMock.reset();
    sfnMock.on(DeleteStateMachineCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    await expect(new SfnOrchestrator({ client }).deleteMachine({ stateMachineArn: sm })).rejects.toThrow(/denied/);
  });
});

describe('on the local stack', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startRunStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  const gated = (name: string) => ({ name, nodes: [{ id: 'ask', type: 'human_gate', prompt: 'go?', timeoutSeconds: 600 }], edges: [] });
  const versionItem = async (id: string, v: number) => {
    const head = await stack.store.workflows.get(id);
    return (await stack.store.workflows.getVersion(head!, v)) as unknown as { prunedAt?: string; stateMachineVersionArn: string };
  };

  it(`prunes versions older than the newest ${KEEP_LATEST_VERSIONS}, keeping the one a waiting run is pinned to`, async () => {
    // Prepare: version 1 (no run), version 2 (a run waits on it), then versions 3, 4, 5
    const wf = await createWorkflow(stack, 'pruner', gated('v1'));
    await stack.call('PUT', `/api/v1/workflows/${wf}`, { as: 'pruner', body: gated('v2') });
    const pinnedRun = await startRun(stack, 'pruner', wf);
    await waitForNode(stack, 'pruner', pinnedRun, 'ask', 'waiting');
    // Act
    for (const name of ['v3', 'v4', 'v5']) expect((await stack.call('PUT', `/api/v1/workflows/${wf}`, { as: 'pruner', body: gated(name) })).status).toBe(200);
    // Assess
    expect((await versionItem(wf, 1)).prunedAt).toBeDefined();
    expect((await versionItem(wf, 2)).prunedAt).toBeUndefined();
    expect((await versionItem(wf, 3)).prunedAt).toBeDefined();
    expect((await versionItem(wf, 4)).prunedAt).toBeUndefined();
    expect((await versionItem(wf, 5)).prunedAt).toBeUndefined();
    await expect(stack.orchestrator.start({ versionArn: (await versionItem(wf, 1)).stateMachineVersionArn, runId: 'after-prune', input: {} })).rejects.toThrow();
    // The pinned run still finishes on its version
    expect((await stack.call('POST', `/api/v1/workflows/runs/${pinnedRun}/gates/ask/approve`, { as: 'pruner' })).status).toBe(200);
    await waitForRun(stack, 'pruner', pinnedRun, ['succeeded']);
  });

  it('deletes a deleted workflow\'s machine only once its last run has ended', async () => {
    // Prepare: a run waits at a gate
    const wf = await createWorkflow(stack, 'deleter', gated('d1'));
    const runId = await startRun(stack, 'deleter', wf);
    await waitForNode(stack, 'deleter', runId, 'ask', 'waiting');
    const head = async () => (await stack.store.workflows.get(wf)) as unknown as { machineDeletedAt?: string };
    // Act
    expect((await stack.call('DELETE', `/api/v1/workflows/${wf}`, { as: 'deleter' })).status).toBe(204);
    const whileRunning = await head();
    expect((await stack.call('POST', `/api/v1/workflows/runs/${runId}/gates/ask/approve`, { as: 'deleter' })).status).toBe(200);
    await waitForRun(stack, 'deleter', runId, ['succeeded']);
    // Assess: the finalizer, called when the execution ended, deleted the machine
    expect(whileRunning.machineDeletedAt).toBeUndefined();
    await waitFor(async () => (await head()).machineDeletedAt, 'the machine to be deleted');
  });
});

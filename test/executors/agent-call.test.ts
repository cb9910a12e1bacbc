import { afterEach, describe, expect, it } from 'vitest';
import type { NodeDef } from '../../shared/definition/schema';
import { agentMessageId, executeNode, InputRequiredError, NodeFailedError } from '../../shared/executors';
import { startA2AAgent, type A2AAgentHandle, type A2AAgentOptions } from '../support/a2a-agent';
import { startHttpToolServer, type HttpToolServerHandle } from '../support/http-tool-server';
import { testExecutorDeps } from '../support/egress';

const handles: Array<A2AAgentHandle | HttpToolServerHandle> = [];

afterEach(async () => {
  await Promise.all(handles.splice(0).map((handle) => handle.close()));
});

async function agent(options: A2AAgentOptions): Promise<A2AAgentHandle> {
  const handle = await startA2AAgent(options);
  handles.push(handle);
  return handle;
}

function agentNode(url: string): NodeDef {
  return { id: 'pick', type: 'agent_call', agent: { url } };
}

function ctx(overrides: { attempt?: number; signal?: AbortSignal; deadlineMs?: number } = {}) {
  return {
    runId: 'run-7',
    nodeId: 'pick',
    attempt: overrides.attempt ?? 0,
    signal: overrides.signal ?? new AbortController().signal,
    deadline: Date.now() + (overrides.deadlineMs ?? 10_000),
  };
}

async function failure(promise: Promise<unknown>): Promise<NodeFailedError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(NodeFailedError);
  return error as NodeFailedError;
}

describe('agent_call', () => {
  it('sends message as a text part and the other inputs as a data part', async () => {
    // Prepare
    const a2a = await agent({ reply: { text: 'ok' } });

    // Act
    await executeNode(agentNode(a2a.url), { message: 'Pick the best value', hotels: [{ name: 'A' }] }, ctx({ attempt: 2 }), testExecutorDeps());

    // Assess
    expect(a2a.received).toStrictEqual([
      {
        messageId: 'braid:run-7:pick:2',
        taskId: expect.any(String),
        contextId: expect.any(String),
        text: ['Pick the best value'],
        data: [{ hotels: [{ name: 'A' }] }],
        metadata: { braid: { runId: 'run-7', nodeId: 'pick', attempt: 2 } },
      },
    ]);
  });

  it('returns the reply text and data as the output', async () => {
    // Prepare
    const a2a = await agent({ reply: { text: 'Hotel B', data: { name: 'B', price: 90 } } });

    // Act
    const result = await executeNode(agentNode(a2a.url), { message: 'pick' }, ctx(), testExecutorDeps());

    // Assess
    expect(result).toStrictEqual({ output: { text: 'Hotel B', data: { name: 'B', price: 90 } } });
  });

  it('returns the usage the agent reports as the cost', async () => {
    // Prepare
    const a2a = await agent({ reply: { text: 'ok', usage: { inputTokens: 120, outputTokens: 30, costUsd: 0.0042 } } });

    // Act
    const result = await executeNode(agentNode(a2a.url), { message: 'pick' }, ctx(), testExecutorDeps());

    // Assess
    expect(result.cost).toStrictEqual({ usd: 0.0042, inputTokens: 120, outputTokens: 30 });
  });

  it('reads a completed task: its status message is the output and its usage the cost', async () => {
    // Prepare
    const a2a = await agent({ reply: { text: 'done', data: [1, 2], taskState: 'completed', usage: { costUsd: 0.5 } } });

    // Act
    const result = await executeNode(agentNode(a2a.url), { message: 'go' }, ctx(), testExecutorDeps());

    // Assess
    expect(result).toStrictEqual({ output: { text: 'done', data: [1, 2], taskState: 'completed' }, cost: { usd: 0.5 } });
  });

  it('sends a data-only message when there is no message input', async () => {
    // Prepare
    const a2a = await agent({});

    // Act
    await executeNode(agentNode(a2a.url), {}, ctx(), testExecutorDeps());

    // Assess
    expect(a2a.received[0]).toMatchObject({ text: [], data: [{}] });
  });

  it('fails with Braid.NodeFailed when the agent fails the task', async () => {
    // Prepare
    const a2a = await agent({ reply: { taskState: 'failed', text: 'no rooms' } });

    // Act
    const error = await failure(executeNode(agentNode(a2a.url), { message: 'go' }, ctx(), testExecutorDeps()));

    // Assess
    expect(error.name).toBe('Braid.NodeFailed');
    expect(error.message).toMatch(/failed: no rooms/);
    expect(error.details).toMatchObject({ taskState: 'failed' });
  });

  it('ends the turn with Braid.InputRequired, the question and its task when the agent needs more input', async () => {
    // Prepare
    const a2a = await agent({ reply: { taskState: 'input-required', text: 'which city?', data: { choices: ['Oslo', 'Lyon'] }, usage: { inputTokens: 3, costUsd: 0.001 } } });

    // Act
    const error = await executeNode(agentNode(a2a.url), { message: 'go' }, ctx(), testExecutorDeps()).then(() => undefined, (e: unknown) => e as InputRequiredError);

    // Assess
    expect(error).toBeInstanceOf(InputRequiredError);
    const asked = error as InputRequiredError;
    expect(asked.name).toBe('Braid.InputRequired');
    expect(asked.question).toStrictEqual({ text: 'which city?', data: { choices: ['Oslo', 'Lyon'] } });
    expect(asked.taskId).toBe(a2a.received[0]!.taskId);
    expect(asked.contextId).toBe(a2a.received[0]!.contextId);
    expect(asked.cost).toStrictEqual({ usd: 0.001, inputTokens: 3 });
    expect(asked.details).toMatchObject({ taskState: 'input-required' });
  });

  it('fails the first attempts of a flaky agent and succeeds on a later one', async () => {
    // Prepare
    const a2a = await agent({ failTimes: 1, reply: { text: 'recovered' } });

    // Act
    const first = await failure(executeNode(agentNode(a2a.url), { message: 'go' }, ctx({ attempt: 0 }), testExecutorDeps()));
    const second = await executeNode(agentNode(a2a.url), { message: 'go' }, ctx({ attempt: 1 }), testExecutorDeps());

    // Assess
    expect(first.message).toMatch(/scripted failure 1/);
    expect(second.output).toMatchObject({ text: 'recovered' });
    expect(a2a.received.map((m) => m.messageId)).toStrictEqual([agentMessageId(ctx({ attempt: 0 })), agentMessageId(ctx({ attempt: 1 }))]);
  });

  it('times out a slow agent at the node deadline', async () => {
    // Prepare: an agent that never replies, so only the deadline can end the call
    const a2a = await agent({ reply: { text: 'late', until: new Promise(() => undefined) } });

    // Act
    const error = await failure(executeNode(agentNode(a2a.url), { message: 'go' }, ctx({ deadlineMs: 300 }), testExecutorDeps()));

    // Assess
    expect(error.details).toStrictEqual({ timedOut: true });
  });

  it('fails with the status when the URL serves no agent card', async () => {
    // Prepare
    const notAnAgent = await startHttpToolServer({ handler: () => ({ status: 404, body: 'nothing here' }) });
    handles.push(notAnAgent);

    // Act
    const error = await failure(executeNode(agentNode(notAnAgent.url), { message: 'go' }, ctx(), testExecutorDeps()));

    // Assess
    expect(error.message).toMatch(/agent http:\/\/127\.0\.0\.1:\d+ failed/);
    expect(error.details).toMatchObject({ status: 404 });
  });
});

/**
 * Live agent output: an `agent_call` to an agent whose card says it streams (the demo agent, a real A2A server on
 * loopback) turns its text deltas, artifact updates and task states into coalesced `node.progress` events, written
 * before the node's final event, whose text adds up to the node's unchanged output. The coalescing sink itself is
 * checked on fake timers (at most 5 events a second, text cut to the frame size without loss).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startDemoAgent } from '../../examples/demo-agent';
import type { DemoServer } from '../../examples/demo-tool';
import { createProgressSink, PROGRESS_TEXT_BYTES, type ProgressData } from '../../shared/services/node-progress';
import { allowTestServer } from '../support/egress';
import { startA2AAgent, type A2AAgentHandle } from '../support/a2a-agent';
import { createWorkflow, getEvents, getNodes, startRun, startRunStack, waitForRun, type TestStack } from './helpers';

describe('streaming agent output', () => {
  let stack: TestStack;
  let agent: DemoServer;

  beforeAll(async () => {
    [stack, agent] = await Promise.all([startRunStack(), startDemoAgent({ port: 0, wordDelayMs: 2 })]);
    allowTestServer(agent.url);
  });
  afterAll(async () => {
    await Promise.all([stack?.close(), agent?.close()]);
  });

  it('records coalesced node.progress events whose text is the final output, before node.succeeded', async () => {
    // Prepare
    const hotels = Array.from({ length: 30 }, (_, i) => ({ name: `Hotel ${i}`, price: 100 + i }));
    const wf = await createWorkflow(stack, 'alice', {
      name: 'stream',
      nodes: [{ id: 'pick', type: 'agent_call', agent: { url: agent.url }, inputs: { hotels: '$context.hotels' } }],
      edges: [],
    });

    // Act
    const runId = await startRun(stack, 'alice', wf, { input: { hotels } });

    // Assess
    expect((await waitForRun(stack, 'alice', runId, ['succeeded', 'failed'])).status).toBe('succeeded');
    const nodes = await getNodes(stack, 'alice', runId);
    expect(nodes.pick.output).toStrictEqual({ text: 'Hotel 0 at $100/night is the cheapest of 30.', data: { name: 'Hotel 0', price: 100 }, taskState: 'completed' });
    expect(nodes.pick.cost).toMatchObject({ inputTokens: 400, outputTokens: 18 });
    const events = await getEvents(stack, 'alice', runId);
    const progress = events.filter((e) => e.type === 'node.progress');
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.every((e) => e.nodeId === 'pick' && e.data.attempt === 0)).toBe(true);
    expect(progress.map((e) => e.data.text ?? '').join('')).toBe(nodes.pick.output.text);
    expect(progress.some((e) => e.data.artifact?.parts?.includes('data'))).toBe(true);
    expect(progress.map((e) => e.data.state).filter(Boolean)).toContain('completed');
    const types = events.map((e) => e.type);
    expect(types.lastIndexOf('node.progress')).toBeLessThan(types.indexOf('node.succeeded'));
  });
});

describe('usage per attempt', () => {
  let stack: TestStack;
  let agent: A2AAgentHandle;

  beforeAll(async () => {
    [stack, agent] = await Promise.all([
      startRunStack({ retryIntervalOverrides: { ask: 1 } }),
      startA2AAgent({
        reply: (_m, call) => call === 0
          ? { text: 'gave up', taskState: 'failed', usage: { inputTokens: 10, outputTokens: 5, costUsd: 0.01 } }
          : { text: 'done', usage: { inputTokens: 20, outputTokens: 7, costUsd: 0.02 } },
      }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([stack?.close(), agent?.close()]);
  });

  it('records the usage of a failed attempt on it and counts it in the node and run cost', async () => {
    // Prepare
    const wf = await createWorkflow(stack, 'alice', {
      name: 'usage',
      nodes: [{ id: 'ask', type: 'agent_call', agent: { url: agent.url }, inputs: { message: 'hi' }, retry: { maxAttempts: 2 } }],
      edges: [],
    });

    // Act
    const runId = await startRun(stack, 'alice', wf);

    // Assess
    const run = await waitForRun(stack, 'alice', runId, ['succeeded', 'failed']);
    expect(run.status).toBe('succeeded');
    const nodes = await getNodes(stack, 'alice', runId);
    expect(nodes.ask.attempts.map((a: { status: string; cost?: unknown }) => [a.status, a.cost])).toStrictEqual([
      ['failed', { usd: 0.01, inputTokens: 10, outputTokens: 5 }],
      ['succeeded', { usd: 0.02, inputTokens: 20, outputTokens: 7 }],
    ]);
    expect(nodes.ask.cost).toStrictEqual({ usd: 0.03, inputTokens: 30, outputTokens: 12 });
    expect(run.cost).toMatchObject({ usd: 0.03, inputTokens: 30, outputTokens: 12 });
  });
});

describe('the progress sink', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('writes at most 5 events a second and loses no text', async () => {
    // Prepare
    vi.useFakeTimers();
    const written: ProgressData[] = [];
    const sink = createProgressSink(0, async (data) => {
      written.push(data);
    });

    // Act: 1,000 deltas over 2 seconds, one every 2 ms
    for (let i = 0; i < 1000; i += 1) {
      sink.push({ text: `w${i} ` });
      await vi.advanceTimersByTimeAsync(2);
    }
    await sink.close();

    // Assess
    expect(written.length).toBeLessThanOrEqual(2 * 5 + 2);
    expect(written.map((d) => d.text).join('')).toBe(Array.from({ length: 1000 }, (_, i) => `w${i} `).join(''));
  });

  it('cuts text to the frame size and carries the rest to the next event', async () => {
    // Prepare
    vi.useFakeTimers();
    const written: ProgressData[] = [];
    const sink = createProgressSink(3, async (data) => {
      written.push(data);
    });
    const big = 'é'.repeat(PROGRESS_TEXT_BYTES);

    // Act
    sink.push({ text: big, state: 'working' });
    await sink.close();

    // Assess
    expect(written.length).toBeGreaterThanOrEqual(2);
    expect(written.every((d) => Buffer.byteLength(d.text ?? '') <= PROGRESS_TEXT_BYTES && d.attempt === 3)).toBe(true);
    expect(written.map((d) => d.text).join('')).toBe(big);
    expect(written[0]!.state).toBe('working');
  });
});

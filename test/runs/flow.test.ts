/**
 * Runs through the local stack with real HTTP, a real A2A agent, a real MCP server and the HTTP tool server:
 * a conditional branch, a parallel fan-out with a join, and an executor redelivery.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHandler as createExecutorHandler } from '../../functions/executor/handler';
import { createLogger } from '../../functions/http/logger';
import { startA2AAgent, type A2AAgentHandle } from '../support/a2a-agent';
import { defaultResponse, startHttpToolServer, type HttpToolServerHandle } from '../support/http-tool-server';
import { startMcpServer, type McpServerHandle } from '../support/mcp-server';
import { createWorkflow, getEvents, getNodes, startRun, startRunStack, waitForRun, type TestStack } from './helpers';
import { testExecutorDeps } from '../support/egress';

describe('runs on the local stack', () => {
  let stack: TestStack;
  let agent: A2AAgentHandle;
  let mcp: McpServerHandle;
  let tool: HttpToolServerHandle;
  // A meeting of the MCP tool `slow` and the HTTP path `/meet`: neither answers before the other has been called, so
  // a test can show two calls in flight at once without relying on timings.
  const arrival = () => { let arrive: () => void = () => undefined; const arrived = new Promise<void>((resolve) => (arrive = resolve)); return { arrive, arrived }; };
  const meeting = { mcp: arrival(), http: arrival() };

  beforeAll(async () => {
    [stack, agent, mcp, tool] = await Promise.all([
      startRunStack(),
      startA2AAgent({ reply: { text: 'classified', data: { kind: 'big' }, usage: { inputTokens: 10, outputTokens: 5, costUsd: 0.25 } } }),
      startMcpServer({ onCall: async (call) => { if (call.name === 'slow') { meeting.mcp.arrive(); await meeting.http.arrived; } } }),
      startHttpToolServer({ handler: async (request) => {
        if (request.path !== '/meet') return defaultResponse(request);
        meeting.http.arrive();
        await meeting.mcp.arrived;
        return { body: { met: 'slow' } };
      } }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([stack?.close(), agent?.close(), mcp?.close(), tool?.close()]);
  });

  it('follows the branch a condition picks and skips the other one at once', async () => {
    // Prepare
    const wf = await createWorkflow(stack, 'alice', {
      name: 'branching',
      nodes: [
        { id: 'classify', type: 'agent_call', agent: { url: agent.url }, inputs: { message: 'classify', n: '$context.n' } },
        { id: 'route', type: 'condition', expression: '$classify.data.kind' },
        { id: 'add', type: 'tool_call', tool: { kind: 'mcp', url: mcp.url, name: 'add' }, inputs: { a: 2, b: '$context.n' } },
        { id: 'notify', type: 'tool_call', tool: { kind: 'http', url: `${tool.url}/notify`, method: 'POST' }, inputs: { kind: 'small' } },
        { id: 'report', type: 'tool_call', tool: { kind: 'http', url: `${tool.url}/report`, method: 'POST' }, inputs: { sum: '$add.sum' } },
      ],
      edges: [
        { from: 'classify', to: 'route' },
        { from: 'route', to: 'add', when: 'big' },
        { from: 'route', to: 'notify', when: 'small' },
        { from: 'add', to: 'report' },
      ],
    });

    // Act
    const runId = await startRun(stack, 'alice', wf, { input: { n: 40 } });
    const run = await waitForRun(stack, 'alice', runId, ['succeeded', 'failed']);

    // Assess
    expect(run.status).toBe('succeeded');
    expect(run.output).toEqual({ report: { method: 'POST', query: {}, body: { sum: 42 } } });
    expect(run.cost).toEqual({ usd: 0.25, inputTokens: 10, outputTokens: 5 });
    const nodes = await getNodes(stack, 'alice', runId);
    expect(Object.fromEntries(Object.entries(nodes).map(([id, n]) => [id, n.status]))).toEqual({
      classify: 'succeeded', route: 'succeeded', add: 'succeeded', notify: 'skipped', report: 'succeeded',
    });
    expect(nodes.add.output).toEqual({ sum: 42 });
    expect(tool.requests.map((r) => r.path)).toEqual(['/report']);
    const events = await getEvents(stack, 'alice', runId);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    const seqOf = (type: string, nodeId?: string) => events.find((e) => e.type === type && e.nodeId === nodeId)?.seq;
    expect(seqOf('node.skipped', 'notify')).toBeLessThan(seqOf('node.started', 'add')!);
    expect(events.at(-1)).toMatchObject({ type: 'run.succeeded' });
  });

  it('fans out in parallel and joins both outputs', async () => {
    // Prepare
    const wf = await createWorkflow(stack, 'alice', {
      name: 'fan-out',
      nodes: [
        { id: 'begin', type: 'tool_call', tool: { kind: 'builtin', name: 'echo' }, inputs: { ms: 5 } },
        { id: 'fan', type: 'parallel' },
        // left and right meet (see `meeting`): neither can end before the other has started
        { id: 'left', type: 'tool_call', tool: { kind: 'mcp', url: mcp.url, name: 'slow' }, inputs: { ms: '$begin.ms' } },
        { id: 'right', type: 'tool_call', tool: { kind: 'http', url: `${tool.url}/meet` } },
        { id: 'both', type: 'join' },
        { id: 'final', type: 'tool_call', tool: { kind: 'builtin', name: 'echo' }, inputs: { l: '$left', r: '$right' } },
      ],
      edges: [
        { from: 'begin', to: 'fan' }, { from: 'fan', to: 'left' }, { from: 'fan', to: 'right' },
        { from: 'left', to: 'both' }, { from: 'right', to: 'both' }, { from: 'both', to: 'final' },
      ],
    });

    // Act
    const runId = await startRun(stack, 'alice', wf);
    const run = await waitForRun(stack, 'alice', runId, ['succeeded', 'failed']);

    // Assess
    expect(run.status).toBe('succeeded');
    expect(run.output).toEqual({ final: { l: { waitedMs: 5 }, r: { met: 'slow' } } });
    const nodes = await getNodes(stack, 'alice', runId);
    expect(nodes.fan.status).toBe('succeeded');
    expect(nodes.both).toMatchObject({ status: 'succeeded', output: { left: { waitedMs: 5 }, right: { met: 'slow' } } });
    const span = (n: any) => [Date.parse(n.startedAt), Date.parse(n.endedAt)] as const;
    const [ls, le] = span(nodes.left);
    const [rs, re] = span(nodes.right);
    // Millisecond stamps: two calls that met may share one (the meeting itself, which a sequential run could never
    // complete, is the proof of concurrency)
    expect(ls <= re && rs <= le, 'left and right overlap in time').toBe(true);
  });

  it('throws the recorded error again when a failed attempt is redelivered, without calling the tool', async () => {
    // Prepare
    const wf = await createWorkflow(stack, 'alice', {
      name: 'redelivery-failed',
      nodes: [{ id: 'call', type: 'tool_call', tool: { kind: 'http', url: `${tool.url}/status/500` } }],
      edges: [],
    });
    const runId = await startRun(stack, 'alice', wf);
    const run = await waitForRun(stack, 'alice', runId, ['failed']);
    const calls = tool.requests.filter((r) => r.path === '/status/500').length;
    const executor = createExecutorHandler({ store: stack.store, logger: createLogger('test-executor', 'SILENT'), executors: testExecutorDeps() });

    // Act
    const redelivered = executor({ action: 'execute', runId, nodeId: 'call', attempt: 0 });

    // Assess
    await expect(redelivered).rejects.toMatchObject({ name: 'Braid.NodeFailed' });
    expect(run.error).toMatchObject({ name: 'Braid.NodeFailed' });
    expect(tool.requests.filter((r) => r.path === '/status/500')).toHaveLength(calls);
  });

  it('answers a redelivered finished attempt with its recorded route and repeats no side effect', async () => {
    // Prepare
    const wf = await createWorkflow(stack, 'alice', {
      name: 'redelivery',
      nodes: [{ id: 'call', type: 'tool_call', tool: { kind: 'http', url: `${tool.url}/once`, method: 'POST' }, inputs: { v: 1 } }],
      edges: [],
    });
    const runId = await startRun(stack, 'alice', wf);
    await waitForRun(stack, 'alice', runId, ['succeeded']);
    const calls = tool.requests.filter((r) => r.path === '/once').length;
    const eventsBefore = await getEvents(stack, 'alice', runId);
    const executor = createExecutorHandler({ store: stack.store, logger: createLogger('test-executor', 'SILENT'), executors: testExecutorDeps() });

    // Act
    const result = await executor({ action: 'execute', runId, nodeId: 'call', attempt: 0 });

    // Assess
    expect(result).toEqual({ route: 'ok' });
    expect(tool.requests.filter((r) => r.path === '/once')).toHaveLength(calls);
    expect(await getEvents(stack, 'alice', runId)).toEqual(eventsBefore);
  });
});

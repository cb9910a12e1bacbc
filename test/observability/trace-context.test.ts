import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { NodeDef } from '../../shared/definition/schema';
import { executeNode } from '../../shared/executors';
import { outboundTraceHeaders, traceparentFromXRay, XRAY_TRACE_ENV } from '../../shared/observability/trace-context';
import { startA2AAgent, type A2AAgentHandle } from '../support/a2a-agent';
import { testEgressGuard, testExecutorDeps } from '../support/egress';
import { startHttpToolServer, type HttpToolServerHandle } from '../support/http-tool-server';
import { startMcpServer, type McpServerHandle } from '../support/mcp-server';

const XRAY = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1';
const TRACEPARENT = '00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-01';

describe('traceparentFromXRay', () => {
  const cases: Array<{ name: string; header: string | undefined; expected: string | undefined }> = [
    { name: 'sampled', header: XRAY, expected: TRACEPARENT },
    { name: 'not sampled', header: XRAY.replace('Sampled=1', 'Sampled=0'), expected: TRACEPARENT.replace(/-01$/, '-00') },
    { name: 'fields in another order, with Lineage', header: `Lineage=a87bd80c:1;Sampled=1;Parent=53995c3f42cd8ad8;Root=1-5759e988-bd862e3fe1be46a994272793`, expected: TRACEPARENT },
    { name: 'no parent (a root the runtime has not segmented)', header: 'Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1', expected: undefined },
    { name: 'malformed root', header: 'Root=2-xyz;Parent=53995c3f42cd8ad8', expected: undefined },
    { name: 'all-zero parent (invalid in W3C)', header: 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=0000000000000000', expected: undefined },
    { name: 'absent', header: undefined, expected: undefined },
  ];
  for (const c of cases) {
    it(c.name, () => {
      // Prepare, Act
      const result = traceparentFromXRay(c.header);
      // Assess
      expect(result).toBe(c.expected);
    });
  }
});

describe('outbound calls carry the invocation\'s trace as traceparent', () => {
  let http: HttpToolServerHandle;
  let mcp: McpServerHandle;
  let agent: A2AAgentHandle;
  const seen: Array<{ url: string; traceparent: string | null }> = [];
  // Records what leaves the executor: the egress guard is the last step before the network.
  const recordingDeps = () => {
    const guard = testEgressGuard();
    return testExecutorDeps({
      egress: {
        ...guard,
        fetch: async (input, init) => {
          seen.push({ url: String(input instanceof Request ? input.url : input), traceparent: new Headers(init?.headers).get('traceparent') });
          return guard.fetch(input, init);
        },
      },
    });
  };
  const ctx = (nodeId: string) => ({ runId: 'run-t', nodeId, attempt: 0, signal: new AbortController().signal, deadline: Date.now() + 10_000 });

  beforeAll(async () => {
    [http, mcp, agent] = await Promise.all([startHttpToolServer(), startMcpServer(), startA2AAgent({ reply: { text: 'ok' } })]);
  });

  afterAll(async () => {
    await Promise.all([http.close(), mcp.close(), agent.close()]);
  });

  afterEach(() => {
    delete process.env[XRAY_TRACE_ENV];
    seen.length = 0;
  });

  it('sends no traceparent outside a traced invocation', async () => {
    // Prepare
    delete process.env[XRAY_TRACE_ENV];
    const node: NodeDef = { id: 'h', type: 'tool_call', tool: { kind: 'http', url: `${http.url}/search`, method: 'POST' } };
    // Act
    await executeNode(node, { q: 1 }, ctx('h'), testExecutorDeps());
    // Assess
    expect(outboundTraceHeaders()).toStrictEqual({});
    expect(http.requests[0]?.headers['traceparent']).toBeUndefined();
  });

  it('HTTP tools', async () => {
    // Prepare
    process.env[XRAY_TRACE_ENV] = XRAY;
    const node: NodeDef = { id: 'h', type: 'tool_call', tool: { kind: 'http', url: `${http.url}/search`, method: 'POST' } };
    // Act
    await executeNode(node, { q: 1 }, ctx('h'), testExecutorDeps());
    // Assess: what the server received
    expect(http.requests.at(-1)?.headers['traceparent']).toBe(TRACEPARENT);
  });

  it('MCP tools, on every request of the session', async () => {
    // Prepare
    process.env[XRAY_TRACE_ENV] = XRAY;
    const node: NodeDef = { id: 'm', type: 'tool_call', tool: { kind: 'mcp', url: mcp.url, name: 'add' } };
    // Act
    await executeNode(node, { a: 1, b: 2 }, ctx('m'), recordingDeps());
    // Assess
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.filter((s) => s.traceparent !== TRACEPARENT)).toStrictEqual([]);
  });

  it('A2A agents, the card read included', async () => {
    // Prepare
    process.env[XRAY_TRACE_ENV] = XRAY;
    const node: NodeDef = { id: 'a', type: 'agent_call', agent: { url: agent.url } };
    // Act
    await executeNode(node, { message: 'hi' }, ctx('a'), recordingDeps());
    // Assess
    expect(seen.length).toBeGreaterThan(1);
    expect(seen.filter((s) => s.traceparent !== TRACEPARENT)).toStrictEqual([]);
  });
});

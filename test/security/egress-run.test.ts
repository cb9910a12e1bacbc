/**
 * The egress guard in a run on the local stack: a refused destination fails the node with `Braid.EgressDenied`
 * (named host and rule, no body), is not retried, and a redirect from an allowed tool to a loopback server
 * never reaches it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEgressAllowlist } from '../support/egress';
import { startTestStack, type TestStack } from '../support/local-stack';
import { createWorkflow, getNodes, startRun, waitForRun } from '../runs/helpers';

let stack: TestStack;
let internal: Server;
let internalUrl: string;
let internalHits = 0;

beforeAll(async () => {
  // A loopback server nobody allowed (stands for the Lambda Runtime API, an admin port, …).
  internal = createServer((_req, res) => {
    internalHits++;
    res.end('internal-only body');
  });
  await new Promise<void>((resolve) => internal.listen(0, '127.0.0.1', resolve));
  internalUrl = `http://127.0.0.1:${(internal.address() as AddressInfo).port}`;
  stack = await startTestStack();
});
afterAll(async () => {
  internal.closeAllConnections();
  await new Promise((resolve) => internal.close(resolve));
  await stack?.close();
});

describe('egress in runs', () => {
  it.each([
    ['a loopback server nobody allowed', () => `${internalUrl}/admin`, 'loopback'],
    ['the metadata address', () => 'http://169.254.169.254/latest/meta-data/', 'metadata'],
    ['a numeric loopback form', () => `http://0x7f000001:${new URL(internalUrl).port}/`, 'loopback'],
  ])('fails the node on %s with Braid.EgressDenied, not retried', async (_case, url, rule) => {
    // Prepare
    const wf = await createWorkflow(stack, 'eve', {
      name: 'inward', nodes: [{ id: 'call', type: 'tool_call', tool: { kind: 'http', url: url(), method: 'GET' }, retry: { maxAttempts: 3, intervalSeconds: 1 } }], edges: [],
    });

    // Act
    const runId = await startRun(stack, 'eve', wf);
    const run = await waitForRun(stack, 'eve', runId, ['failed', 'succeeded']);
    const nodes = await getNodes(stack, 'eve', runId);

    // Assess
    expect(run.status).toBe('failed');
    expect(nodes.call.error).toMatchObject({ name: 'Braid.EgressDenied', details: { rule } });
    expect(nodes.call.attempts).toHaveLength(1);
    expect(internalHits).toBe(0);
  });
});

describe('redirects in runs', () => {
  it('refuses an allowed tool\'s redirect to a loopback server; its body never becomes output', async () => {
    // Prepare: an allowed tool answers 302 to the internal server.
    const redirecting = createServer((_req, res) => res.writeHead(302, { location: `${internalUrl}/secret` }).end());
    await new Promise<void>((resolve) => redirecting.listen(0, '127.0.0.1', resolve));
    const front = `http://127.0.0.1:${(redirecting.address() as AddressInfo).port}`;
    testEgressAllowlist.add(new URL(front).host);
    const wf = await createWorkflow(stack, 'eve', { name: 'redirect', nodes: [{ id: 'get', type: 'tool_call', tool: { kind: 'http', url: `${front}/start`, method: 'GET' } }], edges: [] });

    // Act
    const runId = await startRun(stack, 'eve', wf);
    const run = await waitForRun(stack, 'eve', runId, ['failed', 'succeeded']);
    const nodes = await getNodes(stack, 'eve', runId);
    redirecting.closeAllConnections();
    await new Promise((resolve) => redirecting.close(resolve));

    // Assess
    expect(run.status).toBe('failed');
    expect(nodes.get.error).toMatchObject({ name: 'Braid.EgressDenied', details: { host: '127.0.0.1', rule: 'loopback' } });
    expect(JSON.stringify({ run, nodes })).not.toContain('internal-only body');
    expect(internalHits).toBe(0);
  });
});

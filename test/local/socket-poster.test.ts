/**
 * The local stack's two ways of posting to WebSocket connections: in-process on the server's sockets
 * (`livePoster: 'sockets'`, the default) and through the AWS SDK and the local Management API
 * (`'management-api'`, as the fan-out Lambda does on AWS). Both answer every post alike, and both carry a
 * run's live events to a subscriber.
 */
import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { watchRun } from '../../client/ws-client';
import { LOCAL_AWS } from '../../infra/local/dynamo';
import type { LocalPosterMode } from '../../infra/local/live-wiring';
import { createSocketPoster } from '../../infra/local/socket-poster';
import { startWsServer, type LocalWsServer } from '../../infra/local/ws-server';
import type { RunEvent } from '../../shared/model/types';
import { createApiGatewayPoster, DeliveryError, type ConnectionPoster } from '../../shared/live/poster';
import { createWorkflow, startRun, waitFor } from '../runs/helpers';
import { startTestStack } from '../support/local-stack';

const ok = async () => ({ statusCode: 200 });

describe('the local posters answer as the Management API does', () => {
  let server: LocalWsServer;
  let management: ApiGatewayManagementApiClient;
  let posters: Array<[string, ConnectionPoster]>;
  beforeAll(async () => {
    server = await startWsServer({
      handlers: {
        authorizer: async () => ({ principalId: 'u', policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: '*' }] } }),
        connect: ok, disconnect: ok, message: ok,
      },
    });
    management = new ApiGatewayManagementApiClient({ endpoint: server.callbackUrl, ...LOCAL_AWS });
    posters = [['sockets', createSocketPoster(server)], ['management-api', createApiGatewayPoster(management)]];
  });
  afterAll(async () => {
    management.destroy();
    await server.close();
  });

  /** Opens a client and returns its connection id and what it received. */
  async function connect(): Promise<{ id: string; socket: WebSocket; got: string[] }> {
    const before = new Set(server.connections.keys());
    const socket = new WebSocket(server.url);
    const got: string[] = [];
    socket.on('message', (data) => got.push(String(data)));
    await new Promise<void>((resolve, reject) => { socket.once('open', () => resolve()); socket.once('error', reject); });
    const id = await waitFor(() => [...server.connections.keys()].find((key) => !before.has(key)), 'the connection registered');
    return { id, socket, got };
  }

  it.each([0, 1])('poster %#: sent, gone for an unknown or closed connection, DeliveryError over 128 KB', async (index) => {
    // Prepare
    const [, poster] = posters[index] as [string, ConnectionPoster];
    const client = await connect();
    // Act and assess: a frame of exactly 128 KB is sent, one byte more is refused
    expect(await poster.post(client.id, 'hello')).toBe('ok');
    expect(await poster.post(client.id, 'x'.repeat(128 * 1024))).toBe('ok');
    await waitFor(() => (client.got.length === 2 ? true : undefined), 'both frames received');
    expect(client.got[0]).toBe('hello');
    await expect(poster.post(client.id, 'x'.repeat(128 * 1024 + 1))).rejects.toBeInstanceOf(DeliveryError);
    expect(await poster.post('no-such-connection', 'hello')).toBe('gone');
    client.socket.close();
    await waitFor(() => (server.connections.has(client.id) ? undefined : true), 'the connection closed');
    expect(await poster.post(client.id, 'hello')).toBe('gone');
    expect(client.got).toHaveLength(2);
  });
});

describe.each<LocalPosterMode>(['sockets', 'management-api'])('a run watched live on a stack whose fan-out posts with %s', (livePoster) => {
  it('delivers the events recorded after the catch-up, once and in order', async () => {
    // Prepare: a run held at a gate, watched until its catch-up holds the gate's event
    const stack = await startTestStack({ live: true, livePoster });
    try {
      const workflowId = await createWorkflow(stack, 'alice', {
        name: 'gate then echo',
        nodes: [{ id: 'ask', type: 'human_gate', prompt: 'go?', timeoutSeconds: 600 }, { id: 'b', type: 'tool_call', tool: { kind: 'builtin', name: 'echo' } }],
        edges: [{ from: 'ask', to: 'b' }],
      });
      const runId = await startRun(stack, 'alice', workflowId);
      const seen: RunEvent[] = [];
      const watch = watchRun({ url: stack.wsUrl as string, token: await stack.token('alice'), runId, onEvent: (event) => seen.push(event) });
      await waitFor(() => (seen.some((e) => e.type === 'node.waiting') ? true : undefined), 'the catch-up reached the gate');
      const caughtUp = seen.length;
      // Act: what follows the approval can only arrive through the fan-out
      const approved = await stack.call('POST', `/api/v1/workflows/runs/${runId}/gates/ask/approve`, { as: 'alice' });
      expect(approved.status, approved.text).toBe(200);
      const { terminal } = await watch.done;
      // Assess
      expect(terminal.type).toBe('run.succeeded');
      expect(seen.map((e) => e.seq)).toStrictEqual(seen.map((_, i) => i + 1));
      const live = seen.slice(caughtUp).map((e) => `${e.type}${e.nodeId ? ` ${e.nodeId}` : ''}`);
      expect(live).toStrictEqual(expect.arrayContaining(['node.succeeded ask', 'node.started b', 'node.succeeded b', 'run.succeeded']));
      const log = await stack.call('GET', `/api/v1/workflows/runs/${runId}/events`, { as: 'alice' });
      expect(seen).toStrictEqual(log.body.events);
    } finally {
      await stack.close();
    }
  });
});

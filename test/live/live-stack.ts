/**
 * A local live-progress stack for tests: dynalite with the stream emulation, the real WebSocket handlers
 * behind the local WS server (authorizer first), the Management API client on its callback URL, and a
 * signing key for tokens. Runs are seeded straight into the store; events are appended through the repository.
 */
import { randomUUID } from 'node:crypto';
import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { createWsAuthorizer } from '../../functions/ws-authorizer/handler';
import { createWsConnectHandler } from '../../functions/ws-connect/handler';
import { createWsDisconnectHandler } from '../../functions/ws-disconnect/handler';
import { createWsFanoutHandler } from '../../functions/ws-fanout/handler';
import { createWsMessageHandler } from '../../functions/ws-message/handler';
import { attachStreamEmulation, type StreamEmulation } from '../../infra/local/ws-stream';
import { startWsServer, type LocalWsServer } from '../../infra/local/ws-server';
import { generateSigningKey } from '../../shared/auth/local-key';
import { BRAID_AUDIENCE, LOCAL_ISSUER, signLocalToken } from '../../shared/auth/tokens';
import { createTokenVerifier } from '../../shared/auth/verify-token';
import { createApiGatewayPoster, type ConnectionPoster } from '../../shared/live/poster';
import { createLiveServiceOnTable } from '../../shared/live/runtime';
import type { LiveService } from '../../shared/live/live-service';
import type { Run, Workflow } from '../../shared/model/types';
import { createEventLogRepository, type EventLogRepository } from '../../shared/store/events';
import { createStore } from '../../shared/store/store';
import { LOCAL_CREDENTIALS, startTable, type LocalTable } from './helpers';

/** The running stack. */
export interface LiveStack {
  table: LocalTable;
  ws: LocalWsServer;
  service: LiveService;
  events: EventLogRepository;
  stream: StreamEmulation;
  /** Signs a token for a user. */
  token(userId: string): Promise<string>;
  /** Seeds a private workflow owned by `ownerId` and a running run of it; returns the run id. */
  seedRun(ownerId: string): Promise<string>;
  close(): Promise<void>;
}

/** Options of `startLiveStack`. */
export interface LiveStackOptions {
  /** Wraps the real poster (e.g. to make one connection gone). */
  wrapPoster?: (poster: ConnectionPoster) => ConnectionPoster;
}

/** Starts the stack. */
export async function startLiveStack(options: LiveStackOptions = {}): Promise<LiveStack> {
  const table = await startTable();
  const key = await generateSigningKey();
  const verify = createTokenVerifier({ issuer: LOCAL_ISSUER, audience: BRAID_AUDIENCE, jwks: key.jwks });
  let poster: ConnectionPoster | undefined;
  const latePoster: ConnectionPoster = {
    post: (id, data) => {
      if (!poster) throw new Error('poster not ready');
      return poster.post(id, data);
    },
  };
  const service = createLiveServiceOnTable(table, latePoster);
  const stream = attachStreamEmulation(table.client, createWsFanoutHandler(service), { tableName: table.tableName });
  const ws = await startWsServer({
    handlers: {
      authorizer: createWsAuthorizer(verify),
      connect: createWsConnectHandler(service),
      disconnect: createWsDisconnectHandler(service),
      message: createWsMessageHandler(service),
    },
  });
  const management = new ApiGatewayManagementApiClient({ endpoint: ws.callbackUrl, region: 'local', credentials: LOCAL_CREDENTIALS });
  const real = createApiGatewayPoster(management);
  poster = options.wrapPoster ? options.wrapPoster(real) : real;
  const store = createStore(table);
  return {
    table,
    ws,
    service,
    events: createEventLogRepository(table),
    stream,
    token: (userId) => signLocalToken(key, userId),
    async seedRun(ownerId) {
      const workflowId = `wf-${randomUUID()}`;
      const runId = `run-${randomUUID()}`;
      const at = new Date().toISOString();
      const workflow: Workflow = { id: workflowId, ownerId, name: 'w', visibility: 'private', isTemplate: false, latestVersion: 1, createdAt: at, updatedAt: at };
      await store.workflows.create(workflow, {
        workflowId, version: 1, createdAt: at, createdBy: ownerId, warnings: [],
        definition: { name: 'w', nodes: [{ id: 'a', type: 'tool_call', tool: 'echo' }], edges: [] } as never,
      });
      const run: Run = { runId, workflowId, version: 1, ownerId, startedBy: ownerId, status: 'running', input: {}, startedAt: at, cost: { usd: 0 } };
      await store.runs.create(run);
      return runId;
    },
    async close() {
      await ws.close();
      await stream.idle();
      management.destroy();
      await table.close();
    },
  };
}

/**
 * Seam for live progress in the local stack: the WebSocket server on `wsPort`, the real ws-* handlers, and
 * the stream emulation that feeds new event items to ws-fanout. Owned by the live engineer's modules; the
 * stack only calls `wireLive`.
 */
import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { createWsAuthorizer } from '../../functions/ws-authorizer/handler';
import { createWsConnectHandler } from '../../functions/ws-connect/handler';
import { createWsDisconnectHandler } from '../../functions/ws-disconnect/handler';
import { createWsFanoutHandler } from '../../functions/ws-fanout/handler';
import { createWsMessageHandler } from '../../functions/ws-message/handler';
import type { VerifyToken } from '../../shared/auth/verify-token';
import { createApiGatewayPoster, type ConnectionPoster } from '../../shared/live/poster';
import { createLiveServiceOnTable } from '../../shared/live/runtime';
import type { TableRef } from '../../shared/store/table';
import { LOCAL_AWS } from './dynamo';
import { createSocketPoster } from './socket-poster';
import { attachStreamEmulation } from './ws-stream';
import { startWsServer } from './ws-server';

/**
 * How the fan-out posts to local connections: `sockets` (the Management API's POST carried out in-process,
 * `socket-poster.ts`) or `management-api` (the AWS SDK's `PostToConnection` over HTTP to the same server, as the
 * fan-out Lambda does on AWS, at about 0.4 ms of this event loop's CPU per post).
 */
export type LocalPosterMode = 'sockets' | 'management-api';

/** What the stack gives the live wiring. */
export interface LiveWiringContext {
  table: TableRef;
  verifyToken: VerifyToken;
  /** @default 0 */
  port?: number;
  /** @default "sockets" */
  poster?: LocalPosterMode;
}

/** The wired WebSocket endpoint. */
export interface LiveWiring {
  wsUrl: string;
  /** Drops every open connection abruptly, as a network failure would (tests of reconnect and resume). */
  dropConnections(): number;
  close(): Promise<void>;
}

/** Starts the WebSocket API and the stream emulation on the stack's table. */
export async function wireLive(ctx: LiveWiringContext): Promise<LiveWiring> {
  let poster: ConnectionPoster | undefined;
  const late: ConnectionPoster = {
    post: (id, data) => {
      if (!poster) throw new Error('the WebSocket poster is not ready');
      return poster.post(id, data);
    },
  };
  const service = createLiveServiceOnTable(ctx.table, late);
  const stream = attachStreamEmulation(ctx.table.client, createWsFanoutHandler(service), { tableName: ctx.table.tableName });
  const ws = await startWsServer({
    port: ctx.port ?? 0,
    handlers: {
      authorizer: createWsAuthorizer(ctx.verifyToken),
      connect: createWsConnectHandler(service),
      disconnect: createWsDisconnectHandler(service),
      message: createWsMessageHandler(service),
    },
  });
  const management = ctx.poster === 'management-api' ? new ApiGatewayManagementApiClient({ endpoint: ws.callbackUrl, ...LOCAL_AWS }) : undefined;
  poster = management ? createApiGatewayPoster(management) : createSocketPoster(ws);
  return {
    wsUrl: ws.url,
    dropConnections() {
      const ids = [...ws.connections.keys()];
      for (const id of ids) ws.drop(id);
      return ids.length;
    },
    async close() {
      await ws.close();
      await stream.idle();
      management?.destroy();
    },
  };
}

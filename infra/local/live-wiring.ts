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
import { attachStreamEmulation } from './ws-stream';
import { startWsServer } from './ws-server';

/** What the stack gives the live wiring. */
export interface LiveWiringContext {
  table: TableRef;
  verifyToken: VerifyToken;
  /** @default 0 */
  port?: number;
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
  const management = new ApiGatewayManagementApiClient({ endpoint: ws.callbackUrl, ...LOCAL_AWS });
  poster = createApiGatewayPoster(management);
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
      management.destroy();
    },
  };
}

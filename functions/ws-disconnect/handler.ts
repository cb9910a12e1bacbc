/**
 * WebSocket `$disconnect`: removes the connection and its subscriptions.
 */
import type { APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';
import { z } from 'zod';
import type { LiveService } from '../../shared/live/live-service';
import { liveServiceFromEnv } from '../../shared/live/runtime';
import type { WsResult } from '../ws-connect/handler';

const EventSchema = z.object({ requestContext: z.object({ connectionId: z.string().min(1) }).loose() });

/** Builds the `$disconnect` handler on a live service. */
export function createWsDisconnectHandler(service: LiveService): (event: APIGatewayProxyWebsocketEventV2) => Promise<WsResult> {
  return async (event) => {
    const { requestContext } = EventSchema.parse(event);
    await service.disconnect(requestContext.connectionId);
    return { statusCode: 200 };
  };
}

// Composed on the first call, not at import: see functions/ws-authorizer/handler.ts.
let root: ReturnType<typeof createWsDisconnectHandler> | undefined;

/** Lambda entry point. */
export const handler = (event: APIGatewayProxyWebsocketEventV2): Promise<WsResult> =>
  (root ??= createWsDisconnectHandler(liveServiceFromEnv()))(event);

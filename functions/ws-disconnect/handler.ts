/**
 * WebSocket `$disconnect`: removes the connection and its subscriptions.
 */
import type { APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';
import * as z from 'zod';
import type { LiveService } from '../../shared/live/live-service';
import { LiveConfigSchema, liveServiceFromConfig } from '../../shared/live/runtime';
import { readConfig, lazyHandler, type WsResult } from '../runtime';

const EventSchema = z.object({ requestContext: z.object({ connectionId: z.string().min(1) }).loose() });

/** Builds the `$disconnect` handler on a live service. */
export function createWsDisconnectHandler(service: LiveService): (event: APIGatewayProxyWebsocketEventV2) => Promise<WsResult> {
  return async (event) => {
    const { requestContext } = EventSchema.parse(event);
    await service.disconnect(requestContext.connectionId);
    return { statusCode: 200 };
  };
}

/** Lambda entry point. */
export const handler = lazyHandler(() => createWsDisconnectHandler(liveServiceFromConfig(readConfig(LiveConfigSchema))));

/**
 * WebSocket `$connect`: records the connection with the user id the authorizer put in its context.
 */
import type { APIGatewayProxyWebsocketEventV2WithRequestContext, APIGatewayEventWebsocketRequestContextV2 } from 'aws-lambda';
import * as z from 'zod';
import type { LiveService } from '../../shared/live/live-service';
import { LiveConfigSchema, liveServiceFromConfig } from '../../shared/live/runtime';
import { readConfig, lazyHandler, type WsResult } from '../runtime';

/** The `$connect` event: the WebSocket request context plus the authorizer's context. */
export type WsConnectEvent = APIGatewayProxyWebsocketEventV2WithRequestContext<
  APIGatewayEventWebsocketRequestContextV2 & { authorizer?: { principalId?: string; userId?: string } }
>;

export type { WsResult };

const EventSchema = z.object({
  requestContext: z.object({
    connectionId: z.string().min(1),
    authorizer: z.object({ userId: z.string().min(1) }).loose(),
  }).loose(),
});

/** Builds the `$connect` handler on a live service. */
export function createWsConnectHandler(service: LiveService): (event: WsConnectEvent) => Promise<WsResult> {
  return async (event) => {
    const parsed = EventSchema.safeParse(event);
    // Without an authorizer context the route is misconfigured: refuse rather than record an anonymous user.
    if (!parsed.success) return { statusCode: 401 };
    await service.connect(parsed.data.requestContext.connectionId, parsed.data.requestContext.authorizer.userId);
    return { statusCode: 200 };
  };
}

/** Lambda entry point. */
export const handler = lazyHandler(() => createWsConnectHandler(liveServiceFromConfig(readConfig(LiveConfigSchema))));

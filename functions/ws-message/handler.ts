/**
 * WebSocket `subscribe`, `unsubscribe` and `$default` routes: one handler; replies (acknowledgements, catch-up
 * events, `{ type: "error" }`) go back through the Management API, the same path as fan-out.
 */
import type { APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';
import * as z from 'zod';
import type { LiveService } from '../../shared/live/live-service';
import { LiveConfigSchema, liveServiceFromConfig } from '../../shared/live/runtime';
import { readConfig, lazyHandler, type WsResult } from '../runtime';

const EventSchema = z.object({
  requestContext: z.object({ connectionId: z.string().min(1) }).loose(),
  body: z.string().optional(),
  isBase64Encoded: z.boolean().optional(),
});

/** Builds the message handler on a live service. */
export function createWsMessageHandler(service: LiveService): (event: APIGatewayProxyWebsocketEventV2) => Promise<WsResult> {
  return async (event) => {
    const { requestContext, body, isBase64Encoded } = EventSchema.parse(event);
    const text = body !== undefined && isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body;
    await service.handleMessage(requestContext.connectionId, text);
    return { statusCode: 200 };
  };
}

/** Lambda entry point. */
export const handler = lazyHandler(() => createWsMessageHandler(liveServiceFromConfig(readConfig(LiveConfigSchema))));

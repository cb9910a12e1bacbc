/**
 * The connection poster port: push one message to one WebSocket connection, learning whether it is gone.
 * The AWS adapter uses the API Gateway Management API; the local stack serves the same API over HTTP.
 */
import { ApiGatewayManagementApiClient, GoneException, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { BraidError } from '../errors';

/** Outcome of a post: delivered to API Gateway, or the connection no longer exists. */
export type PostResult = 'ok' | 'gone';

/** Sends messages to WebSocket connections. */
export interface ConnectionPoster {
  /** Posts `data` (one text frame) to the connection. Throws `DeliveryError` for anything but gone. */
  post(connectionId: string, data: string): Promise<PostResult>;
}

/** A post failed for a reason other than a gone connection (throttling, network); retrying may succeed. */
export class DeliveryError extends BraidError {
  readonly connectionId: string;
  constructor(connectionId: string, options?: { cause?: unknown }) {
    super('delivery_failed', `could not post to connection ${connectionId}`, options);
    this.name = 'DeliveryError';
    this.connectionId = connectionId;
  }
}

/**
 * Builds the poster on the Management API client.
 * @example createApiGatewayPoster(new ApiGatewayManagementApiClient({ endpoint: 'https://abc.execute-api.eu-west-1.amazonaws.com/prod' }))
 */
export function createApiGatewayPoster(client: ApiGatewayManagementApiClient): ConnectionPoster {
  const encoder = new TextEncoder();
  return {
    async post(connectionId, data) {
      try {
        await client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: encoder.encode(data) }));
        return 'ok';
      } catch (error) {
        const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
        if (error instanceof GoneException || status === 410) return 'gone';
        throw new DeliveryError(connectionId, { cause: error });
      }
    },
  };
}

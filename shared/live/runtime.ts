/**
 * Composition of the live service: on a table and a poster (the local stack and tests), or from the
 * validated environment (the Lambda functions, once per cold start).
 */
import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import * as z from 'zod';
import { createConnectionRepository } from '../store/connections';
import { createEventLogRepository } from '../store/events';
import { createFanOutMarkRepository } from '../store/fan-out-marks';
import { createStore } from '../store/store';
import { createSubscriptionRepository } from '../store/subscriptions';
import { createDocumentClient, type TableRef } from '../store/table';
import { createLiveService, type LiveService } from './live-service';
import type { DeliveryAccess } from './delivery-access';
import { createApiGatewayPoster, type ConnectionPoster } from './poster';
import { createStoreRunAccess, type RunAccess } from './run-access';
import { withDeliveryMetrics } from '../observability/delivery-metrics';
import { metricSinkFromEnv } from '../observability/sink-from-env';

/** Environment of the WebSocket functions, validated at cold start (`functions/http/config.ts` `readConfig`). */
export const LiveConfigSchema = z.object({
  /** The single DynamoDB table. */
  TABLE_NAME: z.string().min(1),
  /** Overrides the DynamoDB endpoint (local runs). */
  DYNAMODB_ENDPOINT: z.url().optional(),
  /** The Management API endpoint: `https://<api-id>.execute-api.<region>.amazonaws.com/<stage>`; locally the WS server's. */
  WS_ENDPOINT: z.url(),
});

/** The validated environment. */
export type LiveConfig = z.infer<typeof LiveConfigSchema>;

/** Options of `createLiveServiceOnTable`. */
export interface LiveOnTableOptions {
  /** Who may watch a run. @default the store rule (`createStoreRunAccess`) */
  access?: RunAccess;
  /** The fan-out's re-check before each delivery. @default `access` behind a 30 s cache */
  deliveryAccess?: DeliveryAccess;
  /** @default () => new Date() */
  now?: () => Date;
}

/** Builds the live service on a table and a poster. */
export function createLiveServiceOnTable(table: TableRef, poster: ConnectionPoster, options: LiveOnTableOptions = {}): LiveService {
  return createLiveService({
    connections: createConnectionRepository(table),
    subscriptions: createSubscriptionRepository(table),
    events: createEventLogRepository(table),
    marks: createFanOutMarkRepository(table),
    poster,
    access: options.access ?? createStoreRunAccess(createStore(table), options.now),
    ...(options.now ? { now: options.now } : {}),
    ...(options.deliveryAccess ? { deliveryAccess: options.deliveryAccess } : {}),
  });
}

/** Builds the live service from the validated environment (one per cold start). */
export function liveServiceFromConfig(config: LiveConfig): LiveService {
  const table: TableRef = {
    client: createDocumentClient(config.DYNAMODB_ENDPOINT ? { endpoint: config.DYNAMODB_ENDPOINT } : {}),
    tableName: config.TABLE_NAME,
  };
  const poster = createApiGatewayPoster(new ApiGatewayManagementApiClient({ endpoint: config.WS_ENDPOINT }));
  return createLiveServiceOnTable(table, withDeliveryMetrics(poster, metricSinkFromEnv()));
}

/**
 * Composition of the live service: on a table and a poster (the local stack and tests), or from the
 * environment (the Lambda functions, once per cold start).
 */
import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { BraidError } from '../errors';
import { createConnectionRepository } from '../store/connections';
import { createEventLogRepository } from '../store/events';
import { createStore } from '../store/store';
import { createSubscriptionRepository } from '../store/subscriptions';
import { createDocumentClient, type TableRef } from '../store/table';
import { createLiveService, type LiveService } from './live-service';
import { createApiGatewayPoster, type ConnectionPoster } from './poster';
import { createStoreRunAccess, type RunAccess } from './run-access';

/** A required environment variable is missing. */
export class MissingConfigError extends BraidError {
  readonly variable: string;
  constructor(variable: string) {
    super('missing_config', `environment variable ${variable} is required`);
    this.name = 'MissingConfigError';
    this.variable = variable;
  }
}

/** Reads a required environment variable, failing loudly. */
export function requireEnv(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (value === undefined || value === '') throw new MissingConfigError(name);
  return value;
}

/** Options of `createLiveServiceOnTable`. */
export interface LiveOnTableOptions {
  /** Who may watch a run. @default the store rule (`createStoreRunAccess`) */
  access?: RunAccess;
  /** @default () => new Date() */
  now?: () => Date;
  /** Drain lease in ms. @default 30000 */
  leaseMs?: number;
}

/** Builds the live service on a table and a poster. */
export function createLiveServiceOnTable(table: TableRef, poster: ConnectionPoster, options: LiveOnTableOptions = {}): LiveService {
  return createLiveService({
    connections: createConnectionRepository(table),
    subscriptions: createSubscriptionRepository(table),
    events: createEventLogRepository(table),
    poster,
    access: options.access ?? createStoreRunAccess(createStore(table), options.now),
    ...(options.now ? { now: options.now } : {}),
    ...(options.leaseMs !== undefined ? { leaseMs: options.leaseMs } : {}),
  });
}

/**
 * Builds the live service from the environment: `TABLE_NAME`, and `WS_CALLBACK_URL` (the Management API
 * endpoint, `https://<api-id>.execute-api.<region>.amazonaws.com/<stage>`; locally the WS server's URL).
 * The DynamoDB endpoint follows the SDK's own `AWS_ENDPOINT_URL_DYNAMODB` when set.
 */
export function liveServiceFromEnv(env: NodeJS.ProcessEnv = process.env): LiveService {
  const table: TableRef = { client: createDocumentClient(), tableName: requireEnv(env, 'TABLE_NAME') };
  const poster = createApiGatewayPoster(new ApiGatewayManagementApiClient({ endpoint: requireEnv(env, 'WS_CALLBACK_URL') }));
  return createLiveServiceOnTable(table, poster);
}

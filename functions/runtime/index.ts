/**
 * The runtime every function shares, in one named module: configuration read and validated at cold start
 * (`readConfig`, `BaseConfigSchema`), the structured logger, the lazy Lambda entry, and the store built from the
 * base configuration. A handler's composition root (`depsFromEnv`) takes these instead of copying them.
 */
import type * as z from 'zod';
import { createStore, type Store } from '../../shared/store/store';
import { createDocumentClient } from '../../shared/store/table';
import { BaseConfigSchema } from '../http/config';

export { BaseConfigSchema, ConfigError, readConfig } from '../http/config';
export { lazyHandler } from '../http/lazy-handler';
export { createLogger } from '../http/logger';
export type { HttpHandler, WsResult } from '../http/handler-types';

/** The store on the table the base configuration names (`TABLE_NAME`, `DYNAMODB_ENDPOINT` for local runs). */
export function storeFromConfig(config: z.infer<typeof BaseConfigSchema>): Store {
  const client = createDocumentClient(config.DYNAMODB_ENDPOINT ? { endpoint: config.DYNAMODB_ENDPOINT } : {});
  return createStore({ client, tableName: config.TABLE_NAME });
}

/**
 * The api function: reads, validation, permissions, templates, diagrams and runs (the run routes' handlers
 * come from `functions/http/run-routes.ts`). `createHandler(deps)` is the composition seam used by the local stack and tests;
 * `handler` is the Lambda entry, configured from the environment at cold start.
 */
import type { HttpHandler } from '../http/handler-types';
import { handle } from 'hono/aws-lambda';
import type { Logger } from '@aws-lambda-powertools/logger';
import { validateDefinition } from '../../shared/definition/validate';
import type { Orchestrator } from '../../shared/ports/orchestrator';
import { createPermissionService } from '../../shared/services/permissions';
import { createGrantService } from '../../shared/services/permissions-grants';
import { createWorkflowReadService } from '../../shared/services/workflow-read';
import type { Store } from '../../shared/store/store';
import { createHttpApp, type RouteHandlers } from '../http/app';
import { workflowReadRoutes } from '../http/workflow-routes';
import { runRoutes } from '../http/run-routes';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SfnOrchestrator } from '../../shared/adapters/sfn-orchestrator';
import { createRunStores } from '../../shared/services/execution-context';
import { metricSinkFromEnv } from '../../shared/observability/sink-from-env';
import type { MetricSink } from '../../shared/observability/metrics';
import { createRunService } from '../../shared/services/run-service';
import { quotasFromEnv, type QuotaLimits } from '../../shared/quotas/config';
import { createQuotaService } from '../../shared/services/quota-service';
import { createMachineCleanup } from '../../shared/services/machine-cleanup';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { setCursorKey } from '../../shared/store/cursor';
import { createAwsVault } from '../../shared/secrets/aws-vault';
import { createSecretService } from '../../shared/secrets/secret-service';
import type { SecretVault } from '../../shared/secrets/vault';
import { secretRoutes } from '../http/secret-routes';
import * as z from 'zod';
import { BaseConfigSchema, createLogger, lazyHandler, readConfig, storeFromConfig } from '../runtime';

/** What the api function is built from. */
export interface ApiDeps {
  store: Store;
  logger: Logger;
  /** Where run, node and gate metrics go. @default none */
  metrics?: MetricSink;
  /** Needed by the run routes (start, cancel); absent until they are wired. */
  orchestrator?: Orchestrator;
  /** @default () => new Date() */
  clock?: () => Date;
  /** Extra route handlers (run routes) merged over the workflow routes. */
  routes?: RouteHandlers;
  /** @default quotasFromEnv() (the `BRAID_QUOTA_*` variables, else the deployed defaults) */
  quotas?: QuotaLimits;
  /** Where secret values live (the secrets routes are served only with one). */
  vault?: SecretVault;
  /** Loads the key that signs pagination cursors (AWS: a Secrets Manager secret), awaited before the first request. */
  cursorKey?: () => Promise<Uint8Array>;
}

export type { HttpHandler };

/** Builds the api function's handler from its dependencies. */
export function createHandler(deps: ApiDeps): HttpHandler {
  const permissions = createPermissionService({ store: deps.store, clock: deps.clock });
  const quotas = createQuotaService({ store: deps.store, limits: deps.quotas ?? quotasFromEnv(), clock: deps.clock });
  const cleanup = deps.orchestrator ? createMachineCleanup({ store: deps.store, orchestrator: deps.orchestrator, clock: deps.clock }) : undefined;
  const workflows = createWorkflowReadService({ store: deps.store, permissions, validate: validateDefinition, clock: deps.clock, quotas, ...(cleanup ? { cleanup } : {}) });
  const grants = createGrantService({ store: deps.store, permissions, clock: deps.clock });
  const runs = deps.orchestrator
    ? runRoutes(createRunService({ ...createRunStores(deps.store, deps.clock, deps.metrics), permissions, orchestrator: deps.orchestrator, quotas }))
    : {};
  const secrets = deps.vault ? secretRoutes(createSecretService({ table: deps.store.table, vault: deps.vault, clock: deps.clock, quotas })) : {};
  const handlers: RouteHandlers = { ...workflowReadRoutes({ workflows, grants }), ...runs, ...secrets, ...deps.routes };
  const app = createHttpApp({ owner: 'api', handlers, logger: deps.logger });
  const inner = handle(app) as HttpHandler;
  const loadKey = deps.cursorKey;
  if (!loadKey) return inner;
  let ready: Promise<void> | undefined;
  return async (event, context) => {
    // Every instance signs with the deployment's key, so a cursor from one instance is valid on the next.
    await (ready ??= loadKey().then(setCursorKey, (error: unknown) => {
      ready = undefined;
      throw error;
    }));
    return inner(event, context);
  };
}

/** Reads the environment and builds the real dependencies (Lambda cold start). */
function depsFromEnv(): ApiDeps {
  const config = readConfig(BaseConfigSchema.extend({ VAULT_PREFIX: z.string().regex(/^[A-Za-z0-9/_+=.@-]+\/$/), CURSOR_KEY_ARN: z.string().startsWith('arn:') }));
  // The api function starts and stops executions only: `register`'s role and prefix are never read here.
  const orchestrator = new SfnOrchestrator({ client: new SFNClient({}) });
  const secretsManager = new SecretsManagerClient({});
  const vault = createAwsVault({ client: secretsManager, prefix: config.VAULT_PREFIX });
  const cursorKey = async () => {
    const out = await secretsManager.send(new GetSecretValueCommand({ SecretId: config.CURSOR_KEY_ARN }));
    return Buffer.from(out.SecretString ?? '', 'utf8');
  };
  return { store: storeFromConfig(config), logger: createLogger('braid-api'), metrics: metricSinkFromEnv(), orchestrator, vault, cursorKey };
}

/** The Lambda entry point. */
export const handler: HttpHandler = lazyHandler(() => createHandler(depsFromEnv()));

/**
 * The gate function: `POST /api/v1/workflows/runs/{runId}/gates/{nodeId}/{approve|reject}` and
 * `POST /api/v1/workflows/runs/{runId}/nodes/{nodeId}/reply` (an agent that asked). The only function
 * allowed `states:SendTaskSuccess`/`SendTaskFailure`; it reads a gate's task token from the store and hands it
 * straight to the orchestrator, never to a response or a log line.
 * `createHandler(deps)` is the seam for the local stack and tests; `handler` is the Lambda entry.
 */
import { SFNClient } from '@aws-sdk/client-sfn';
import { handle } from 'hono/aws-lambda';
import type { Logger } from '@aws-lambda-powertools/logger';
import { SfnOrchestrator } from '../../shared/adapters/sfn-orchestrator';
import type { Orchestrator } from '../../shared/ports/orchestrator';
import { createRunStores, type GovernancePorts } from '../../shared/services/execution-context';
import { portsFromEnv } from '../http/governance-ports';
import { metricSinkFromEnv } from '../../shared/observability/sink-from-env';
import type { MetricSink } from '../../shared/observability/metrics';
import { createGateService } from '../../shared/services/gate-service';
import { createPermissionService } from '../../shared/services/permissions';
import { createReplyService } from '../../shared/services/reply-service';
import type { Store } from '../../shared/store/store';
import type { HttpHandler } from '../http/handler-types';
import { createHttpApp } from '../http/app';
import { gateRoutes } from '../http/run-routes';
import { BaseConfigSchema, createLogger, lazyHandler, readConfig, storeFromConfig } from '../runtime';

/** What the gate function is built from. */
export interface GateDeps {
  store: Store;
  orchestrator: Orchestrator;
  logger: Logger;
  /** Where run, node and gate metrics go. @default none */
  metrics?: MetricSink;
  /** @default () => new Date() */
  clock?: () => Date;
  /** Notifications and gate timers. @default none */
  ports?: GovernancePorts;
}

/** Builds the gate function's handler from its dependencies. */
export function createHandler(deps: GateDeps): HttpHandler {
  const permissions = createPermissionService({ store: deps.store, clock: deps.clock });
  const stores = createRunStores(deps.store, deps.clock, deps.metrics, deps.ports);
  const service = createGateService({ ...stores, permissions, orchestrator: deps.orchestrator });
  const replies = createReplyService({ ...stores, permissions, orchestrator: deps.orchestrator });
  return handle(createHttpApp({ owner: 'gate', handlers: gateRoutes(service, replies), logger: deps.logger })) as HttpHandler;
}

function depsFromEnv(): GateDeps {
  const config = readConfig(BaseConfigSchema);
  // The gate function only sends task results: the role and prefix (used by `register`) are never read.
  const orchestrator = new SfnOrchestrator({ client: new SFNClient({}) });
  return { store: storeFromConfig(config), orchestrator, logger: createLogger('braid-gate'), metrics: metricSinkFromEnv(), ports: portsFromEnv() };
}

/** The Lambda entry point. */
export const handler: HttpHandler = lazyHandler(() => createHandler(depsFromEnv()));

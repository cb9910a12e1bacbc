/**
 * The compile function: `POST /api/v1/workflows` and `PUT /api/v1/workflows/{id}`. It validates, compiles,
 * registers the state machine through the orchestrator port and stores the version.
 * `createHandler(deps)` is the seam for the local stack and tests; `handler` is the Lambda entry.
 */
import * as z from 'zod';
import type { Logger } from '@aws-lambda-powertools/logger';
import { handle } from 'hono/aws-lambda';
import { registrarFromConfig, RegistrarConfigSchema } from '../runtime/registrar';
import { createDurationStatsRepository } from '../../shared/store/duration-stats';
import { compileWorkflow } from '../../shared/compiler/compile';
import { validateDefinition } from '../../shared/definition/validate';
import type { Orchestrator } from '../../shared/ports/orchestrator';
import { createPermissionService } from '../../shared/services/permissions';
import { createWorkflowWriteService } from '../../shared/services/workflow-write';
import type { Store } from '../../shared/store/store';
import type { HttpHandler } from '../http/handler-types';
import { createHttpApp } from '../http/app';
import { workflowWriteRoutes } from '../http/workflow-routes';
import { BaseConfigSchema, createLogger, lazyHandler, readConfig, storeFromConfig } from '../runtime';
import { quotasFromEnv, type QuotaLimits } from '../../shared/quotas/config';
import { createQuotaService } from '../../shared/services/quota-service';
import { createMachineCleanup } from '../../shared/services/machine-cleanup';

/** What the compile function is built from. */
export interface CompileDeps {
  store: Store;
  orchestrator: Orchestrator;
  logger: Logger;
  /** ARN of the executor Lambda that compiled Task states invoke. */
  executorArn: string;
  /** @default () => new Date() */
  clock?: () => Date;
  /** @default crypto.randomUUID */
  newId?: () => string;
  /** @default quotasFromEnv() (the `BRAID_QUOTA_*` variables, else the deployed defaults) */
  quotas?: QuotaLimits;
}

/** Environment of the compile function. */
export const CompileConfigSchema = RegistrarConfigSchema;

/** Builds the compile function's handler from its dependencies. */
export function createHandler(deps: CompileDeps): HttpHandler {
  const permissions = createPermissionService({ store: deps.store, clock: deps.clock });
  const service = createWorkflowWriteService({
    store: deps.store, permissions, orchestrator: deps.orchestrator, validate: validateDefinition,
    compile: compileWorkflow, executorArn: deps.executorArn, clock: deps.clock, newId: deps.newId,
    stats: createDurationStatsRepository(deps.store.table),
    quotas: createQuotaService({ store: deps.store, limits: deps.quotas ?? quotasFromEnv(), clock: deps.clock }),
    cleanup: createMachineCleanup({ store: deps.store, orchestrator: deps.orchestrator, clock: deps.clock }),
  });
  return handle(createHttpApp({ owner: 'compile', handlers: workflowWriteRoutes(service), logger: deps.logger })) as HttpHandler;
}

function depsFromEnv(): CompileDeps {
  const config = readConfig(CompileConfigSchema);
  const orchestrator = registrarFromConfig(config);
  return { store: storeFromConfig(config), orchestrator, logger: createLogger('braid-compile'), executorArn: config.EXECUTOR_ARN };
}

/** The Lambda entry point. */
export const handler: HttpHandler = lazyHandler(() => createHandler(depsFromEnv()));

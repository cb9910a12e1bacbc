/**
 * The finalizer function, fed by EventBridge "Step Functions Execution Status Change" events: reconciles a run
 * whose execution ended without `finalize` (ABORTED → cancelled, TIMED_OUT → timed_out, FAILED → failed) and
 * closes its open nodes and gates. `createHandler(deps)` is the seam for the local orchestrator and tests.
 */
import * as z from 'zod';
import type { Logger } from '@aws-lambda-powertools/logger';
import { createRunStores } from '../../shared/services/execution-context';
import { createReconciler, type ReconcileOutcome } from '../../shared/services/execution-reconcile';
import { createStore, type Store } from '../../shared/store/store';
import { createDocumentClient } from '../../shared/store/table';
import { BaseConfigSchema, readConfig } from '../http/config';
import { lazyHandler } from '../http/lazy-handler';
import { createLogger } from '../http/logger';

/** The part of an EventBridge "Step Functions Execution Status Change" event the finalizer reads. */
export const ExecutionStatusChangeSchema = z.object({
  'detail-type': z.literal('Step Functions Execution Status Change'),
  source: z.literal('aws.states'),
  detail: z.object({
    executionArn: z.string(),
    name: z.string().min(1),
    status: z.enum(['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']),
    input: z.string().nullish(),
    error: z.string().nullish(),
    cause: z.string().nullish(),
  }),
});

/** What the finalizer is built from. */
export interface FinalizerDeps {
  store: Store;
  logger: Logger;
  /** @default () => new Date() */
  clock?: () => Date;
}

/** Builds the finalizer handler. */
export function createHandler(deps: FinalizerDeps): (event: unknown, context?: unknown) => Promise<{ outcome: ReconcileOutcome }> {
  const reconciler = createReconciler(createRunStores(deps.store, deps.clock));
  return async (raw) => {
    const parsed = ExecutionStatusChangeSchema.safeParse(raw);
    if (!parsed.success) {
      deps.logger.warn('ignored event', { reason: 'not an execution status change' });
      return { outcome: 'ignored' };
    }
    const { detail } = parsed.data;
    const outcome = await reconciler.reconcile({
      runId: runIdOf(detail.input) ?? detail.name, status: detail.status,
      ...(detail.error ? { error: detail.error } : {}), ...(detail.cause ? { cause: detail.cause } : {}),
    });
    deps.logger.info('execution reconciled', { executionArn: detail.executionArn, status: detail.status, outcome });
    return { outcome };
  };
}

/** The run id from the execution input (`{ runId, r }`), if it parses. */
function runIdOf(input: string | null | undefined): string | undefined {
  if (!input) return undefined;
  try {
    const parsed = JSON.parse(input) as { runId?: unknown };
    return typeof parsed.runId === 'string' ? parsed.runId : undefined;
  } catch {
    return undefined;
  }
}

function depsFromEnv(): FinalizerDeps {
  const config = readConfig(BaseConfigSchema);
  const client = createDocumentClient(config.DYNAMODB_ENDPOINT ? { endpoint: config.DYNAMODB_ENDPOINT } : {});
  return { store: createStore({ client, tableName: config.TABLE_NAME }), logger: createLogger('braid-finalizer') };
}

/** The Lambda entry. */
export const handler = lazyHandler(() => createHandler(depsFromEnv()));

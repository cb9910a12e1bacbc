/**
 * The finalizer function, fed by EventBridge "Step Functions Execution Status Change" events: reconciles a run
 * whose execution ended without `finalize` (ABORTED → cancelled, TIMED_OUT → timed_out, FAILED → failed) and
 * closes its open nodes and gates. On the scheduled event (every 15 minutes) it sweeps the active-runs index for
 * runs whose status event never came, or whose start never reached Step Functions.
 * `createHandler(deps)` is the seam for the local orchestrator and tests.
 */
import * as z from 'zod';
import type { Logger } from '@aws-lambda-powertools/logger';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SfnOrchestrator } from '../../shared/adapters/sfn-orchestrator';
import type { Orchestrator } from '../../shared/ports/orchestrator';
import { createRunStores } from '../../shared/services/execution-context';
import { metricSinkFromEnv } from '../../shared/observability/sink-from-env';
import type { MetricSink } from '../../shared/observability/metrics';
import { createReconciler, type ReconcileOutcome, type SweepOptions, type SweepSummary } from '../../shared/services/execution-reconcile';
import type { Store } from '../../shared/store/store';
import { BaseConfigSchema, createLogger, lazyHandler, readConfig, storeFromConfig } from '../runtime';

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

/** The part of an EventBridge scheduled event the finalizer reads (the `Reconcile` rule). */
export const ScheduledEventSchema = z.object({
  'detail-type': z.literal('Scheduled Event'),
  source: z.literal('aws.events'),
  time: z.string().optional(),
});

/** What the finalizer is built from. */
export interface FinalizerDeps {
  store: Store;
  logger: Logger;
  /** Where run, node and gate metrics go. @default none */
  metrics?: MetricSink;
  /** Describes executions for the scheduled sweep. @default none: the scheduled event is ignored (logged) */
  orchestrator?: Pick<Orchestrator, 'describe'>;
  /** Limits of the scheduled sweep. @default 15 minutes, 200 runs, 8 at a time */
  sweep?: Omit<SweepOptions, 'onCheckFailed'>;
  /** @default () => new Date() */
  clock?: () => Date;
}

/** What one finalizer invocation did. */
export type FinalizerResult = { outcome: ReconcileOutcome } | { outcome: 'swept'; summary: SweepSummary };

/** Builds the finalizer handler. */
export function createHandler(deps: FinalizerDeps): (event: unknown, context?: unknown) => Promise<FinalizerResult> {
  const reconciler = createReconciler(createRunStores(deps.store, deps.clock, deps.metrics), deps.orchestrator);
  return async (raw) => {
    if (ScheduledEventSchema.safeParse(raw).success) {
      if (!deps.orchestrator) {
        deps.logger.warn('ignored event', { reason: 'no orchestrator to describe executions' });
        return { outcome: 'ignored' };
      }
      const summary = await reconciler.sweep(deps.clock?.() ?? new Date(), {
        ...deps.sweep,
        onCheckFailed: (runId, error) => deps.logger.error('run check failed', { runId, error: error as Error }),
      });
      deps.logger.info('active runs swept', { ...summary });
      // Runs only the sweep caught: a lost status event or a start that never reached Step Functions (alarmed).
      deps.metrics?.put([{ name: 'SweepFinds', value: summary.finished }]);
      return { outcome: 'swept', summary };
    }
    const parsed = ExecutionStatusChangeSchema.safeParse(raw);
    if (!parsed.success) {
      deps.logger.warn('ignored event', { reason: 'not an execution status change or a scheduled event' });
      return { outcome: 'ignored' };
    }
    const { detail } = parsed.data;
    const runId = runIdOf(detail.input) ?? detail.name;
    const outcome = await reconciler.reconcile({
      runId, status: detail.status,
      ...(detail.error ? { error: detail.error } : {}), ...(detail.cause ? { cause: detail.cause } : {}),
    });
    deps.logger.info('execution reconciled', { runId, executionArn: detail.executionArn, status: detail.status, outcome });
    if (outcome === 'finished') deps.metrics?.put([{ name: 'RunsReconciled', value: 1 }]);
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
  // The finalizer only describes executions: `register`'s role and prefix are never read here.
  const orchestrator = new SfnOrchestrator({ client: new SFNClient({}) });
  return { store: storeFromConfig(config), logger: createLogger('braid-finalizer'), metrics: metricSinkFromEnv(), orchestrator };
}

/** The Lambda entry. */
export const handler = lazyHandler(() => createHandler(depsFromEnv()));

/**
 * The finalizer function, fed by EventBridge "Step Functions Execution Status Change" events: reconciles a run
 * whose execution ended without `finalize` (ABORTED → cancelled, TIMED_OUT → timed_out, FAILED → failed) and
 * closes its open nodes and gates. On the scheduled event (every 15 minutes) it sweeps the active-runs index for
 * runs whose status event never came, or whose start never reached Step Functions.
 * `createHandler(deps)` is the seam for the local orchestrator and tests.
 */
import { createMachineCleanup } from '../../shared/services/machine-cleanup';
import * as z from 'zod';
import type { Logger } from '@aws-lambda-powertools/logger';
import { registrarFromConfig, RegistrarConfigSchema } from '../runtime/registrar';
import type { Orchestrator } from '../../shared/ports/orchestrator';
import { createRunStores, type GovernancePorts } from '../../shared/services/execution-context';
import { portsFromEnv } from '../http/governance-ports';
import { createPlanLearner, type PlanLearner } from '../../shared/services/plan-learning';
import { createDurationStatsRepository } from '../../shared/store/duration-stats';
import { NodeRunRepository } from '../../shared/store/node-runs';
import { createVersionPlanRepository } from '../../shared/store/version-plans';
import { metricSinkFromEnv } from '../../shared/observability/sink-from-env';
import type { MetricSink } from '../../shared/observability/metrics';
import { createCallSettler } from '../../shared/services/call-settle';
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
  /**
   * Describes executions for the scheduled sweep (without it the scheduled event is ignored, logged); with
   * `sendTaskSuccess`, `sendTaskFailure` and `stop` it also settles workflow calls: a child's end completes its
   * parent's token, a parent's end cancels its children (`shared/services/call-settle.ts`). @default none
   */
  orchestrator?: Pick<Orchestrator, 'describe' | 'deleteMachine'> & Partial<Pick<Orchestrator, 'sendTaskSuccess' | 'sendTaskFailure' | 'stop'>>;
  /** Limits of the scheduled sweep. @default 15 minutes, 200 runs, 8 at a time */
  sweep?: Omit<SweepOptions, 'onCheckFailed'>;
  /** @default () => new Date() */
  clock?: () => Date;
  /** Notifications and gate timers. @default none */
  ports?: GovernancePorts;
  /** Learns node durations from succeeded runs and re-plans their versions (`shared/services/plan-learning.ts`). @default none */
  learner?: PlanLearner;
}

/** What one finalizer invocation did. */
export type FinalizerResult = { outcome: ReconcileOutcome } | { outcome: 'swept'; summary: SweepSummary };

/** Builds the finalizer handler. */
export function createHandler(deps: FinalizerDeps): (event: unknown, context?: unknown) => Promise<FinalizerResult> {
  const stores = createRunStores(deps.store, deps.clock, deps.metrics, deps.ports);
  const o = deps.orchestrator;
  const settler = o?.sendTaskSuccess && o.sendTaskFailure && o.stop
    ? createCallSettler(stores, { sendTaskSuccess: o.sendTaskSuccess.bind(o), sendTaskFailure: o.sendTaskFailure.bind(o), stop: o.stop.bind(o) })
    : undefined;
  const reconciler = createReconciler(stores, deps.orchestrator, settler ? (runId) => settler.settle(runId) : undefined);
  const cleanup = deps.orchestrator?.deleteMachine ? createMachineCleanup({ store: deps.store, orchestrator: deps.orchestrator, clock: deps.clock }) : undefined;
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
    if (detail.status === 'SUCCEEDED' && deps.learner) {
      // Learning is an optimisation: its failure is logged, never a reason to redeliver the status change.
      try {
        const learned = await deps.learner.learn(runId);
        if (learned !== 'ignored') deps.logger.info('durations learned', { runId, learned });
      } catch (error) {
        deps.logger.error('learning durations failed', { runId, error: error as Error });
      }
    }
    // The last run of a deleted workflow has ended: its state machine can go (no-op while runs remain).
    if (cleanup) {
      const run = await deps.store.runs.get(runId);
      if (run) await cleanup.deleteIfUnused(run.workflowId).catch((error: unknown) => deps.logger.warn('machine cleanup failed', { workflowId: run.workflowId, error: error as Error }));
    }
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

/** Environment of the finalizer: re-planning registers state machine versions like the compile function. */
export const FinalizerConfigSchema = RegistrarConfigSchema;

function depsFromEnv(): FinalizerDeps {
  const config = readConfig(FinalizerConfigSchema);
  const store = storeFromConfig(config);
  const orchestrator = registrarFromConfig(config);
  return {
    store, logger: createLogger('braid-finalizer'), metrics: metricSinkFromEnv(), orchestrator,
    learner: planLearnerOnStore(store, { orchestrator, executorArn: config.EXECUTOR_ARN }), ports: portsFromEnv(),
  };
}

/** The plan learner on a store (the finalizer's, locally and on AWS). */
export function planLearnerOnStore(store: Store, replan?: { orchestrator: Pick<Orchestrator, 'register'>; executorArn: string }): PlanLearner {
  return createPlanLearner({
    store,
    nodeRuns: new NodeRunRepository(store.table),
    stats: createDurationStatsRepository(store.table),
    plans: createVersionPlanRepository(store.table),
    ...(replan ?? {}),
  });
}

/** The Lambda entry. */
export const handler = lazyHandler(() => createHandler(depsFromEnv()));

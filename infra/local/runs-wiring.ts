/**
 * Seam for runs in the local stack: the orchestrator (aws-local-stepfunctions adapter), the executor wiring,
 * and the gate function. The api function builds its run routes itself from the orchestrator it is given.
 */
import { randomUUID } from 'node:crypto';
import type { RouteHandlers } from '../../functions/http/app';
import type { RouteOwner } from '../../functions/http/routes';
import { createHandler as createExecutorHandler } from '../../functions/executor/handler';
import { createHandler as createFinalizerHandler, planLearnerOnStore } from '../../functions/finalizer/handler';
import { createHandler as createGateHandler } from '../../functions/gate/handler';
import { createLogger, type LogLevel } from '../../functions/http/logger';
import type { MetricSink } from '../../shared/observability/metrics';
import { LocalOrchestrator } from './local-orchestrator';
import { resumeLostRuns } from './resume-runs';
import { createRunStores } from '../../shared/services/execution-context';
import type { Orchestrator } from '../../shared/ports/orchestrator';
import type { Store } from '../../shared/store/store';
import type { GovernancePorts } from '../../shared/services/execution-context';
import type { ExecutorDeps } from '../../shared/executors';
import type { LocalHttpHandler } from './http-server';

/** What the stack gives the runs wiring. */
export interface RunsWiringContext {
  store: Store;
  /** An orchestrator passed to `createLocalStack` (tests); the wiring uses it instead of its own. */
  orchestrator?: Orchestrator;
  /** ARN the compiler writes into Task states; the local orchestrator maps it to the executor handler. */
  executorArn: string;
  clock?: () => Date;
  /** Where the local orchestrator keeps registered definitions. @default in memory */
  dataDir?: string;
  /** Log level of the run functions. @default POWERTOOLS_LOG_LEVEL, else INFO */
  logLevel?: LogLevel;
  /** Notifications and gate timers. */
  ports?: GovernancePorts;
  /** The executor's clients: the egress guard and the secrets reader of the stack. */
  executors?: ExecutorDeps;
  /** How long a quick node's start waits to be logged with its end (ms; 0: at once). @default the executor's */
  startEventDeferMs?: number;
  /** Milliseconds before each retry, by state name (tests). @default the ASL's intervals */
  retryIntervalOverrides?: Record<string, number | number[]>;
  /** Where run, node and gate metrics go. @default none */
  metrics?: MetricSink;
  /** Wraps the executor handler as the local orchestrator calls it (tests). @default none */
  wrapExecutor?: ExecutorWrapper;
  /**
   * Every how many ms the finalizer's scheduled sweep runs (the CDK stack's rule: every 15 minutes); 0: never.
   * Only with the local orchestrator. @default 900000
   */
  sweepIntervalMs?: number;
  /** The local orchestrator's retries of a finalizer that threw. @default 4 retries from 1 s */
  finalizerRetry?: { retries?: number; firstDelayMs?: number };
}

/** The scheduled event of the CDK stack's sweep rule, as EventBridge delivers it. */
function scheduledEvent(now: Date): object {
  return { version: '0', id: randomUUID(), 'detail-type': 'Scheduled Event', source: 'aws.events', account: '000000000000', time: now.toISOString(), region: 'local', resources: [], detail: {} };
}

/** The executor handler as the local orchestrator calls it. */
export type LocalExecutor = (event: unknown) => Promise<unknown>;
/** A test seam around the executor: deliver an event twice, fail an invocation while it runs on, … */
export type ExecutorWrapper = (executor: LocalExecutor) => LocalExecutor;

/** What the runs wiring adds to the stack. */
export interface RunsWiring {
  orchestrator: Orchestrator;
  /** Run route handlers of the api function (startRun, listRuns, getRun, …). */
  apiRoutes?: RouteHandlers;
  /** Other functions' handlers (the gate function). */
  functions?: Partial<Record<RouteOwner, LocalHttpHandler>>;
  close?(): Promise<void>;
}

/** Builds the runs side of the local stack: the local orchestrator on the executor's and finalizer's real handlers, and the gate function. */
export async function wireRuns(ctx: RunsWiringContext): Promise<RunsWiring> {
  const logger = createLogger('braid-runs', ctx.logLevel);
  const metrics = ctx.metrics ? { metrics: ctx.metrics } : {};
  const handler = createExecutorHandler({
    store: ctx.store, logger, clock: ctx.clock, ports: ctx.ports, ...metrics, ...(ctx.executors ? { executors: ctx.executors } : {}),
    ...(ctx.startEventDeferMs !== undefined ? { startEventDeferMs: ctx.startEventDeferMs } : {}),
    // Budget checks complete their tokens through the orchestrator built below; workflow calls start and stop child runs.
    orchestrator: {
      sendTaskSuccess: (input) => orchestrator.sendTaskSuccess(input), sendTaskFailure: (input) => orchestrator.sendTaskFailure(input),
      start: (input) => orchestrator.start(input), stop: (input) => orchestrator.stop(input),
    },
  });
  const executor: LocalExecutor = ctx.wrapExecutor ? ctx.wrapExecutor((event) => handler(event)) : (event) => handler(event);
  // The finalizer describes executions (scheduled sweep) through the orchestrator built below.
  // It also learns node durations from succeeded runs and re-plans their versions (registering on the same orchestrator).
  const finalizer = createFinalizerHandler({
    store: ctx.store, logger, clock: ctx.clock, ports: ctx.ports, ...metrics,
    orchestrator: {
      describe: (input) => orchestrator.describe(input), deleteMachine: async (input: { stateMachineArn: string }) => orchestrator.deleteMachine?.(input),
      // Workflow calls: a child's end completes its parent's token; a parent's end stops its children.
      sendTaskSuccess: (input) => orchestrator.sendTaskSuccess(input), sendTaskFailure: (input) => orchestrator.sendTaskFailure(input), stop: (input) => orchestrator.stop(input),
    },
    learner: planLearnerOnStore(ctx.store, { orchestrator: { register: (input) => orchestrator.register(input) }, executorArn: ctx.executorArn }),
  });
  const local = ctx.orchestrator ? undefined : new LocalOrchestrator({
    executor: (event) => executor(event),
    finalizer: (event) => finalizer(event),
    ...(ctx.dataDir ? { dataDir: ctx.dataDir } : {}),
    ...(ctx.retryIntervalOverrides ? { retryIntervalOverrides: ctx.retryIntervalOverrides } : {}),
    ...(ctx.finalizerRetry ? { finalizerRetry: ctx.finalizerRetry } : {}),
    onFinalizerError: (error) => logger.error('finalizer failed', { error: error as Error }),
  });
  const orchestrator = ctx.orchestrator ?? local!;
  const gate = createGateHandler({ store: ctx.store, orchestrator, logger: createLogger('braid-gate', ctx.logLevel), clock: ctx.clock, ports: ctx.ports, ...metrics });
  if (local) {
    // Runs whose execution the previous process held (a restart of `npm run dev`) continue here, before any route
    // can take a decision that nothing would act on.
    const resumed = await resumeLostRuns(createRunStores(ctx.store, ctx.clock), local, ctx.clock?.() ?? new Date());
    if (resumed.resumed.length > 0) logger.info('runs resumed after a restart', { runs: resumed.resumed });
    for (const { runId, error } of resumed.failed) logger.error('run not resumed', { runId, error: error as Error });
  }
  // The sweep closes a run whose status event the finalizer failed on after every retry, as on AWS.
  const sweepEvery = ctx.sweepIntervalMs ?? 15 * 60_000;
  let sweeping: Promise<unknown> | undefined;
  const sweeps = local && sweepEvery > 0
    ? setInterval(() => {
      if (sweeping) return;
      sweeping = finalizer(scheduledEvent(ctx.clock?.() ?? new Date()))
        .catch((error: unknown) => logger.error('sweep failed', { error: error as Error }))
        .finally(() => { sweeping = undefined; });
    }, sweepEvery)
    : undefined;
  sweeps?.unref();
  return {
    orchestrator,
    functions: { gate },
    ...(local ? {
      close: async () => {
        clearInterval(sweeps);
        local.close();
        await sweeping;
      },
    } : {}),
  };
}

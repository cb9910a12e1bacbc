/**
 * The executor function, invoked by Step Functions (`lambda:invoke`): `execute` a node, open a `gate`, or
 * `finalize` a run (ARCHITECTURE.md, "Executor event"). It returns `{ route }`; a failure is thrown as an
 * `Error` whose `name` is the ASL error name, which Lambda reports as `errorType`.
 * `createHandler(deps)` is the seam for the local orchestrator and tests; `handler` is the Lambda entry.
 */
import * as z from 'zod';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SfnOrchestrator } from '../../shared/adapters/sfn-orchestrator';
import type { Orchestrator } from '../../shared/ports/orchestrator';
import type { Logger } from '@aws-lambda-powertools/logger';
import { ERROR_NAMES } from '../../shared/contract/error-names';
import { attemptNumber, TaskPayloadSchema, type TaskPayload } from '../../shared/contract/task-payload';
import { BraidError } from '../../shared/errors';
import type { ExecutorDeps } from '../../shared/executors';
import { createRunStores, type GovernancePorts, type RunStores } from '../../shared/services/execution-context';
import { createPermissionService } from '../../shared/services/permissions';
import { createRunService } from '../../shared/services/run-service';
import { createCallSettler } from '../../shared/services/call-settle';
import type { WorkflowCallDeps } from '../../shared/services/workflow-call';
import { portsFromEnv } from '../http/governance-ports';
import { metricSinkFromEnv } from '../../shared/observability/sink-from-env';
import type { MetricSink } from '../../shared/observability/metrics';
import { createExecutionService, type ExecutionService, type TaskResult } from '../../shared/services/execution';
import type { Store } from '../../shared/store/store';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createEgressGuard } from '../../shared/egress/guard';
import { createAwsVault } from '../../shared/secrets/aws-vault';
import { cachedReader } from '../../shared/secrets/vault';
import { BaseConfigSchema, createLogger, lazyHandler, readConfig, storeFromConfig } from '../runtime';

/** How long the executor keeps a secret value it read from Secrets Manager (a change is seen within this). */
const SECRET_CACHE_MS = 30_000;

/** The executor's configuration: the table, the egress allowlist, the secrets prefix and the Lambda tool policy. */
const ExecutorConfigSchema = BaseConfigSchema.extend({
  /** `BRAID_START_EVENT_DEFER_MS`: how long a quick node's start waits to be logged with its end (0 to 5,000 ms). */
  BRAID_START_EVENT_DEFER_MS: z.coerce.number().int().min(0).max(5_000).optional(),
  /** `BRAID_EGRESS_ALLOW`: hosts, host:port, CIDRs the guard lets through (comma-separated). */
  BRAID_EGRESS_ALLOW: z.string().max(4_096).optional(),
  /** Secrets Manager prefix of user secrets, ending in `/` (`braid/<stack>/u/`). */
  VAULT_PREFIX: z.string().regex(/^[A-Za-z0-9/_+=.@-]+\/$/),
  /** `braid:toolFunctionPattern`: function names `lambda` tools may invoke. */
  TOOL_FUNCTION_PATTERN: z.string().min(1).optional(),
  /** Optional per-owner allowlist of Lambda tool ARNs, as JSON `{ "<ownerId>": ["arn…", "arn…prefix*"] }`. */
  LAMBDA_TOOL_OWNERS: z.string().optional().transform((text, ctx) => {
    if (text === undefined || text === '') return undefined;
    const parsed = z.record(z.string(), z.array(z.string().startsWith('arn:'))).safeParse((() => {
      try { return JSON.parse(text) as unknown; } catch { return undefined; }
    })());
    if (!parsed.success) {
      ctx.addIssue({ code: 'custom', message: 'must be JSON { "<ownerId>": ["<function ARN or prefix*>", ...] }' });
      return z.NEVER;
    }
    return parsed.data;
  }),
});

/** The executor received an event it does not understand (not retried). */
export class InvalidExecutorEventError extends BraidError {
  constructor(options?: { cause?: unknown }) {
    super('invalid_executor_event', 'the executor event is malformed', options);
    this.name = ERROR_NAMES.invalidEvent;
  }
}

/** What the executor function is built from. */
export interface ExecutorFunctionDeps {
  store: Store;
  logger: Logger;
  /** Where run, node and gate metrics go. @default none */
  metrics?: MetricSink;
  /** Clients the node executors use. */
  executors?: ExecutorDeps;
  /** @default () => new Date() */
  clock?: () => Date;
  /** Notifications and gate timers. @default none */
  ports?: GovernancePorts;
  /**
   * Completes the token tasks the executor answers itself (budget checks, a rerun's or redrive's reused gates)
   * and, with `start` and `stop`, starts the child runs of `workflow_call` nodes (without them, a workflow_call fails).
   */
  orchestrator?: Pick<Orchestrator, 'sendTaskSuccess' | 'sendTaskFailure'> & Partial<Pick<Orchestrator, 'start' | 'stop'>>;
  /**
   * How long a quick node's `node.started` waits to be appended together with its end (ms; 0: always at once).
   * @default START_EVENT_DEFER_MS (200)
   */
  startEventDeferMs?: number;
}

/** The executor handler: any event in, `{ route }` out. */
export type ExecutorHandler = (event: unknown, context?: unknown) => Promise<TaskResult>;

/** Builds the executor handler from its dependencies. */
export function createHandler(deps: ExecutorFunctionDeps): ExecutorHandler {
  const stores = createRunStores(deps.store, deps.clock, deps.metrics, deps.ports);
  const timing = deps.startEventDeferMs !== undefined ? { startEventDeferMs: deps.startEventDeferMs } : {};
  const service = createExecutionService(stores, deps.executors ?? {}, deps.orchestrator ? { orchestrator: deps.orchestrator, ...callDeps(stores, deps), ...timing } : timing);
  return async (raw) => {
    const parsed = TaskPayloadSchema.safeParse(raw);
    if (!parsed.success) throw new InvalidExecutorEventError({ cause: parsed.error });
    const event = parsed.data;
    // Never log the event itself: a gate event carries the task token.
    const keys = {
      action: event.action, runId: event.runId,
      ...('nodeId' in event ? { nodeId: event.nodeId } : {}), ...('attempt' in event ? { attempt: event.attempt } : {}), ...('item' in event ? { item: event.item } : {}),
    };
    // Every line logged during this task carries the run, node, attempt and item (removed again: the logger outlives it).
    deps.logger.appendKeys(keys);
    try {
      const result = await dispatch(service, event);
      deps.logger.info('task done', { ...keys, route: result.route });
      return result;
    } catch (error) {
      deps.logger.warn('task failed', { ...keys, errorName: error instanceof Error ? error.name : 'unknown', errorMessage: error instanceof Error ? error.message : String(error) });
      throw error;
    } finally {
      deps.logger.removeKeys(Object.keys(keys));
    }
  };
}

/** What a `workflow_call` needs: the run service (to start child runs), permissions, and the call settler. */
function callDeps(stores: RunStores, deps: ExecutorFunctionDeps): { calls?: WorkflowCallDeps } {
  const orchestrator = deps.orchestrator;
  if (!orchestrator?.start || !orchestrator.stop) return {};
  const full = orchestrator as Orchestrator;
  const permissions = createPermissionService({ store: deps.store, ...(deps.clock ? { clock: deps.clock } : {}) });
  // Child runs are started like any run (the run service's `startChild`); the executor never redrives or deletes.
  const runs = createRunService({ ...stores, permissions, orchestrator: full });
  return { calls: { runs, permissions, orchestrator, settler: createCallSettler(stores, full) } };
}

function dispatch(service: ExecutionService, event: TaskPayload): Promise<TaskResult> {
  switch (event.action) {
    // Attempts are numbered across redrives (`attemptNumber`): Step Functions resets the retry count on a redrive.
    // An agent's later turns (after a reply) are numbered above its earlier ones: Step Functions resets the retry
    // count each time `X:continue` is entered again.
    case 'execute': return service.execute(event.runId, event.nodeId, attemptNumber(event.drive ?? 0, event.attempt, event.turn ?? 0), event.item);
    case 'reply-wait': return service.replyWait(event.runId, event.nodeId, event.drive ?? 0, event.item);
    case 'reply': return service.reply(event.runId, event.nodeId, event.taskToken, event.item);
    case 'gate': return service.gate(event.runId, event.nodeId, attemptNumber(event.drive ?? 0, event.attempt), event.taskToken, event.item);
    case 'workflow_call': return service.workflowCall(event.runId, event.nodeId, attemptNumber(event.drive ?? 0, event.attempt), event.taskToken, event.item);
    case 'map-items': return service.mapItems(event.runId, event.nodeId, attemptNumber(event.drive ?? 0, event.attempt), event.item);
    case 'map-item': return service.mapItem(event.runId, event.nodeId, event.item, event.error);
    case 'map-collect': return service.mapCollect(event.runId, event.nodeId, event.item);
    case 'budget': return service.budget(event.runId, event.nodeId, event.taskToken);
    case 'finalize': return service.finalize(event.runId, event.error);
  }
}

function depsFromEnv(): ExecutorFunctionDeps {
  const config = readConfig(ExecutorConfigSchema);
  const vault = createAwsVault({ client: new SecretsManagerClient({}), prefix: config.VAULT_PREFIX });
  return {
    store: storeFromConfig(config),
    logger: createLogger('braid-executor'),
    metrics: metricSinkFromEnv(),
    executors: {
      lambda: new LambdaClient({}),
      egress: createEgressGuard({ allow: config.BRAID_EGRESS_ALLOW }),
      secrets: cachedReader(vault, SECRET_CACHE_MS),
      lambdaTools: {
        ...(config.TOOL_FUNCTION_PATTERN ? { functionPattern: config.TOOL_FUNCTION_PATTERN } : {}),
        ...(config.LAMBDA_TOOL_OWNERS ? { ownerAllow: config.LAMBDA_TOOL_OWNERS } : {}),
      },
    },
    ports: portsFromEnv(),
    // Budget checks and reused (rerun/redrive) gates send their own task results from here; workflow_call
    // nodes start their child runs (StartExecution) and stop a child whose parent ended meanwhile.
    orchestrator: new SfnOrchestrator({ client: new SFNClient({}) }),
    ...(config.BRAID_START_EVENT_DEFER_MS !== undefined ? { startEventDeferMs: config.BRAID_START_EVENT_DEFER_MS } : {}),
  };
}

/** The Lambda entry. */
export const handler = lazyHandler(() => createHandler(depsFromEnv()));

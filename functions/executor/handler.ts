/**
 * The executor function, invoked by Step Functions (`lambda:invoke`): `execute` a node, open a `gate`, or
 * `finalize` a run (ARCHITECTURE.md, "Executor event"). It returns `{ route }`; a failure is thrown as an
 * `Error` whose `name` is the ASL error name, which Lambda reports as `errorType`.
 * `createHandler(deps)` is the seam for the local orchestrator and tests; `handler` is the Lambda entry.
 */
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SfnOrchestrator } from '../../shared/adapters/sfn-orchestrator';
import type { Orchestrator } from '../../shared/ports/orchestrator';
import type { Logger } from '@aws-lambda-powertools/logger';
import { ERROR_NAMES } from '../../shared/contract/error-names';
import { TaskPayloadSchema } from '../../shared/contract/task-payload';
import { BraidError } from '../../shared/errors';
import type { ExecutorDeps } from '../../shared/executors';
import { createRunStores } from '../../shared/services/execution-context';
import { createExecutionService, type TaskResult } from '../../shared/services/execution';
import { createStore, type Store } from '../../shared/store/store';
import { createDocumentClient } from '../../shared/store/table';
import { BaseConfigSchema, readConfig } from '../http/config';
import { lazyHandler } from '../http/lazy-handler';
import { createLogger } from '../http/logger';

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
  /** Clients the node executors use. */
  executors?: ExecutorDeps;
  /** @default () => new Date() */
  clock?: () => Date;
  /** Completes the token tasks the executor answers itself (a rerun's reused gates). */
  orchestrator?: Pick<Orchestrator, 'sendTaskSuccess' | 'sendTaskFailure'>;
}

/** The executor handler: any event in, `{ route }` out. */
export type ExecutorHandler = (event: unknown, context?: unknown) => Promise<TaskResult>;

/** Builds the executor handler from its dependencies. */
export function createHandler(deps: ExecutorFunctionDeps): ExecutorHandler {
  const service = createExecutionService(createRunStores(deps.store, deps.clock), deps.executors ?? {}, deps.orchestrator ? { orchestrator: deps.orchestrator } : {});
  return async (raw) => {
    const parsed = TaskPayloadSchema.safeParse(raw);
    if (!parsed.success) throw new InvalidExecutorEventError({ cause: parsed.error });
    const event = parsed.data;
    // Never log the event itself: a gate event carries the task token.
    const keys = { action: event.action, runId: event.runId, ...('nodeId' in event ? { nodeId: event.nodeId, attempt: event.attempt } : {}) };
    try {
      const result = event.action === 'execute'
        ? await service.execute(event.runId, event.nodeId, event.attempt)
        : event.action === 'gate'
          ? await service.gate(event.runId, event.nodeId, event.attempt, event.taskToken)
          : await service.finalize(event.runId, event.error);
      deps.logger.info('task done', { ...keys, route: result.route });
      return result;
    } catch (error) {
      deps.logger.warn('task failed', { ...keys, errorName: error instanceof Error ? error.name : 'unknown', errorMessage: error instanceof Error ? error.message : String(error) });
      throw error;
    }
  };
}

function depsFromEnv(): ExecutorFunctionDeps {
  const config = readConfig(BaseConfigSchema);
  const client = createDocumentClient(config.DYNAMODB_ENDPOINT ? { endpoint: config.DYNAMODB_ENDPOINT } : {});
  return { store: createStore({ client, tableName: config.TABLE_NAME }), logger: createLogger('braid-executor'), executors: { lambda: new LambdaClient({}) },
    orchestrator: new SfnOrchestrator({ client: new SFNClient({}) }) };
}

/** The Lambda entry. */
export const handler = lazyHandler(() => createHandler(depsFromEnv()));

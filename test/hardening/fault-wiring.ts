/**
 * The local runtime wired for fault injection: dynalite with a fault injector on its client, the real
 * executor and finalizer handlers on the local orchestrator (retry intervals shortened), a faulty orchestrator
 * wrapper, the real run/gate services, and the live service posting through a faulty recording poster, fed by
 * the stream emulation. Reads for assertions go through a second, fault-free client.
 */
import { randomUUID } from 'node:crypto';
import { createHandler as createExecutorHandler } from '../../functions/executor/handler';
import { createHandler as createFinalizerHandler } from '../../functions/finalizer/handler';
import { createWsFanoutHandler } from '../../functions/ws-fanout/handler';
import { createLogger } from '../../functions/http/logger';
import { LOCAL_AWS, startDynamo, type LocalDynamo } from '../../infra/local/dynamo';
import { LocalOrchestrator } from '../../infra/local/local-orchestrator';
import { attachStreamEmulation, type StreamEmulation } from '../../infra/local/ws-stream';
import { compileWorkflow } from '../../shared/compiler/compile';
import type { WorkflowDefinition } from '../../shared/definition/schema';
import { createLiveServiceOnTable } from '../../shared/live/runtime';
import type { LiveService } from '../../shared/live/live-service';
import { createRunStores, type RunStores } from '../../shared/services/execution-context';
import { createGateService, type GateService } from '../../shared/services/gate-service';
import { createPermissionService } from '../../shared/services/permissions';
import { createRunService, type RunService } from '../../shared/services/run-service';
import { createStore } from '../../shared/store/store';
import { createDocumentClient } from '../../shared/store/table';
import { injectDynamoFaults, seededRandom, type FaultInjector, type FaultRates } from '../support/fault-dynamo';
import { withOrchestratorFaults } from '../support/fault-orchestrator';
import { createRecordingPoster, withPosterFaults, type RecordingPoster } from '../support/fault-poster';
import { testExecutorDeps } from '../support/egress';

const EXECUTOR_ARN = 'arn:aws:lambda:local:000000000000:function:braid-executor';

/** Rates of every injector. */
export interface FaultProfile {
  store: FaultRates;
  orchestrator: { before: number; after: number };
  poster: { before: number; after: number };
  seed: number;
}

/** The wired runtime. */
export interface FaultyRuntime {
  table: LocalDynamo;
  /** Fault-free repositories for assertions. */
  clean: RunStores;
  faults: { store: FaultInjector; orchestrator: { counts: object; enabled: boolean }; poster: { counts: object; enabled: boolean } };
  runs: RunService;
  gates: GateService;
  live: LiveService;
  received: RecordingPoster['received'];
  stream: StreamEmulation;
  local: LocalOrchestrator;
  droppedBatches: number;
  /** Runs the scheduled sweep closed (their status event was not reconciled within its retries). */
  sweptRuns: number;
  /** Registers a workflow owned by `owner` (fault-free) and returns its id. */
  publish(owner: string, definition: WorkflowDefinition): Promise<string>;
  /** Turns every injector on or off. */
  setFaults(on: boolean): void;
  /**
   * Starts the finalizer's scheduled sweep every `everyMs` (AWS: every 15 minutes, over runs active for 15; time
   * is compressed here as the retry intervals are). It is what closes a run whose status event the finalizer
   * failed to reconcile within its retries. Call it once every run has started (a sweep of a run whose start is
   * in flight would find no execution); returns the function that stops it.
   */
  startSweeps(everyMs: number): () => Promise<void>;
  close(): Promise<void>;
}

/** Wires the runtime. */
export async function startFaultyRuntime(profile: FaultProfile, retryStates: string[]): Promise<FaultyRuntime> {
  const table = await startDynamo({ tableName: `h7-faults-${randomUUID().slice(0, 8)}` });
  const random = seededRandom(profile.seed);
  const storeFaults = injectDynamoFaults(table.client, profile.store, random);
  storeFaults.enabled = false;
  const recording = createRecordingPoster();
  const poster = withPosterFaults(recording, profile.poster, random);
  const live = createLiveServiceOnTable(table, poster);
  let dropped = 0;
  let swept = 0;
  const stream = attachStreamEmulation(table.client, createWsFanoutHandler(live), { tableName: table.tableName, onDropped: () => { dropped += 1; } });
  const store = createStore(table);
  const logger = createLogger('h7-faults', 'SILENT');
  const executor = createExecutorHandler({ store, logger, executors: testExecutorDeps() });
  // The finalizer describes executions for its scheduled sweep through the faulty orchestrator built below.
  const finalizer = createFinalizerHandler({ store, logger, orchestrator: { describe: (input) => orchestrator.describe(input) }, sweep: { minAgeMs: 0 } });
  const local = new LocalOrchestrator({
    executor: (event) => executor(event),
    // EventBridge retries a failed asynchronous invocation (twice by default): do the same. After that the event is
    // dropped (on AWS: to the dead-letter queue) and the scheduled sweep closes the run (`startSweeps`).
    finalizer: async (event) => {
      for (let attempt = 0; ; attempt += 1) {
        try {
          return await finalizer(event);
        } catch (error) {
          if (attempt >= 2) throw error;
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      }
    },
    retryIntervalOverrides: Object.fromEntries(retryStates.map((s) => [s, 5])),
    // The wrapper above is this harness's EventBridge: no more retries on top of it.
    finalizerRetry: { retries: 0 },
    onFinalizerError: () => undefined,
  });
  const orchestrator = withOrchestratorFaults(local, profile.orchestrator, random);
  orchestrator.enabled = false;
  poster.enabled = false;
  const stores = createRunStores(store);
  const permissions = createPermissionService({ store });
  const cleanClient = createDocumentClient({ endpoint: table.endpoint, ...LOCAL_AWS });
  const clean = createRunStores(createStore({ client: cleanClient, tableName: table.tableName }));
  return {
    table,
    clean,
    faults: { store: storeFaults, orchestrator, poster },
    runs: createRunService({ ...stores, permissions, orchestrator }),
    gates: createGateService({ ...stores, permissions, orchestrator }),
    live,
    received: recording.received,
    stream,
    local,
    get droppedBatches() { return dropped; },
    get sweptRuns() { return swept; },
    async publish(owner, definition) {
      const id = `wf-${randomUUID()}`;
      const at = new Date().toISOString();
      const { asl } = compileWorkflow(definition, { executorArn: EXECUTOR_ARN });
      const machine = await local.register({ workflowId: id, version: 1, definition: asl });
      await clean.store.workflows.create(
        { id, ownerId: owner, name: definition.name, visibility: 'private', isTemplate: false, latestVersion: 1, createdAt: at, updatedAt: at },
        { workflowId: id, version: 1, definition, warnings: [], createdAt: at, createdBy: owner, stateMachineArn: machine.stateMachineArn, stateMachineVersionArn: machine.versionArn },
      );
      return id;
    },
    startSweeps(everyMs) {
      let stopped = false;
      const loop = (async () => {
        while (!stopped) {
          // A sweep that fails under the faults is followed by the next one, as the schedule's is.
          const out = await finalizer({ 'detail-type': 'Scheduled Event', source: 'aws.events' }).catch(() => undefined);
          if (out?.outcome === 'swept') swept += out.summary.finished;
          await new Promise((resolve) => setTimeout(resolve, everyMs));
        }
      })();
      return async () => {
        stopped = true;
        await loop;
      };
    },
    setFaults(on) {
      storeFaults.enabled = on;
      orchestrator.enabled = on;
      poster.enabled = on;
    },
    async close() {
      storeFaults.enabled = false;
      local.close();
      await local.idle().catch(() => undefined);
      await stream.idle();
      cleanClient.destroy();
      await table.close();
    },
  };
}

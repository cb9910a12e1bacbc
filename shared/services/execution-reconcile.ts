/**
 * Reconciling a run from its execution's final status. Two paths, one code: the finalizer's EventBridge
 * "Step Functions Execution Status Change" event (`reconcile`), and its scheduled sweep of the active-runs index
 * (`sweep`), which catches what the best-effort events miss: it describes each execution of a run that has been
 * active for a while and reconciles the ended ones, and fails a run whose start never reached the orchestrator.
 * An execution that ended without `finalize` leaves a run that still says running; this closes it and its open
 * nodes and gates. A run already final is left alone except for closing anything still open.
 */
import { executionArnOf } from '../ports/orchestrator';
import type { ExecutionStatus, Orchestrator } from '../ports/orchestrator';
import type { ErrorInfo } from '../model/types';
import { NotFoundError } from '../errors';
import type { PageKey } from '../store/cursor';
import type { ActiveRun } from '../store/runs';
import { closeOutstanding, finishRun, recordRunEnd, totalCost } from './execution-close';
import { loadRun, type RunStores } from './execution-context';
import { isRunTerminal } from './run-status';
import { stateErrorInfo } from './state-error';
import { ERROR_NAMES, STATES_ERRORS } from '../contract/error-names';

/** What the finalizer learns from the event's `detail`. */
export interface ExecutionEnded {
  /** The run id (the execution's name). */
  runId: string;
  status: ExecutionStatus;
  error?: string;
  cause?: string;
}

/** What reconciliation did. */
export type ReconcileOutcome = 'ignored' | 'closed' | 'finished';

/** Limits of one sweep. */
export interface SweepOptions {
  /** Only runs active for longer than this are checked. @default 15 minutes */
  minAgeMs?: number;
  /** Runs checked per sweep (one finalizer invocation). @default 200 */
  maxRuns?: number;
  /** Executions described at once. @default 8 */
  concurrency?: number;
  /** Told about a run whose check threw; the sweep goes on with the others. @default none */
  onCheckFailed?: (runId: string, error: unknown) => void;
}

/** What one sweep did. */
export interface SweepSummary {
  /** Active runs read from the index. */
  checked: number;
  /** Runs this sweep moved to a final status. */
  finished: number;
  /** Runs whose execution is still running (left alone). */
  running: number;
  /** Runs whose check threw. */
  errors: number;
  /** True when the sweep reached the end of the index (the next one starts from the oldest run again). */
  complete: boolean;
}

/** The error of a run whose start never reached the orchestrator. */
export const START_LOST = ERROR_NAMES.startLost;
/** The error of a run whose recorded execution the orchestrator no longer knows (a local restart). */
export const EXECUTION_LOST = ERROR_NAMES.executionLost;

const DEFAULTS = { minAgeMs: 15 * 60_000, maxRuns: 200, concurrency: 8 } as const;
const PAGE_SIZE = 50;

/**
 * Builds the reconciler; `sweep` needs the orchestrator (to describe executions). `afterFinal` runs after every
 * reconciled end (also of a run already final): the workflow-call settler (`call-settle.ts`).
 */
export function createReconciler(stores: RunStores, orchestrator?: Pick<Orchestrator, 'describe'>, afterFinal?: (runId: string) => Promise<void>) {
  const { runs } = stores.store;

  /** Closes the run of an ended execution, then tells its parent and children. */
  async function reconcile(ended: ExecutionEnded): Promise<ReconcileOutcome> {
    const outcome = await close(ended);
    if (outcome !== 'ignored' && afterFinal) await afterFinal(ended.runId);
    return outcome;
  }

  /** Closes the run of an ended execution. */
  async function close(ended: ExecutionEnded): Promise<ReconcileOutcome> {
    if (ended.status === 'RUNNING') return 'ignored';
    let loaded;
    try {
      loaded = await loadRun(stores, ended.runId);
    } catch (error) {
      if (error instanceof NotFoundError) return 'ignored';
      throw error;
    }
    const error: ErrorInfo | undefined = ended.status === 'FAILED' || ended.status === 'TIMED_OUT'
      // A node that failed for good fails the execution itself (no catch-all: redrive reruns that node), so this
      // is the usual way a failed run is recorded; a Lambda error's cause is its JSON, read as `finalize` did.
      ? stateErrorInfo({ Error: ended.error ?? (ended.status === 'TIMED_OUT' ? STATES_ERRORS.timeout : ERROR_NAMES.runFailed), Cause: ended.cause ?? `the execution ${ended.status.toLowerCase()}` })
      : undefined;
    const alreadyFinal = isRunTerminal(loaded.run.status);
    // A node that failed for good recorded its failure before it failed the execution: nodes still active then
    // (other Parallel branches, which Step Functions stops) were cancelled by it. Otherwise the failure was never
    // recorded (a timeout, a crashed executor): the active nodes are the ones that failed.
    // A cancelled run's execution may still end FAILED (tasks still in flight, such as a map's items, find the run
    // final and fail): what was outstanding was cancelled, not failed.
    const cancelled = loaded.run.status === 'cancelled';
    const recorded = error !== undefined && ended.status === 'FAILED'
      && [...(await stores.nodeRuns.list(ended.runId)).values()].some((n) => n.status === 'failed' && n.error?.name === error.name);
    const nodeRuns = await closeOutstanding(stores, loaded, {
      pending: alreadyFinal && loaded.run.status === 'succeeded' ? 'skipped' : 'cancelled',
      active: error && !recorded && !cancelled ? 'failed' : 'cancelled',
      ...(error ? { error } : {}),
      // A gate's Task that timed out fails the execution with States.Timeout (no catch-all any more): the gate timed out.
      gate: ended.status === 'TIMED_OUT' || (!cancelled && error?.name === STATES_ERRORS.timeout) ? 'timed_out' : 'cancelled',
      succeeding: ended.status === 'SUCCEEDED',
    });
    if (alreadyFinal) {
      // The close that made it final may have failed before its event was appended (this is its retry).
      await recordRunEnd(stores, loaded.run);
      return 'closed';
    }
    const cost = totalCost(nodeRuns);
    let finished;
    if (ended.status === 'ABORTED') finished = await finishRun(stores, loaded.run, 'cancelled', { cost });
    else if (ended.status === 'TIMED_OUT') finished = await finishRun(stores, loaded.run, 'timed_out', { cost, ...(error ? { error } : {}) });
    else if (ended.status === 'FAILED') finished = await finishRun(stores, loaded.run, 'failed', { cost, ...(error ? { error } : {}) });
    else finished = await finishRun(stores, loaded.run, 'succeeded', { cost });
    // Another writer (finalize, cancel, a concurrent reconcile) made it final first.
    return finished ? 'finished' : 'closed';
  }

  /**
   * The execution a run without a recorded ARN would have: its name is the run id. The start may have reached
   * the orchestrator and the ARN's write been lost, so look before declaring the start lost.
   */
  async function derivedExecutionArn(active: ActiveRun): Promise<string | undefined> {
    const head = await stores.store.workflows.get(active.workflowId);
    const version = head ? await stores.store.workflows.getVersion(head, active.version) : undefined;
    return version?.stateMachineVersionArn ? executionArnOf(version.stateMachineVersionArn, active.runId) : undefined;
  }

  /** Checks one active run against its execution; `'running'` when the execution has not ended. */
  async function check(active: ActiveRun, describe: Pick<Orchestrator, 'describe'>['describe']): Promise<ReconcileOutcome | 'running'> {
    const executionArn = active.executionArn ?? (await derivedExecutionArn(active));
    const described = executionArn ? await describe({ executionArn }) : ({ status: 'NOT_FOUND' } as const);
    if (described.status === 'RUNNING') {
      if (!active.executionArn && executionArn) await runs.setExecutionArn(active.runId, executionArn);
      return 'running';
    }
    if (described.status === 'NOT_FOUND') {
      const lost = active.executionArn
        ? { error: EXECUTION_LOST, cause: `the orchestrator has no record of the run's execution ${active.executionArn}` }
        : { error: START_LOST, cause: `the run's execution never started: the start did not reach the orchestrator within ${Math.round(DEFAULTS.minAgeMs / 60_000)} minutes` };
      return reconcile({ runId: active.runId, status: 'FAILED', ...lost });
    }
    return reconcile({ runId: active.runId, ...described });
  }

  /**
   * One bounded sweep of the active-runs index, oldest first, resuming where the previous sweep stopped (so
   * long-running runs at the head of the index never starve the rest). Idempotent: every write is conditional.
   */
  async function sweep(now: Date, options: SweepOptions = {}): Promise<SweepSummary> {
    if (!orchestrator) throw new TypeError('the reconciler needs an orchestrator to sweep');
    const { minAgeMs, maxRuns, concurrency } = { ...DEFAULTS, ...options };
    const olderThan = new Date(now.getTime() - minAgeMs);
    let cursor: PageKey | undefined = await runs.getReconcileCursor();
    // A cursor at or past the age bound (a clock step back) is outside the query's range: start over.
    if (cursor && !((cursor.GSI2SK ?? '') < olderThan.toISOString())) cursor = undefined;
    const summary: SweepSummary = { checked: 0, finished: 0, running: 0, errors: 0, complete: false };
    while (summary.checked < maxRuns) {
      const page = await runs.listActive(olderThan, Math.min(PAGE_SIZE, maxRuns - summary.checked), cursor);
      await eachLimited(page.runs, concurrency, async (active) => {
        try {
          const outcome = await check(active, (input) => orchestrator.describe(input));
          if (outcome === 'running') summary.running += 1;
          else if (outcome === 'finished') summary.finished += 1;
        } catch (error) {
          summary.errors += 1;
          options.onCheckFailed?.(active.runId, error);
        }
      });
      summary.checked += page.runs.length;
      cursor = page.lastKey;
      if (!cursor) break;
    }
    summary.complete = cursor === undefined;
    await runs.setReconcileCursor(cursor);
    return summary;
  }

  return { reconcile, sweep };
}

/** Runs `work` over `items`, at most `limit` at a time. */
async function eachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  });
  await Promise.all(lanes);
}

/** The reconciler. */
export type Reconciler = ReturnType<typeof createReconciler>;

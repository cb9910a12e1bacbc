/**
 * Reconciling a run from its execution's final status (the finalizer function, fed by EventBridge "Step Functions
 * Execution Status Change"): an execution that ended without `finalize` (stopped, timed out, crashed) leaves a
 * run that still says running; this closes it and its open nodes and gates. A run already final is left alone
 * except for closing anything still open.
 */
import type { ExecutionStatus } from '../ports/orchestrator';
import type { ErrorInfo } from '../model/types';
import { NotFoundError } from '../errors';
import { closeOutstanding, finishRun, totalCost } from './execution-close';
import { loadRun, type RunStores } from './execution-context';
import { isRunTerminal } from './run-status';

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

/** Builds the reconciler. */
export function createReconciler(stores: RunStores) {
  return {
    /** Closes the run of an ended execution. */
    async reconcile(ended: ExecutionEnded): Promise<ReconcileOutcome> {
      if (ended.status === 'RUNNING') return 'ignored';
      let loaded;
      try {
        loaded = await loadRun(stores, ended.runId);
      } catch (error) {
        if (error instanceof NotFoundError) return 'ignored';
        throw error;
      }
      const error: ErrorInfo | undefined = ended.status === 'FAILED' || ended.status === 'TIMED_OUT'
        ? { name: ended.error ?? (ended.status === 'TIMED_OUT' ? 'States.Timeout' : 'Braid.RunFailed'), message: ended.cause ?? `the execution ${ended.status.toLowerCase()}` }
        : undefined;
      const alreadyFinal = isRunTerminal(loaded.run.status);
      const runs = await closeOutstanding(stores, loaded, {
        pending: alreadyFinal && loaded.run.status === 'succeeded' ? 'skipped' : 'cancelled',
        active: error ? 'failed' : 'cancelled',
        ...(error ? { error } : {}),
        gate: ended.status === 'TIMED_OUT' ? 'timed_out' : 'cancelled',
      });
      if (alreadyFinal) return 'closed';
      const cost = totalCost(runs);
      if (ended.status === 'ABORTED') await finishRun(stores, loaded.run, 'cancelled', { cost });
      else if (ended.status === 'TIMED_OUT') await finishRun(stores, loaded.run, 'timed_out', { cost, ...(error ? { error } : {}) });
      else if (ended.status === 'FAILED') await finishRun(stores, loaded.run, 'failed', { cost, ...(error ? { error } : {}) });
      else await finishRun(stores, loaded.run, 'succeeded', { cost });
      return 'finished';
    },
  };
}

/** The reconciler. */
export type Reconciler = ReturnType<typeof createReconciler>;

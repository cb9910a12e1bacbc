/**
 * Runs survive a restart of `npm run dev`: the local engine keeps executions in memory, so on start the local
 * stack finds every active run (the `ACTIVE_RUNS` index) whose execution this process does not have and redrives
 * it (`shared/services/run-redrive.ts`, cause `restart`). Nodes that succeeded are not run again; a gate that was
 * waiting opens again with a new token and keeps its recorded decision or votes; a decision taken while nothing
 * listened is applied when the gate's Task re-enters. Runs before the HTTP server accepts requests.
 */
import { ERROR_NAMES } from '../../shared/contract/error-names';
import type { Orchestrator } from '../../shared/ports/orchestrator';
import { nowIso, type RunStores } from '../../shared/services/execution-context';
import { createRedriver } from '../../shared/services/run-redrive';
import type { PageKey } from '../../shared/store/cursor';

/** What one resume pass did. */
export interface ResumeSummary {
  /** Runs whose execution was lost and that were redriven. */
  resumed: string[];
  /** Runs that could not be resumed, with why (left for the finalizer's sweep). */
  failed: { runId: string; error: unknown }[];
}

const PAGE = 50;

/** Redrives every active run the orchestrator no longer has an execution for. */
export async function resumeLostRuns(stores: RunStores, orchestrator: Orchestrator, now: Date): Promise<ResumeSummary> {
  const redriver = createRedriver({ ...stores, orchestrator });
  const summary: ResumeSummary = { resumed: [], failed: [] };
  // Every active run started before now (the index is sorted by start time).
  const olderThan = new Date(now.getTime() + 1);
  let cursor: PageKey | undefined;
  do {
    const page = await stores.store.runs.listActive(olderThan, PAGE, cursor);
    for (const active of page.runs) {
      try {
        const described = active.executionArn ? await orchestrator.describe({ executionArn: active.executionArn }) : { status: 'NOT_FOUND' as const };
        if (described.status !== 'NOT_FOUND') continue;
        const run = await stores.store.runs.get(active.runId);
        if (!run || (run.status !== 'running' && run.status !== 'waiting')) continue;
        await forgetLostAttempts(stores, run.runId);
        await redriver.redrive(run, { by: 'braid-local', cause: 'restart' }, ['running', 'waiting']);
        summary.resumed.push(run.runId);
      } catch (error) {
        summary.failed.push({ runId: active.runId, error });
      }
    }
    cursor = page.lastKey;
  } while (cursor);
  return summary;
}

/**
 * The previous process's attempts that were still running died with it: close them (`Braid.ExecutionLost`) and
 * give back their claims, so the resumed drive's attempt runs at once instead of waiting out the lease.
 */
async function forgetLostAttempts(stores: RunStores, runId: string): Promise<void> {
  const nodes = await stores.nodeRuns.list(runId);
  const at = nowIso(stores);
  for (const [nodeId, node] of nodes) {
    for (const attempt of node.attempts) {
      if (attempt.status !== 'running' || node.status === 'waiting') continue;
      await stores.nodeRuns.finishAttempt(runId, nodeId, attempt.attempt, {
        status: 'failed', endedAt: at, error: { name: ERROR_NAMES.executionLost, message: 'the local stack stopped while this attempt ran' },
        // A first attempt started with its claim has no record yet: this writes it.
        startedAt: attempt.startedAt,
      });
    }
    const claim = await stores.claims.get(runId, nodeId);
    if (claim?.state === 'running') await stores.claims.release(runId, nodeId, claim.owner);
  }
}

/**
 * Enforces the quotas (`shared/quotas/config.ts`) with the store's conditional counters. Over a quota is a
 * `QuotaExceededError` (429 with `Retry-After`). A counter that a crash left high (a slot whose run is final
 * but whose release never ran, a workflow count whose create never finished) is healed the moment it would
 * refuse a request: the slots are checked against the runs they name and the count against the workflows the
 * user owns, so nothing leaks for good and reconciliation never has to touch the counters.
 */
import { ValidationError } from '../errors';
import type { QuotaLimits } from '../quotas/config';
import { QuotaExceededError } from '../quotas/errors';
import { TERMINAL_RUN_STATUSES } from '../model/types';
import { activeRunSlot, parseActiveRunSlot, type CountedQuota } from '../store/quotas';
import type { Store } from '../store/store';

/** A slot whose run item is still missing after this long belongs to a start that was lost: it is released. */
const LOST_START_SECONDS = 15 * 60;

/** What a run start holds until the run is final. */
export interface AdmittedRun {
  /** Stored on the run item (`quotaSlot`); the write that makes the run final releases it. */
  slot: string;
}

/** The quota checks of the API and compile functions. */
export interface QuotaService {
  readonly limits: QuotaLimits;
  /** Admits a run start by `userId`: one active-run slot and one start of this minute. */
  admitRunStart(userId: string, runId: string): Promise<AdmittedRun>;
  /** Gives back a slot (a start that did not create its run). Idempotent. */
  releaseRunSlot(userId: string, slot: string): Promise<void>;
  /** Admits one more workflow owned by `userId`. */
  admitWorkflow(userId: string): Promise<void>;
  /** Gives back one workflow (deleted, or a create that failed after its admission). */
  releaseWorkflow(userId: string): Promise<void>;
  /**
   * Admits one more secret owned by `userId` (the secrets API's put of a new name). `count` gives the user's real
   * number of secrets, to heal a count a crash left high.
   */
  admitSecret(userId: string, count?: () => Promise<number>): Promise<void>;
  /** Gives back one secret (deleted, or a create that failed). */
  releaseSecret(userId: string): Promise<void>;
  /** Throws a 400 (`too_wide`) when more than `parallelWidth` nodes of one execution level would run at once. */
  checkParallelWidth(levels: readonly (readonly string[])[]): void;
}

/** Builds the quota service. */
export function createQuotaService(deps: { store: Store; limits: QuotaLimits; clock?: () => Date }): QuotaService {
  const { store, limits } = deps;
  const clock = deps.clock ?? (() => new Date());
  const quotas = store.quotas;

  /** Releases the slots whose run is final, or whose run never appeared; true when any was released. */
  async function healActiveRuns(userId: string): Promise<boolean> {
    const now = Math.floor(clock().getTime() / 1000);
    let released = false;
    await Promise.all((await quotas.activeRunSlots(userId)).map(async (slot) => {
      const { takenAt, runId } = parseActiveRunSlot(slot);
      const status = await store.runs.getStatus(runId);
      const stale = status === undefined ? now - takenAt > LOST_START_SECONDS : TERMINAL_RUN_STATUSES.includes(status);
      if (!stale) return;
      await quotas.releaseActiveRun(userId, slot);
      released = true;
    }));
    return released;
  }

  async function admitCounted(userId: string, counter: CountedQuota, limit: number, actual: () => Promise<number>): Promise<void> {
    if (await quotas.acquire(userId, counter, limit)) return;
    const seen = await quotas.count(userId, counter);
    const real = await actual();
    if (real < seen && (await quotas.correct(userId, counter, seen, real)) && (await quotas.acquire(userId, counter, limit))) return;
    const quota = counter === 'WORKFLOWS' ? 'workflows' : 'secrets';
    throw new QuotaExceededError(quota, limit, 60, `you own ${limit} ${quota}, the most allowed: delete one first`);
  }

  return {
    limits,
    async admitRunStart(userId, runId) {
      const now = clock();
      const slot = activeRunSlot(runId, now);
      if (!(await quotas.acquireActiveRun(userId, slot, limits.activeRunsPerUser))) {
        const healed = await healActiveRuns(userId);
        if (!healed || !(await quotas.acquireActiveRun(userId, slot, limits.activeRunsPerUser))) {
          throw new QuotaExceededError('active_runs', limits.activeRunsPerUser, 30, `you have ${limits.activeRunsPerUser} runs in flight, the most allowed: wait for one to finish or cancel one`);
        }
      }
      if (!(await quotas.countRunStart(userId, now, limits.runStartsPerMinute))) {
        await quotas.releaseActiveRun(userId, slot);
        const retryAfter = Math.max(1, 60 - now.getUTCSeconds());
        throw new QuotaExceededError('run_starts_per_minute', limits.runStartsPerMinute, retryAfter, `you started ${limits.runStartsPerMinute} runs this minute, the most allowed`);
      }
      return { slot };
    },
    releaseRunSlot: (userId, slot) => quotas.releaseActiveRun(userId, slot),
    admitWorkflow: (userId) => admitCounted(userId, 'WORKFLOWS', limits.workflowsPerUser, () => quotas.ownedWorkflows(userId)),
    releaseWorkflow: (userId) => quotas.release(userId, 'WORKFLOWS'),
    admitSecret: (userId, count) => admitCounted(userId, 'SECRETS', limits.secretsPerUser, count ?? (() => quotas.count(userId, 'SECRETS'))),
    releaseSecret: (userId) => quotas.release(userId, 'SECRETS'),
    checkParallelWidth(levels) {
      const widest = levels.reduce((best, level, i) => (level.length > (levels[best]?.length ?? 0) ? i : best), 0);
      const width = levels[widest]?.length ?? 0;
      if (width <= limits.parallelWidth) return;
      throw new ValidationError([{
        code: 'too_wide', path: '/nodes',
        message: `${width} nodes of execution level ${widest} can run at once; the most allowed is ${limits.parallelWidth} (the parallel width quota)`,
      }], { message: 'the definition is too wide' });
    },
  };
}

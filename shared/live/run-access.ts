/**
 * Who may watch a run: the same rule as the runs routes, through the permission service's `authorizeRun`
 * (owner and grantees see every run; public-only callers see their own). Anything else,
 * a missing run included, is simply "no", so a refusal says nothing about the run.
 */
import { BraidError } from '../errors';
import { createPermissionService, type PermissionService } from '../services/permissions';
import type { Store } from '../store/store';

/** Decides whether a user may view a run. */
export interface RunAccess {
  /** True when `userId` may view `runId`; false for a missing run too (no existence leak). */
  canView(userId: string, runId: string): Promise<boolean>;
}

/** The rule on the store and the permission service. */
export function createStoreRunAccess(store: Store, now: () => Date = () => new Date(), permissions?: PermissionService): RunAccess {
  const service = permissions ?? createPermissionService({ store, clock: now });
  return {
    async canView(userId, runId) {
      const run = await store.runs.get(runId);
      if (!run) return false;
      try {
        await service.authorizeRun({ userId }, run, 'view');
        return true;
      } catch (error) {
        if (error instanceof BraidError && (error.code === 'not_found' || error.code === 'forbidden')) return false;
        throw error;
      }
    },
  };
}

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

/** How often fan-out re-checks that a subscriber may still view the run. */
export const ACCESS_RECHECK_MS = 30_000;

/**
 * The access rule as fan-out applies it: a "yes" is trusted for `intervalMs` per (user, run), then asked again,
 * so a subscriber who loses access (grant revoked or expired, workflow deleted) receives nothing more than
 * `intervalMs` later; a "no" is never cached. Bounded to `maxEntries` remembered answers.
 */
export function recheckingRunAccess(access: RunAccess, options: { intervalMs?: number; nowMs?: () => number; maxEntries?: number } = {}): RunAccess {
  const interval = options.intervalMs ?? ACCESS_RECHECK_MS;
  const nowMs = options.nowMs ?? Date.now;
  const max = options.maxEntries ?? 10_000;
  const allowedUntil = new Map<string, number>();
  return {
    async canView(userId, runId) {
      const key = JSON.stringify([userId, runId]);
      const until = allowedUntil.get(key);
      if (until !== undefined && until > nowMs()) return true;
      allowedUntil.delete(key);
      const allowed = await access.canView(userId, runId);
      if (allowed) {
        if (allowedUntil.size >= max) allowedUntil.delete(allowedUntil.keys().next().value as string);
        allowedUntil.set(key, nowMs() + interval);
      }
      return allowed;
    },
  };
}

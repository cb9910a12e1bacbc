/**
 * The fan-out's access re-check: before pushing a run's events to a subscription, the fan-out asks whether the
 * subscription's user may still view the run, so a viewer who lost access (a revoked or expired grant, a workflow
 * made private) stops receiving within the re-check interval. The rule and its cache are `recheckingRunAccess`
 * (`run-access.ts`: a "yes" is trusted for the interval per (user, run), a "no" never cached); this adds one
 * question in flight per (user, run), so a run with many subscribers of one user costs one check, not one each.
 */
import type { Subscription } from '../store/subscriptions';
import { recheckingRunAccess, type RunAccess } from './run-access';

/** Decides, at delivery time, whether a subscription may still receive its run's events. */
export interface DeliveryAccess {
  /** True when the subscription's user may still view its run. Throws when the check itself failed. */
  allows(sub: Subscription): Promise<boolean>;
}

/** Options of `cachedDeliveryAccess`. */
export interface DeliveryAccessOptions {
  /** How long a "yes" is reused, ms (at most 60,000: the revocation promise). @default 30000 */
  ttlMs?: number;
  /** Answers kept; the oldest go first. @default 10000 */
  maxEntries?: number;
  /** Epoch ms. @default Date.now */
  nowMs?: () => number;
}

/** Longest time a revoked viewer may keep receiving events, ms. */
export const MAX_ACCESS_TTL_MS = 60_000;

/** The run-access rule, re-asked every `ttlMs` per (user, run), one question in flight at a time. */
export function cachedDeliveryAccess(access: RunAccess, options: DeliveryAccessOptions = {}): DeliveryAccess {
  const rechecking = recheckingRunAccess(access, {
    intervalMs: Math.min(options.ttlMs ?? 30_000, MAX_ACCESS_TTL_MS),
    ...(options.nowMs ? { nowMs: options.nowMs } : {}),
    ...(options.maxEntries !== undefined ? { maxEntries: options.maxEntries } : {}),
  });
  const asking = new Map<string, Promise<boolean>>();
  return {
    allows(sub) {
      const key = JSON.stringify([sub.userId, sub.runId]);
      let answer = asking.get(key);
      if (!answer) {
        answer = rechecking.canView(sub.userId, sub.runId).finally(() => asking.delete(key));
        asking.set(key, answer);
      }
      return answer;
    },
  };
}

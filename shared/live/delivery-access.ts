/**
 * The fan-out's access re-check: before pushing a run's events to a subscription, the fan-out asks whether the
 * subscription's user may still view the run, so a viewer who lost access (a revoked grant, a workflow made
 * private) stops receiving within the cache's time to live. Answers are cached per (user, run) in the
 * function's memory, so a run with many subscribers of the same user costs one check per TTL, not one per event.
 */
import type { Subscription } from '../store/subscriptions';
import type { RunAccess } from './run-access';

/** Decides, at delivery time, whether a subscription may still receive its run's events. */
export interface DeliveryAccess {
  /** True when the subscription's user may still view its run. Throws when the check itself failed. */
  allows(sub: Subscription): Promise<boolean>;
}

/** Options of `cachedDeliveryAccess`. */
export interface DeliveryAccessOptions {
  /** How long an answer is reused, ms (at most 60,000: the revocation promise). @default 30000 */
  ttlMs?: number;
  /** Answers kept; the oldest go first. @default 10000 */
  maxEntries?: number;
  /** Epoch ms. @default Date.now */
  nowMs?: () => number;
}

/** Longest time a revoked viewer may keep receiving events, ms. */
export const MAX_ACCESS_TTL_MS = 60_000;

/** The run-access rule behind a per-(user, run) cache with a time to live. */
export function cachedDeliveryAccess(access: RunAccess, options: DeliveryAccessOptions = {}): DeliveryAccess {
  const ttlMs = Math.min(options.ttlMs ?? 30_000, MAX_ACCESS_TTL_MS);
  const maxEntries = options.maxEntries ?? 10_000;
  const nowMs = options.nowMs ?? Date.now;
  const answers = new Map<string, { at: number; allowed: Promise<boolean> }>();
  return {
    async allows(sub) {
      const key = `${sub.userId}\u0000${sub.runId}`;
      const now = nowMs();
      const cached = answers.get(key);
      if (cached && now - cached.at < ttlMs) return cached.allowed;
      answers.delete(key);
      if (answers.size >= maxEntries) answers.delete(answers.keys().next().value as string);
      const allowed = access.canView(sub.userId, sub.runId);
      answers.set(key, { at: now, allowed });
      // A failed check is not an answer: the next delivery asks again.
      allowed.catch(() => { if (answers.get(key)?.allowed === allowed) answers.delete(key); });
      return allowed;
    },
  };
}

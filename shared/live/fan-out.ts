/**
 * The live fan-out (ARCHITECTURE.md, "Live delivery without reordering"): a run's new events, read once, pushed
 * in seq order to every subscriber of the run. Per run it keeps one high-water mark, `sentSeq` (the last seq
 * pushed to every subscriber): a batch pushes the events after it, gap-free, then moves it once. So the store
 * writes of an event do not grow with the number of subscribers, and a batch that failed (or was dropped) is
 * made good by the next one, which starts from the mark again.
 *
 * A run nobody watches (its subscriber set on the same item is empty) costs one store call per batch: a
 * conditional update of the mark (`FanOutMarkRepository.advanceIfUnwatched`); the subscribe and removal order
 * that makes this safe is in `shared/store/subscriptions.ts`.
 *
 * The events come from the stream batch itself when they continue the mark without a hole; otherwise (a
 * writer put a later event's item first, or the trigger carries no events) they are read from the log, which
 * materializes what a slow writer left pending.
 */
import { BraidError } from '../errors';
import type { RunEvent } from '../model/types';
import type { EventLogRepository } from '../store/events';
import type { FanOutMarkRepository } from '../store/fan-out-marks';
import type { Subscription, SubscriptionRepository } from '../store/subscriptions';
import type { DeliveryAccess } from './delivery-access';
import { encodeEvent, encodeMessage } from './messages';
import type { ConnectionPoster } from './poster';
import { postWithRetries } from './post-retry';

/** What a fan-out needs. */
export interface FanOutDeps {
  events: Pick<EventLogRepository, 'list'>;
  subscriptions: Pick<SubscriptionRepository, 'listForRun' | 'removeConnection' | 'unsubscribe'>;
  marks: FanOutMarkRepository;
  poster: ConnectionPoster;
  /** The access re-check before each delivery (cached: see `cachedDeliveryAccess`). */
  access: DeliveryAccess;
  /** Subscribers posted to at once. @default 64 */
  concurrency?: number;
  /** Tries of a post that failed for a reason other than a gone connection. @default 3 */
  postTries?: number;
  /** Events read per page of the log, and pushed per round. @default 100 */
  pageSize?: number;
  /** Runs remembered as watched, whose batches skip the quiet attempt (it would fail). @default 1000 */
  watchedRuns?: number;
}

/** What one fan-out did. */
export interface FanOutResult {
  /** Events pushed (to each subscriber). */
  events: number;
  /** Deliveries made (subscriptions served, summed over the rounds of a backlog longer than a page). */
  subscribers: number;
  /** Connections found gone and removed. */
  gone: number;
  /** Subscriptions ended because their user may no longer view the run. */
  revoked: number;
}

/** Pushes a run's new events (optionally those a stream batch carried) to its subscribers. */
export type FanOut = (runId: string, streamed?: readonly RunEvent[]) => Promise<FanOutResult>;

/** Some subscribers could not be served; the run's mark did not move, so a retry pushes the same events again. */
export class FanOutError extends BraidError {
  readonly failures: unknown[];
  constructor(runId: string, failures: unknown[]) {
    super('fan_out_failed', `fan-out of run ${runId} failed for ${failures.length} subscription(s)`, { cause: failures[0] });
    this.name = 'FanOutError';
    this.failures = failures;
  }
}

type Delivery = 'ok' | 'gone' | 'revoked';

/** Builds the fan-out. */
export function createFanOut(deps: FanOutDeps): FanOut {
  const concurrency = deps.concurrency ?? 64;
  const postTries = deps.postTries ?? 3;
  const pageSize = deps.pageSize ?? 100;
  // Runs whose last batch here found subscribers: their next batch goes straight to the normal path, sparing a
  // conditional write that would fail. Only a hint: skipping the quiet attempt is always safe.
  const watched = new RecentSet(deps.watchedRuns ?? 1000);

  const post = (connectionId: string, data: string) => postWithRetries(deps.poster, connectionId, data, postTries);

  /** One subscriber: the access re-check, then every event in order; stops at the first failure. */
  async function deliver(sub: Subscription, frames: readonly string[]): Promise<Delivery> {
    if (!(await deps.access.allows(sub))) {
      // The same reply as a refused subscribe: nothing about the run is said.
      const gone = await post(sub.connectionId, encodeMessage({ type: 'error', code: 'not_found', message: `run ${sub.runId} not found`, runId: sub.runId }));
      if (gone === 'gone') await deps.subscriptions.removeConnection(sub.connectionId);
      else await deps.subscriptions.unsubscribe(sub.connectionId, sub.runId);
      return 'revoked';
    }
    for (const frame of frames) {
      if ((await post(sub.connectionId, frame)) === 'gone') {
        await deps.subscriptions.removeConnection(sub.connectionId);
        return 'gone';
      }
    }
    return 'ok';
  }

  /** The events after `mark`: the streamed ones when they continue it without a hole, else a page of the log. */
  async function next(runId: string, mark: number, streamed: readonly RunEvent[] | undefined): Promise<RunEvent[]> {
    if (streamed) {
      const fresh = [...new Map(streamed.filter((e) => e.seq > mark).map((e) => [e.seq, e])).values()].sort((a, b) => a.seq - b.seq);
      if (fresh.length === 0) return [];
      if (fresh.length <= pageSize && fresh.every((e, i) => e.seq === mark + 1 + i)) return fresh;
    }
    return (await deps.events.list(runId, { after: mark, limit: pageSize })).events;
  }

  return async (runId, streamed) => {
    const result: FanOutResult = { events: 0, subscribers: 0, gone: 0, revoked: 0 };
    const top = streamed && streamed.length > 0 ? Math.max(...streamed.map((e) => e.seq)) : undefined;
    // Nobody watches (most runs): one conditional update moves the mark past the batch, unread, when the run's
    // subscriber set is empty. Whoever subscribes later added itself to the set after this update, before its
    // catch-up read the log head: every event of the batch was claimed before, so the catch-up sends it.
    if (top !== undefined && !watched.has(runId) && (await deps.marks.advanceIfUnwatched(runId, top))) return result;
    const state = await deps.marks.read(runId);
    let mark = state.sentSeq;
    let hint = streamed;
    let first = true;
    for (;;) {
      const events = await next(runId, mark, hint);
      hint = undefined;
      if (events.length === 0) return result;
      // Listed after the events were read: whoever subscribed before one of them was claimed is in the list,
      // and whoever subscribed later got it from its own catch-up.
      const subs = await deps.subscriptions.listForRun(runId);
      const served = result.subscribers;
      const frames = events.map(encodeEvent);
      const failures: unknown[] = [];
      await pool(subs, concurrency, async (sub) => {
        try {
          const outcome = await deliver(sub, frames);
          if (outcome === 'gone') result.gone += 1;
          else if (outcome === 'revoked') result.revoked += 1;
          else result.subscribers += 1;
        } catch (error) {
          failures.push(error);
        }
      });
      if (failures.length > 0) throw new FanOutError(runId, failures);
      if (result.subscribers > served) watched.add(runId);
      else watched.delete(runId);
      // The set was read before the listing: an id in it without a listed subscription is stale (a subscription
      // that expired, a removal cut short), and one listed but not in it is a subscription from before the set
      // existed, or one being written now. Only a listing with none of the latter lets the quiet path in.
      const track = first && !state.tracked && subs.every((sub) => state.subscribers.has(sub.connectionId));
      if (first) {
        const listed = new Set(subs.map((sub) => sub.connectionId));
        await deps.marks.prune(runId, [...state.subscribers].filter((id) => !listed.has(id)), state.version);
      }
      first = false;
      const last = (events.at(-1) as RunEvent).seq;
      await deps.marks.advance(runId, last, { track });
      result.events += events.length;
      mark = last;
      if (events.length < pageSize) return result;
    }
  };
}

/** Runs `work` over `items`, at most `limit` at a time. */
async function pool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let at = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (at < items.length) await work(items[at++] as T);
  });
  await Promise.all(lanes);
}

/** A set of at most `limit` keys that forgets the least recently added first. */
class RecentSet {
  private readonly keys = new Set<string>();
  constructor(private readonly limit: number) {}
  has(key: string): boolean {
    return this.keys.has(key);
  }
  add(key: string): void {
    this.keys.delete(key);
    this.keys.add(key);
    if (this.keys.size > this.limit) this.keys.delete(this.keys.values().next().value as string);
  }
  delete(key: string): void {
    this.keys.delete(key);
  }
}

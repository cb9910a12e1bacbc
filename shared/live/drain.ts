/**
 * The drain: deliver a subscription's undelivered events in order, exactly once per connection.
 *
 * ARCHITECTURE.md, "Live delivery without reordering": take the subscription's lease (absent or expired),
 * send every event with `seq > cursor` in order, advancing `cursor` after each, release the lease, then read
 * the log once more and drain again if it grew meanwhile. Whoever finds the lease held does nothing: the holder
 * re-reads after releasing, so an event appended during its drain is not left behind.
 */
import { randomUUID } from 'node:crypto';
import type { EventLogRepository, EventPage } from '../store/events';
import type { SubscriptionRepository } from '../store/subscriptions';
import { encodeEvent } from './messages';
import type { ConnectionPoster } from './poster';

/** How a drain ended: caught up, someone else holds the lease (or took it over), or the connection is gone. */
export type DrainOutcome = 'done' | 'busy' | 'gone';

/** What a drainer needs. */
export interface DrainDeps {
  events: Pick<EventLogRepository, 'list' | 'lastSeq'>;
  subscriptions: Pick<SubscriptionRepository, 'acquireLease' | 'advanceCursor' | 'releaseLease' | 'removeConnection'>;
  poster: ConnectionPoster;
  /** Epoch ms. @default Date.now */
  nowMs?: () => number;
  /** How long a lease lasts without progress; each delivered event extends it. @default 30000 */
  leaseMs?: number;
  /** Events read per page. @default 100 */
  pageSize?: number;
}

/** Drains one subscription. */
export type Drain = (runId: string, connectionId: string) => Promise<DrainOutcome>;

/** Builds the drain over the event log, the subscriptions and a poster. */
export function createDrain(deps: DrainDeps): Drain {
  const { events, subscriptions, poster } = deps;
  const nowMs = deps.nowMs ?? Date.now;
  const leaseMs = deps.leaseMs ?? 30_000;
  const pageSize = deps.pageSize ?? 100;

  /** Sends everything after the cursor; returns the new cursor, or an outcome that ends the drain. */
  async function sendPending(runId: string, connectionId: string, owner: string, from: number): Promise<number | DrainOutcome> {
    let cursor = from;
    for (;;) {
      const page = await events.list(runId, { after: cursor, limit: pageSize });
      for (const event of page.events) {
        if ((await poster.post(connectionId, encodeEvent(event))) === 'gone') {
          await subscriptions.removeConnection(connectionId);
          return 'gone';
        }
        // A lost lease means a re-subscribe reset the cursor: the new holder delivers from there.
        if (!(await retried(() => subscriptions.advanceCursor(runId, connectionId, owner, event.seq, nowMs() + leaseMs)))) return 'busy';
        cursor = event.seq;
      }
      if (page.events.length < pageSize) return cursor;
    }
  }

  return async (runId, connectionId) => {
    for (let round = 1; ; round += 1) {
      const owner = randomUUID();
      const sub = await retried(() => subscriptions.acquireLease(runId, connectionId, owner, nowMs(), leaseMs));
      if (!sub) return 'busy';
      let sent: number | DrainOutcome;
      try {
        sent = await sendPending(runId, connectionId, owner, sub.cursor);
      } catch (error) {
        // Free the lease now so a retry need not wait for it to expire; the failure itself is the caller's.
        await retried(() => subscriptions.releaseLease(runId, connectionId, owner)).catch(() => undefined);
        throw error;
      }
      if (typeof sent !== 'number') return sent;
      const left = await retried(() => subscriptions.releaseLease(runId, connectionId, owner));
      // Undefined: the lease was lost, or a retried release had in fact applied. Another round tells which
      // (it finds the lease held, or takes it and delivers what arrived meanwhile).
      if (!left) {
        if (round >= MAX_ROUNDS) return 'busy';
        continue;
      }
      if ((await events.lastSeq(runId)) <= left.cursor) return 'done';
    }
  };
}

/** Rounds of acquire-send-release one drain makes before leaving the rest to the next trigger. */
const MAX_ROUNDS = 5;
/** Tries of a lease call that failed transiently. */
const LEASE_CALL_TRIES = 3;

/**
 * Retries a lease call that failed with `Braid.Transient` (the store throttled, or timed out perhaps after
 * applying it). Every lease call is conditional on the drain's own owner id, so a repeat is harmless; without
 * this, one unlucky timeout strands the lease until it expires and the subscriber waits for the next event.
 */
async function retried<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await call();
    } catch (error) {
      if (attempt >= LEASE_CALL_TRIES || !(error instanceof Error && error.name === 'Braid.Transient')) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10 * attempt));
    }
  }
}

/**
 * One fan-out's view of the log: concurrent drains that read from the same cursor share one read, instead of
 * one per subscriber. Empty pages (and failures) are never shared, so a drain that re-reads because
 * `lastSeq` moved on always reads afresh; a shared non-empty page is a snapshot whose events are all real,
 * and the drain's next read starts after its last seq.
 */
export function sharePages(events: DrainDeps['events']): DrainDeps['events'] {
  const pages = new Map<string, Promise<EventPage>>();
  return {
    lastSeq: (runId) => events.lastSeq(runId),
    list(runId, options = {}) {
      const key = `${runId}:${options.after ?? 0}:${options.limit ?? ''}`;
      let page = pages.get(key);
      if (!page) {
        page = events.list(runId, options);
        pages.set(key, page);
        page.then((p) => { if (p.events.length === 0) pages.delete(key); }, () => pages.delete(key));
      }
      return page;
    },
  };
}

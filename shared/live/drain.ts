/**
 * The drain: deliver a subscription's undelivered events in order, exactly once per connection.
 *
 * ARCHITECTURE.md, "Live delivery without reordering": take the subscription's lease (absent or expired),
 * send every event with `seq > cursor` in order, advancing `cursor` after each, release the lease, then read
 * the log once more and drain again if it grew meanwhile. Whoever finds the lease held does nothing: the holder
 * re-reads after releasing, so an event appended during its drain is not left behind.
 */
import { randomUUID } from 'node:crypto';
import type { EventLogRepository } from '../store/events';
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
        if (!(await subscriptions.advanceCursor(runId, connectionId, owner, event.seq, nowMs() + leaseMs))) return 'busy';
        cursor = event.seq;
      }
      if (page.events.length < pageSize) return cursor;
    }
  }

  return async (runId, connectionId) => {
    for (;;) {
      const owner = randomUUID();
      const sub = await subscriptions.acquireLease(runId, connectionId, owner, nowMs(), leaseMs);
      if (!sub) return 'busy';
      let sent: number | DrainOutcome;
      try {
        sent = await sendPending(runId, connectionId, owner, sub.cursor);
      } catch (error) {
        // Free the lease now so a retry need not wait for it to expire; the failure itself is the caller's.
        await subscriptions.releaseLease(runId, connectionId, owner).catch(() => undefined);
        throw error;
      }
      if (typeof sent !== 'number') return sent;
      const left = await subscriptions.releaseLease(runId, connectionId, owner);
      if (!left) return 'busy';
      if ((await events.lastSeq(runId)) <= left.cursor) return 'done';
    }
  };
}

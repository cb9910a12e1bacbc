/**
 * Catch-up: push a new subscriber the part of the log it does not hold yet (every event with `seq > after`,
 * in order), reading the log page by page up to its head. Live events of the same run may reach the
 * connection meanwhile from the fan-out: the client orders the two streams by seq (ARCHITECTURE.md, "Live
 * delivery without reordering").
 */
import type { EventLogRepository } from '../store/events';
import { encodeEvent } from './messages';
import type { ConnectionPoster } from './poster';
import { postWithRetries } from './post-retry';

/** How a catch-up ended: every stored event sent, or the connection is gone. */
export type CatchUpOutcome = 'done' | 'gone';

/** What a catch-up needs. */
export interface CatchUpDeps {
  events: Pick<EventLogRepository, 'list'>;
  poster: ConnectionPoster;
  /** Events read per page. @default 100 */
  pageSize?: number;
  /** Tries of a post that failed for a reason other than a gone connection. @default 3 */
  postTries?: number;
}

/** Sends a connection the events of a run after `after`. */
export type CatchUp = (runId: string, connectionId: string, after: number) => Promise<CatchUpOutcome>;

/** Builds the catch-up over the event log and a poster. */
export function createCatchUp(deps: CatchUpDeps): CatchUp {
  const pageSize = deps.pageSize ?? 100;
  const tries = deps.postTries ?? 3;

  const post = (connectionId: string, data: string) => postWithRetries(deps.poster, connectionId, data, tries);

  return async (runId, connectionId, after) => {
    let cursor = after;
    for (;;) {
      const page = await deps.events.list(runId, { after: cursor, limit: pageSize });
      for (const event of page.events) {
        if ((await post(connectionId, encodeEvent(event))) === 'gone') return 'gone';
        cursor = event.seq;
      }
      // A short page, or the head read with the page: nothing more was stored when this page was read.
      if (page.events.length < pageSize || cursor >= page.lastSeq) return 'done';
    }
  };
}

/**
 * A node attempt's `node.started` event, appended with the attempt's final event when the call is quick (issue 18:
 * one claim, one binding and one item write for both events instead of two each), else on its own as soon as
 * the call has run for `START_EVENT_DEFER_MS`, so a watcher of a slow agent still sees it start at once.
 *
 * Which of the two happens depends on timing; both write the same events in the same order (the start's `at` is
 * the attempt's start either way). The attempt's end takes the start over (`takeOver`) only while it has not been
 * appended; anything the attempt logs before its end (progress, a question) appends it first (`ensure`).
 */
import type { AppendResult, NewRunEvent } from '../store/events';

/** How long a call runs before its `node.started` is appended on its own (ms). */
export const START_EVENT_DEFER_MS = 200;

/** An entry of the event log to append. */
export interface LogEntry {
  transitionKey: string;
  event: NewRunEvent;
}

/** The start event of one attempt. */
export interface StartEvent {
  /**
   * Appends the start now unless it is appended (or being appended) already; resolves to the entry the attempt's
   * final append clears (empty when the start was recorded earlier). After `takeOver`, appends it again as a
   * non-fresh append (the taker's append failed): the log finds the key if it got that far.
   */
  ensure(): Promise<ReadonlyArray<{ transitionKey: string; seq: number }>>;
  /** The start, for the caller to append together with the final event; `undefined` once it is being appended. */
  takeOver(): LogEntry | undefined;
  /** Stops the timer; a start nobody appended is not appended any more (the node ended without it). */
  stop(): void;
}

/**
 * Starts the timer of an attempt's start event. `append(fresh)` appends it on its own (`fresh`: the caller's
 * claim moved the node, so the key is unbound). With `deferMs` 0 the caller appends it at once with `ensure()`.
 */
export function deferStart(entry: LogEntry, append: (fresh: boolean) => Promise<AppendResult>, options: { fresh: boolean; deferMs: number }): StartEvent {
  let state: 'waiting' | 'appending' | 'taken' | 'stopped' = 'waiting';
  let appended: Promise<ReadonlyArray<{ transitionKey: string; seq: number }>> | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;

  function ensure(): Promise<ReadonlyArray<{ transitionKey: string; seq: number }>> {
    if (appended) return appended;
    const fresh = options.fresh && state === 'waiting';
    state = 'appending';
    if (timer) clearTimeout(timer);
    appended = append(fresh).then((r) => (r.created ? [{ transitionKey: entry.transitionKey, seq: r.event.seq }] : []));
    return appended;
  }

  // The timer's own append may fail: the attempt's next `ensure` (or its end's) sees the same rejection.
  if (options.deferMs > 0) timer = setTimeout(() => void ensure().catch(() => undefined), options.deferMs);

  return {
    ensure,
    takeOver() {
      if (state !== 'waiting') return undefined;
      state = 'taken';
      if (timer) clearTimeout(timer);
      return entry;
    },
    stop() {
      if (timer) clearTimeout(timer);
      if (state === 'waiting') state = 'stopped';
    },
  };
}

/**
 * The `node.started` entry of a node's first attempt, for a path that finishes that attempt after its holder stopped
 * before appending it (`nodeKey`: the node id as transition keys spell it, `x` or `x@<item>`). A no-op to append when
 * the start is in the log.
 */
export function firstStartEntry(nodeKey: string, nodeId: string, startedAt: string): LogEntry {
  return { transitionKey: `node.started:${nodeKey}:0`, event: { type: 'node.started', nodeId, at: startedAt, data: { attempt: 0 } } };
}

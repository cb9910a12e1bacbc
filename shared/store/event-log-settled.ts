/**
 * Per process, the event-log entries an append settled (binding and event item written) but left on the run's
 * `LOG` head: the process's next append to the same run clears them in its claim update instead of one more
 * update each (ARCHITECTURE.md, "Fewer round trips per node"). Forgetting an entry is harmless: a reader clears
 * whatever is left, and the head's size is bounded by the claim's `size(pending)` condition.
 */

/** A settled entry left on a run's head. */
export interface SettledEntry {
  transitionKey: string;
  seq: number;
}

/** The entries of one process, by run, for at most `maxRuns` runs (least recently appended first out). */
export interface SettledEntries {
  /** Remembers an entry this process left on `runId`'s head. */
  leave(runId: string, transitionKey: string, seq: number): void;
  /** The run's remembered entries, forgotten as they are handed out (the caller clears them). */
  take(runId: string): SettledEntry[];
}

/** Creates the memory of one event-log repository. */
export function createSettledEntries(maxRuns: number): SettledEntries {
  const byRun = new Map<string, SettledEntry[]>();
  return {
    leave(runId, transitionKey, seq) {
      const list = byRun.get(runId) ?? [];
      byRun.delete(runId);
      if (byRun.size >= maxRuns) byRun.delete(byRun.keys().next().value as string);
      byRun.set(runId, [...list, { transitionKey, seq }]);
    },
    take(runId) {
      const list = byRun.get(runId) ?? [];
      byRun.delete(runId);
      return list;
    },
  };
}

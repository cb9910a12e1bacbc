/**
 * Remembers the egress denial behind a failed call, so an executor reports `Braid.EgressDenied` even when an SDK
 * (MCP, A2A) wraps the error `fetch` threw in one of its own.
 */
import { EgressDeniedError, findEgressDenial } from './errors';

/** A fetch that records the last denial it saw. */
export interface TrackedFetch {
  fetch: typeof fetch;
  /** The denial behind `error`, or the last one this fetch threw. */
  denial(error: unknown): EgressDeniedError | undefined;
}

/** Wraps `inner` so that a denial thrown through it can be recovered after an SDK wrapped it. */
export function trackDenials(inner: typeof fetch): TrackedFetch {
  let last: EgressDeniedError | undefined;
  const tracked: typeof fetch = async (input, init) => {
    try {
      return await inner(input, init);
    } catch (error) {
      last = findEgressDenial(error) ?? last;
      throw error;
    }
  };
  return { fetch: tracked, denial: (error) => findEgressDenial(error) ?? last };
}

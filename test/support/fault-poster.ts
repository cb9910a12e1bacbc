/**
 * Connection posters for the hardening suites: one that records every message per connection (a stand-in for
 * the WebSocket clients), and a wrapper that fails posts before sending or after sending (the ambiguous case:
 * the client got it, the server thinks it did not) at set rates.
 */
import { DeliveryError, type ConnectionPoster } from '../../shared/live/poster';

/** A poster that keeps what each connection received. */
export interface RecordingPoster extends ConnectionPoster {
  received: Map<string, string[]>;
}

/** Builds a recording poster. */
export function createRecordingPoster(): RecordingPoster {
  const received = new Map<string, string[]>();
  return {
    received,
    async post(connectionId, data) {
      const list = received.get(connectionId) ?? [];
      list.push(data);
      received.set(connectionId, list);
      return 'ok';
    },
  };
}

/** Wraps a poster so posts fail at `rates`; `counts` says how many did. */
export function withPosterFaults(
  poster: ConnectionPoster,
  rates: { before: number; after: number },
  random: () => number,
): ConnectionPoster & { counts: { before: number; after: number }; enabled: boolean } {
  const wrapped = {
    counts: { before: 0, after: 0 },
    enabled: true,
    async post(connectionId: string, data: string) {
      const r = wrapped.enabled ? random() : 1;
      if (r < rates.before) {
        wrapped.counts.before += 1;
        throw new DeliveryError(connectionId, { cause: new Error('injected: throttled before send') });
      }
      const out = await poster.post(connectionId, data);
      if (r < rates.before + rates.after) {
        wrapped.counts.after += 1;
        throw new DeliveryError(connectionId, { cause: new Error('injected: timed out after send') });
      }
      return out;
    },
  };
  return wrapped;
}

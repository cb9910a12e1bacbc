/**
 * Event delivery latency: from the moment an event was recorded (its `at`) to its post to a WebSocket
 * connection, measured on the poster so the fan-out and the subscribe catch-up are both covered.
 */
import type { ConnectionPoster } from '../live/poster';
import type { MetricSink } from './metrics';

/** Wraps a poster: each delivered event frame adds one `EventDeliveryLatency` point. */
export function withDeliveryMetrics(poster: ConnectionPoster, sink: MetricSink, now: () => number = Date.now): ConnectionPoster {
  return {
    async post(connectionId, data) {
      const result = await poster.post(connectionId, data);
      if (result !== 'gone') {
        const at = recordedAt(data);
        const latency = at === undefined ? undefined : now() - at;
        if (latency !== undefined && latency >= 0) sink.put([{ name: 'EventDeliveryLatency', value: latency }]);
      }
      return result;
    },
  };
}

/** The `at` of an event frame (`{ seq, type, at, ... }`); undefined for other messages. */
function recordedAt(frame: string): number | undefined {
  try {
    const parsed = JSON.parse(frame) as { seq?: unknown; at?: unknown };
    if (typeof parsed.seq !== 'number' || typeof parsed.at !== 'string') return undefined;
    const at = Date.parse(parsed.at);
    return Number.isFinite(at) ? at : undefined;
  } catch {
    return undefined;
  }
}

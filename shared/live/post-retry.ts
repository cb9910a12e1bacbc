/**
 * One post to a connection, retried: a failure other than a gone connection (throttling, network) is tried again
 * a few times, 20 ms × the try apart, before it is thrown. The catch-up and the fan-out both post this way.
 */
import type { ConnectionPoster, PostResult } from './poster';

/** Posts `data` to `connectionId`, at most `tries` times in all; `'gone'` is an answer, not a failure. */
export async function postWithRetries(poster: ConnectionPoster, connectionId: string, data: string, tries: number): Promise<PostResult> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await poster.post(connectionId, data);
    } catch (error) {
      if (attempt >= tries) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
    }
  }
}

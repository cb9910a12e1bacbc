/**
 * The local stack's connection poster: the Management API's POST `@connections/{id}` carried out on the local
 * WebSocket server's sockets in-process, without the AWS SDK and an HTTP round trip per post. On AWS each post
 * is an HTTPS call from the fan-out Lambda; on the laptop that call's CPU (about 0.4 ms of SDK middleware,
 * signing and HTTP on both ends) shared the one event loop with everything else, and 100 subscribers made it
 * the live path's bottleneck (README, "What to expect on AWS"). The answers are the endpoint's: sent, gone
 * (410) or too large (413, which the AWS poster reports as a `DeliveryError`). `BRAID_LOCAL_POSTER=management-api`
 * (or `livePoster`) puts the SDK path back.
 */
import { BraidError } from '../../shared/errors';
import { DeliveryError, type ConnectionPoster } from '../../shared/live/poster';
import type { LocalWsServer } from './ws-server';

/** Posts straight to the local server's sockets. */
export function createSocketPoster(server: Pick<LocalWsServer, 'post'>): ConnectionPoster {
  return {
    async post(connectionId, data) {
      const outcome = server.post(connectionId, data);
      if (outcome === 'too_large') {
        throw new DeliveryError(connectionId, { cause: new BraidError('payload_too_large', 'message too large (over 128 KB)') });
      }
      return outcome;
    },
  };
}

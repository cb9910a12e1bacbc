/**
 * Braid's WebSocket client for Node (the CLI, tests, benchmarks): the transport-neutral `LiveClient` of
 * `live-client.ts` on a `ws` socket, which also sees a refused handshake's HTTP status (401/403 stop the client).
 */
import WebSocket from 'ws';
import {
  LiveClient as CoreLiveClient,
  watchRun as coreWatchRun,
  type LiveClientOptions as CoreOptions,
  type SocketFactory,
  type WatchRunOptions,
} from './live-client';

export { LiveClientError, TERMINAL_EVENT_TYPES } from './live-client';
export type { LiveSocket, LiveSocketHandlers, LiveStatus, RunSubscription, RunSubscriptionOptions, SocketFactory, WatchResult, WatchRunOptions } from './live-client';

/** Opens `ws` sockets. */
export const nodeSocketFactory: SocketFactory = (url, handlers) => {
  const socket = new WebSocket(url);
  socket.on('open', () => handlers.onOpen());
  socket.on('message', (data) => handlers.onMessage(String(data)));
  socket.on('unexpected-response', (_req, res) => {
    handlers.onRefused(res.statusCode ?? 0);
    socket.terminate();
  });
  socket.on('error', () => undefined);
  socket.on('close', () => handlers.onClose());
  return {
    get isOpen() {
      return socket.readyState === WebSocket.OPEN;
    },
    send: (text) => socket.send(text),
    close: (code) => socket.close(code),
    terminate: () => socket.terminate(),
  };
};

/** Options of the Node `LiveClient`: the core's, with the socket factory defaulting to `ws`. */
export type LiveClientOptions = Omit<CoreOptions, 'socketFactory'> & { socketFactory?: SocketFactory };

/** The live client on `ws` sockets. */
export class LiveClient extends CoreLiveClient {
  constructor(options: LiveClientOptions) {
    super({ socketFactory: nodeSocketFactory, ...options });
  }
}

/**
 * Watches one run until it ends (a terminal event), across reconnects, on `ws` sockets.
 * @example const { terminal } = await watchRun({ url, token, runId, onEvent: (e) => console.log(e.type) }).done
 */
export function watchRun(options: Omit<WatchRunOptions, 'socketFactory'> & { socketFactory?: SocketFactory }): ReturnType<typeof coreWatchRun> {
  return coreWatchRun({ socketFactory: nodeSocketFactory, ...options });
}

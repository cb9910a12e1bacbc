/**
 * The browser's `WebSocket` as a `SocketFactory` for `LiveClient` (the web console). A browser cannot see a
 * refused handshake's HTTP status, so a bad token shows as a connection that keeps retrying with backoff; the
 * console checks the token on the HTTP API first, where a 401 is visible.
 */
import type { SocketFactory } from './live-client';

/** Opens browser sockets. */
export const browserSocketFactory: SocketFactory = (url, handlers) => {
  const socket = new WebSocket(url);
  socket.addEventListener('open', () => handlers.onOpen());
  socket.addEventListener('message', (event: MessageEvent) => handlers.onMessage(String(event.data)));
  socket.addEventListener('close', () => handlers.onClose());
  return {
    get isOpen() {
      return socket.readyState === WebSocket.OPEN;
    },
    send: (text) => socket.send(text),
    close: (code) => socket.close(code),
    // The browser has no abrupt close; a close without waiting is the nearest (and still fires `close`).
    terminate: () => socket.close(),
  };
};

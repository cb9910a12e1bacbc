/**
 * The transport-neutral core of Braid's WebSocket client: one connection carrying run subscriptions that
 * survive dropped connections. It reconnects with backoff and resubscribes each run with `after` = the last seq
 * it delivered, drops duplicates, holds events that arrive ahead of a missing one until it comes (catch-up and
 * live pushes may interleave), and resubscribes when a gap outlasts `gapTimeoutMs`, so callbacks see every
 * event once, in order.
 * The socket itself comes from a `SocketFactory`: `ws` in Node (`ws-client.ts`), the browser's `WebSocket`
 * in the console (`ws-browser.ts`).
 */
import type { ErrorMessage, ServerMessage } from '../shared/live/messages';
import type { RunEvent, RunEventType } from '../shared/model/types';

/** What the client needs of a socket. */
export interface LiveSocket {
  /** True once the handshake completed and until the socket closes. */
  readonly isOpen: boolean;
  send(text: string): void;
  /** Closes with a close frame. */
  close(code?: number): void;
  /** Drops the connection abruptly (no close frame). */
  terminate(): void;
}

/** Callbacks a socket reports to. */
export interface LiveSocketHandlers {
  onOpen(): void;
  onMessage(text: string): void;
  /** The connection ended (or never opened). */
  onClose(): void;
  /** The server refused the handshake with this HTTP status (only transports that can see it report it). */
  onRefused(status: number): void;
}

/** Opens a socket to `url`. */
export type SocketFactory = (url: string, handlers: LiveSocketHandlers) => LiveSocket;

/** Event types that end a run. */
export const TERMINAL_EVENT_TYPES: readonly RunEventType[] = ['run.succeeded', 'run.failed', 'run.cancelled', 'run.timed_out'];

/** Connection state changes reported to `onStatus`. */
export type LiveStatus = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** Options of `LiveClient`. */
export interface LiveClientOptions {
  /** Opens the sockets. */
  socketFactory: SocketFactory;
  /** WebSocket URL, e.g. `ws://127.0.0.1:3001` or `wss://…/prod`. */
  url: string;
  /** JWT sent as `?token=`. */
  token: string;
  /** First reconnect delay. @default 100 */
  minReconnectMs?: number;
  /** Longest reconnect delay. @default 5000 */
  maxReconnectMs?: number;
  /** How long an event ahead of a missing one waits for it before the client resubscribes from what it holds. @default 2000 */
  gapTimeoutMs?: number;
  /** Connection status changes. */
  onStatus?: (status: LiveStatus, detail?: string) => void;
  /** The server refused the connection (401/403): the client stops. */
  onFatal?: (error: LiveClientError) => void;
}

/** Callbacks of one run subscription. */
export interface RunSubscriptionOptions {
  /** Last seq already held. @default 0 */
  after?: number;
  onEvent: (event: RunEvent) => void;
  /** The server refused or failed the subscription (e.g. `not_found`); the subscription ends. */
  onError?: (error: LiveClientError) => void;
}

/** A live subscription to one run. */
export interface RunSubscription {
  readonly runId: string;
  /** Last seq delivered to `onEvent`. */
  readonly lastSeq: number;
  unsubscribe(): void;
}

/** An error reported by the server or the connection. */
export class LiveClientError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LiveClientError';
    this.code = code;
  }
}

interface SubState {
  runId: string;
  lastSeq: number;
  /** Events received ahead of `lastSeq + 1`, by seq. */
  ahead: Map<number, RunEvent>;
  /** Fires when a gap has lasted `gapTimeoutMs`. */
  gapTimer: ReturnType<typeof setTimeout> | undefined;
  options: RunSubscriptionOptions;
}

/** Most events held ahead of a gap per subscription; beyond it the client resubscribes at once. */
const MAX_AHEAD = 1_000;

/** One WebSocket connection carrying any number of run subscriptions. */
export class LiveClient {
  private socket: LiveSocket | undefined;
  private readonly subs = new Map<string, SubState>();
  private closed = false;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** Times the client has reconnected after a drop. */
  reconnects = 0;
  private resubscribeTimer: ReturnType<typeof setTimeout> | undefined;
  /** Backs resubscribing after internal server errors off; reset by an acknowledged subscribe. */
  private backoffStep = 0;
  /** "Internal server error" replies received (each makes the client resubscribe its runs). */
  internalErrors = 0;

  constructor(private readonly options: LiveClientOptions) {
    this.connect();
  }

  /** Subscribes to a run; events with `seq > after` arrive in order, once each. */
  subscribe(runId: string, options: RunSubscriptionOptions): RunSubscription {
    const state: SubState = { runId, lastSeq: options.after ?? 0, ahead: new Map(), gapTimer: undefined, options };
    this.subs.set(runId, state);
    this.sendSubscribe(state);
    const client = this;
    return {
      runId,
      get lastSeq() {
        return state.lastSeq;
      },
      unsubscribe() {
        clearTimeout(state.gapTimer);
        if (client.subs.get(runId) === state) client.subs.delete(runId);
        client.send({ action: 'unsubscribe', runId });
      },
    };
  }

  /** Closes the connection for good. */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    clearTimeout(this.resubscribeTimer);
    for (const state of this.subs.values()) clearTimeout(state.gapTimer);
    this.socket?.close(1000);
    this.options.onStatus?.('closed');
  }

  /** Drops the current connection without closing the client (tests). */
  dropConnection(): void {
    this.socket?.terminate();
  }

  private connect(): void {
    const url = new URL(this.options.url);
    url.searchParams.set('token', this.options.token);
    this.options.onStatus?.(this.attempt === 0 && this.reconnects === 0 ? 'connecting' : 'reconnecting');
    let socket: LiveSocket | undefined = undefined;
    const current = () => socket !== undefined && this.socket === socket;
    socket = this.options.socketFactory(url.toString(), {
      onOpen: () => {
        if (!current()) return;
        this.attempt = 0;
        this.options.onStatus?.('open');
        for (const state of this.subs.values()) this.sendSubscribe(state);
      },
      onMessage: (text) => {
        if (current()) this.onMessage(text);
      },
      onRefused: (status) => {
        if (status !== 401 && status !== 403) return;
        this.closed = true;
        this.options.onStatus?.('closed', `refused: HTTP ${status}`);
        this.options.onFatal?.(new LiveClientError(status === 401 ? 'unauthenticated' : 'forbidden', `connection refused with HTTP ${status}`));
      },
      onClose: () => {
        if (!current() || this.closed) return;
        this.scheduleReconnect();
      },
    });
    this.socket = socket;
  }

  private scheduleReconnect(): void {
    const min = this.options.minReconnectMs ?? 100;
    const max = this.options.maxReconnectMs ?? 5_000;
    const ceiling = Math.min(max, min * 2 ** this.attempt);
    this.attempt += 1;
    this.reconnects += 1;
    this.timer = setTimeout(() => this.connect(), Math.max(min, Math.floor(Math.random() * ceiling)));
  }

  private send(message: object): void {
    if (this.socket?.isOpen) this.socket.send(JSON.stringify(message));
  }

  private sendSubscribe(state: SubState): void {
    this.send({ action: 'subscribe', runId: state.runId, after: state.lastSeq });
  }

  private scheduleResubscribe(): void {
    if (this.resubscribeTimer) return;
    this.internalErrors += 1;
    const delay = Math.min(this.options.maxReconnectMs ?? 5_000, (this.options.minReconnectMs ?? 100) * 2 ** Math.min(this.backoffStep, 6));
    this.backoffStep += 1;
    this.resubscribeTimer = setTimeout(() => {
      this.resubscribeTimer = undefined;
      for (const state of this.subs.values()) this.sendSubscribe(state);
    }, Math.floor(delay / 2 + Math.random() * (delay / 2)));
  }

  private onMessage(text: string): void {
    let message: ServerMessage;
    try {
      message = JSON.parse(text) as ServerMessage;
    } catch {
      return;
    }
    if (typeof message?.type !== 'string') {
      // API Gateway's reply when a route's integration failed ({"message":"Internal server error",...}): it does
      // not say which request. A failed subscribe or catch-up may have left a run short, so ask again for every
      // run from what we hold (repeats are dropped by seq).
      if ((message as { message?: unknown } | null)?.message === 'Internal server error') this.scheduleResubscribe();
      return;
    }
    if (message.type === 'subscribed') this.backoffStep = 0;
    if (message.type === 'error') return this.onServerError(message);
    if (message.type === 'subscribed' || message.type === 'unsubscribed') return;
    const event = message as RunEvent;
    const state = this.subs.get(event.runId);
    if (!state || event.seq <= state.lastSeq) return;
    if (event.seq > state.lastSeq + 1) {
      // Ahead of a missing event (a catch-up and live pushes interleaving, or a lost push): hold it.
      state.ahead.set(event.seq, event);
      if (state.ahead.size > MAX_AHEAD) this.resync(state);
      else if (!state.gapTimer) state.gapTimer = setTimeout(() => this.resync(state), this.options.gapTimeoutMs ?? 2_000);
      return;
    }
    this.deliver(state, event);
    for (let next = state.ahead.get(state.lastSeq + 1); next; next = state.ahead.get(state.lastSeq + 1)) {
      state.ahead.delete(next.seq);
      this.deliver(state, next);
    }
    if (state.ahead.size === 0) {
      clearTimeout(state.gapTimer);
      state.gapTimer = undefined;
    }
  }

  private deliver(state: SubState, event: RunEvent): void {
    state.lastSeq = event.seq;
    state.options.onEvent(event);
  }

  /** The gap did not fill: ask the server again from what we hold; what was held ahead arrives again. */
  private resync(state: SubState): void {
    clearTimeout(state.gapTimer);
    state.gapTimer = undefined;
    state.ahead.clear();
    if (this.subs.get(state.runId) === state) this.sendSubscribe(state);
  }

  private onServerError(message: ErrorMessage): void {
    const error = new LiveClientError(message.code, message.message);
    const state = message.runId !== undefined ? this.subs.get(message.runId) : undefined;
    if (!state) return;
    clearTimeout(state.gapTimer);
    this.subs.delete(state.runId);
    state.options.onError?.(error);
  }
}

/** Options of `watchRun`. */
export type WatchRunOptions = Omit<LiveClientOptions, 'onFatal'> & { runId: string; after?: number; onEvent?: (event: RunEvent) => void };

/** What `watchRun` resolves with. */
export interface WatchResult {
  /** The event that ended the run. */
  terminal: RunEvent;
  lastSeq: number;
}

/**
 * Watches one run until it ends (a terminal event), across reconnects.
 * @example const { terminal } = await watchRun({ url, token, runId, onEvent: (e) => console.log(e.type) }).done
 */
export function watchRun(options: WatchRunOptions): {
  done: Promise<WatchResult>;
  client: LiveClient;
  close(): void;
} {
  let resolveDone!: (value: WatchResult) => void;
  let rejectDone!: (error: unknown) => void;
  const done = new Promise<WatchResult>((resolve, reject) => {
    resolveDone = resolve;
    rejectDone = reject;
  });
  const client = new LiveClient({ ...options, onFatal: (error) => rejectDone(error) });
  client.subscribe(options.runId, {
    after: options.after ?? 0,
    onEvent: (event) => {
      options.onEvent?.(event);
      if (TERMINAL_EVENT_TYPES.includes(event.type)) resolveDone({ terminal: event, lastSeq: event.seq });
    },
    onError: (error) => rejectDone(error),
  });
  void done.then(() => client.close(), () => client.close());
  return { done, client, close: () => client.close() };
}

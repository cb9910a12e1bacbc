/**
 * What every page gets: the config, the session, the HTTP client and one shared live connection (all from
 * `client/`, the same code the CLI uses), and a way to navigate.
 */
import { BraidHttpClient, BraidHttpError } from '../../client/http-client';
import { LiveClient, type LiveStatus } from '../../client/live-client';
import { browserSocketFactory } from '../../client/ws-browser';
import type { ConsoleConfig } from './config';
import type { Session } from './session';

/** The app context. */
export interface App {
  config: ConsoleConfig;
  session: Session;
  http: BraidHttpClient;
  /** The live connection, opened on first use. */
  live(): LiveClient;
  /** Current live status, and a way to hear about changes. */
  liveStatus: { current: LiveStatus; listeners: Set<(status: LiveStatus) => void> };
  navigate(hash: string): void;
  /** The session ended (a 401): back to sign-in. */
  expired(): void;
}

/** Builds the context for a signed-in user. */
export function createApp(config: ConsoleConfig, session: Session, expired: () => void): App {
  const fetchWithExpiry: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    if (res.status === 401) expired();
    return res;
  };
  let live: LiveClient | undefined;
  const liveStatus: App['liveStatus'] = { current: 'connecting', listeners: new Set() };
  return {
    config,
    session,
    http: new BraidHttpClient({ url: config.apiUrl, token: session.token, fetch: fetchWithExpiry }),
    live() {
      live ??= new LiveClient({
        url: config.wsUrl,
        token: session.token,
        socketFactory: browserSocketFactory,
        minReconnectMs: 250,
        maxReconnectMs: 5_000,
        onStatus: (status) => {
          liveStatus.current = status;
          for (const listener of liveStatus.listeners) listener(status);
        },
      });
      return live;
    },
    liveStatus,
    navigate: (hash) => {
      window.location.hash = hash;
    },
    expired,
  };
}

/** The message to show for a failed call: the API's own message and code, never a bare "failed". */
export function errorText(error: unknown): string {
  if (error instanceof BraidHttpError) {
    if (error.status === 404 && error.code === undefined) return `${error.message} (this server does not have that route yet)`;
    return error.code ? `${error.message} [${error.code}]` : error.message;
  }
  return error instanceof Error ? error.message : String(error);
}

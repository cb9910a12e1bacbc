/**
 * The console's runtime config, `config.json` next to the assets: written by the CDK stack in AWS, served by
 * the local stack on the laptop. It names the API and WebSocket URLs and how to sign in.
 */

/** How users sign in. */
export type AuthConfig =
  /** Local stack: pick a user, the stack mints a token (`POST /local/token`). */
  | { mode: 'local' }
  /** Cognito hosted UI, authorization code with PKCE; `domain` is `https://<prefix>.auth.<region>.amazoncognito.com`. */
  | { mode: 'cognito'; domain: string; clientId: string; scopes?: string[] }
  /** No hosted sign-in (an external OIDC issuer): paste a token. */
  | { mode: 'token' };

/** `config.json`. */
export interface ConsoleConfig {
  /** Base URL of the HTTP API; `""` means the console's own origin. */
  apiUrl: string;
  /** WebSocket URL for live progress. */
  wsUrl: string;
  auth: AuthConfig;
  /** Local stack only: a definition the console offers to create. */
  demoWorkflow?: unknown;
}

/** Loads `config.json` from next to `index.html`. */
export async function loadConfig(): Promise<ConsoleConfig> {
  const res = await fetch(new URL('config.json', document.baseURI), { cache: 'no-store' });
  if (!res.ok) throw new Error(`config.json: HTTP ${res.status}`);
  const config = (await res.json()) as Partial<ConsoleConfig>;
  if (typeof config.wsUrl !== 'string' || typeof config.auth?.mode !== 'string') throw new Error('config.json: needs wsUrl and auth.mode');
  return { apiUrl: config.apiUrl || window.location.origin, wsUrl: config.wsUrl, auth: config.auth, ...(config.demoWorkflow !== undefined ? { demoWorkflow: config.demoWorkflow } : {}) };
}

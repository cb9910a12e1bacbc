/**
 * Who is signed in: the token (kept in `sessionStorage`, gone with the tab), the user it names, and the three
 * ways to get one: the local stack's user picker, the Cognito hosted UI with PKCE, or a pasted token.
 */
import type { ConsoleConfig } from './config';
import { codeChallenge, randomString } from './pkce';

const TOKEN_KEY = 'braid.token';
const PKCE_KEY = 'braid.pkce';

/** A signed-in user. */
export interface Session {
  token: string;
  userId: string;
  /** Expiry, epoch seconds, when the token says. */
  exp?: number;
}

/** Reads a JWT's claims without verifying them (the API verifies; the console only shows who it is). */
export function claimsOf(token: string): Record<string, unknown> {
  try {
    const part = token.split('.')[1] ?? '';
    const binary = atob(part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '='));
    return JSON.parse(new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)))) as Record<string, unknown>;
  } catch {
    return {};
  }
}

/** A session from a token, or undefined when it is malformed or expired. */
export function sessionOf(token: string): Session | undefined {
  const claims = claimsOf(token);
  if (typeof claims.sub !== 'string') return undefined;
  const exp = typeof claims.exp === 'number' ? claims.exp : undefined;
  if (exp !== undefined && exp * 1000 < Date.now()) return undefined;
  return { token, userId: String(claims.sub), ...(exp !== undefined ? { exp } : {}) };
}

/** The stored session, if still valid. */
export function currentSession(): Session | undefined {
  const token = sessionStorage.getItem(TOKEN_KEY);
  return token ? sessionOf(token) : undefined;
}

/** Stores a token; throws when it is not a usable JWT. */
export function saveToken(token: string): Session {
  const session = sessionOf(token.trim());
  if (!session) throw new Error('that is not a valid, unexpired token');
  sessionStorage.setItem(TOKEN_KEY, session.token);
  return session;
}

/** Forgets the session. */
export function signOut(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}

/** Local stack: asks it to mint a token for `userId`. */
export async function signInLocal(userId: string): Promise<Session> {
  const res = await fetch(new URL('local/token', document.baseURI), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userId }),
  });
  const body = (await res.json().catch(() => ({}))) as { token?: string; error?: { message?: string } };
  if (!res.ok || !body.token) throw new Error(body.error?.message ?? `sign-in failed: HTTP ${res.status}`);
  return saveToken(body.token);
}

function redirectUri(): string {
  return `${window.location.origin}${window.location.pathname}`;
}

/** Cognito: goes to the hosted UI (authorization code with PKCE). */
export async function startHostedSignIn(config: Extract<ConsoleConfig['auth'], { mode: 'cognito' }>): Promise<void> {
  const verifier = randomString(64);
  const state = randomString(24);
  sessionStorage.setItem(PKCE_KEY, JSON.stringify({ verifier, state, back: window.location.hash }));
  const url = new URL('/oauth2/authorize', config.domain);
  url.search = new URLSearchParams({
    response_type: 'code', client_id: config.clientId, redirect_uri: redirectUri(),
    scope: (config.scopes ?? ['openid', 'email', 'profile']).join(' '),
    code_challenge_method: 'S256', code_challenge: await codeChallenge(verifier), state,
  }).toString();
  window.location.assign(url.toString());
}

/** Cognito: finishes a sign-in when the page was opened with `?code=&state=`; returns undefined otherwise. */
export async function finishHostedSignIn(config: ConsoleConfig['auth']): Promise<Session | undefined> {
  const params = new URLSearchParams(window.location.search);
  const code = params.get('code');
  if (config.mode !== 'cognito' || !code) return undefined;
  const saved = JSON.parse(sessionStorage.getItem(PKCE_KEY) ?? '{}') as { verifier?: string; state?: string; back?: string };
  sessionStorage.removeItem(PKCE_KEY);
  window.history.replaceState(null, '', `${window.location.pathname}${saved.back ?? ''}`);
  if (!saved.verifier || saved.state !== params.get('state')) throw new Error('sign-in failed: the state does not match (start again)');
  const res = await fetch(new URL('/oauth2/token', config.domain), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', client_id: config.clientId, code, redirect_uri: redirectUri(), code_verifier: saved.verifier }),
  });
  const body = (await res.json().catch(() => ({}))) as { id_token?: string; error?: string };
  // The ID token carries `aud` = the app client, which is what the API's authorizers check.
  if (!res.ok || !body.id_token) throw new Error(`sign-in failed: ${body.error ?? `HTTP ${res.status}`}`);
  return saveToken(body.id_token);
}

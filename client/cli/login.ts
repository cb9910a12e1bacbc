/**
 * `braid login`: checks a token against the API and stores URL, WebSocket URL and token in the config file
 * (mode 0600). `--user <id>` asks the local stack to mint the token (its local-only sign-in route).
 */
import type { Command } from 'commander';
import { BraidHttpClient } from '../http-client';
import { LOCAL_DEFAULTS, UsageError } from './context';
import { writeConfigFile } from './config-file';
import { readStdin } from './input';
import type { Action } from './program';

async function localToken(url: string, userId: string): Promise<string> {
  const res = await fetch(`${url.replace(/\/+$/, '')}/local/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ userId }) });
  const body = (await res.json().catch(() => ({}))) as { token?: string; error?: { message?: string } };
  if (!res.ok || !body.token) {
    throw new UsageError(res.status === 404 ? `${url} has no local sign-in (only npm run dev does): use --token` : `local sign-in failed: ${body.error?.message ?? `HTTP ${res.status}`}`);
  }
  return body.token;
}

/** Registers `login`. */
export function registerLogin(program: Command, action: Action): void {
  program.command('login')
    .description('store the URL and a token in the config file (mode 0600); --user signs in on the local stack')
    .option('--user <userId>', 'local stack only: sign in as this user')
    .action(action(async (ctx, opts: { user?: string }) => {
      const global = ctx.options;
      const url = global.url ?? ctx.io.env.BRAID_URL ?? LOCAL_DEFAULTS.url;
      const wsUrl = global.wsUrl ?? ctx.io.env.BRAID_WS_URL ?? LOCAL_DEFAULTS.wsUrl;
      let token = global.token === '-' ? (await readStdin(ctx.io)).trim() : global.token ?? ctx.io.env.BRAID_TOKEN;
      if (opts.user) token = await localToken(url, opts.user);
      if (!token) throw new UsageError('login needs --token <jwt> (or - to read it from stdin), BRAID_TOKEN, or --user on the local stack');
      // A token the API refuses is not stored.
      await new BraidHttpClient({ url, token }).listWorkflows('mine', { limit: 1 });
      const path = await writeConfigFile(ctx.io.env, { url, wsUrl, token });
      ctx.print({ url, wsUrl, config: path }, () => `logged in to ${url}; saved to ${path}`);
    }));
}

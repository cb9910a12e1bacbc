/**
 * What every CLI command shares: where it writes, exit codes, how URL and token are found (flag, then
 * environment, then the config file `braid login` wrote), `--json` output, and the error-to-exit-code mapping.
 */
import { BraidHttpClient, BraidHttpError } from '../http-client';
import { LiveClientError } from '../live-client';
import { readConfigFile, type CliConfigFile } from './config-file';
import { UsageError } from './errors';

export { UsageError } from './errors';

/** Where the CLI writes, and its environment (injectable for tests). */
export interface CliIo {
  stdout: { write(text: string): unknown; isTTY?: boolean; columns?: number };
  stderr: { write(text: string): unknown };
  env: NodeJS.ProcessEnv;
  /** Reads all of stdin (for `--token -` and `secrets put name -`). @default process.stdin */
  readStdin?: () => Promise<string>;
}

/** Exit codes. */
export const EXIT = {
  ok: 0,
  /** The answer is "no": the watched run did not succeed, the definition is invalid. */
  runNotSucceeded: 1,
  usage: 2,
  /** The API refused (4xx/5xx, a WebSocket error). */
  apiError: 3,
  /** The server could not be reached. */
  unreachable: 4,
} as const;

/** Defaults matching the local stack (`npm run dev`). */
export const LOCAL_DEFAULTS = { url: 'http://127.0.0.1:3000', wsUrl: 'ws://127.0.0.1:3001' } as const;


/** Options every command accepts. */
export interface GlobalOptions {
  url?: string;
  wsUrl?: string;
  token?: string;
  json?: boolean;
}

/** Resolved connection settings. */
export interface Connection {
  url: string;
  wsUrl: string;
  token: string;
  http: BraidHttpClient;
}

/** A command's context: io, options, and the connection on demand. */
export interface CommandContext {
  io: CliIo;
  json: boolean;
  /** The global options as given. */
  options: GlobalOptions;
  connect(): Promise<Connection>;
  /** Prints `value` as JSON with `--json`, else `text()`. */
  print(value: unknown, text: () => string): void;
}

/** Builds a command context from the global options. */
export function commandContext(io: CliIo, options: GlobalOptions): CommandContext {
  return {
    io,
    json: options.json === true,
    options,
    async connect() {
      const file: CliConfigFile = (await readConfigFile(io.env)) ?? {};
      const url = options.url ?? io.env.BRAID_URL ?? file.url ?? LOCAL_DEFAULTS.url;
      const wsUrl = options.wsUrl ?? io.env.BRAID_WS_URL ?? file.wsUrl ?? LOCAL_DEFAULTS.wsUrl;
      const token = options.token ?? io.env.BRAID_TOKEN ?? file.token;
      if (!token) throw new UsageError('a token is required: braid login, --token or BRAID_TOKEN (locally: braid login --user alice)');
      return { url, wsUrl, token, http: new BraidHttpClient({ url, token }) };
    },
    print(value, text) {
      io.stdout.write(options.json ? `${JSON.stringify(value, null, 2)}\n` : `${text()}\n`);
    },
  };
}

/** Maps an error to its exit code, writing the message to stderr. */
export function reportError(io: CliIo, error: unknown): number {
  if (error instanceof UsageError) {
    io.stderr.write(`braid: ${error.message}\n`);
    return EXIT.usage;
  }
  if (error instanceof BraidHttpError || error instanceof LiveClientError) {
    io.stderr.write(`braid: ${error.message}${error.code ? ` [${error.code}]` : ''}\n`);
    return EXIT.apiError;
  }
  const cause = (error as { cause?: { code?: string; errors?: { code?: string }[] } }).cause;
  const code = cause?.code ?? cause?.errors?.[0]?.code;
  if (error instanceof TypeError && (code !== undefined || error.message === 'fetch failed')) {
    io.stderr.write(`braid: cannot reach the server (${code ?? error.message}); is it running? (npm run dev)\n`);
    return EXIT.unreachable;
  }
  io.stderr.write(`braid: ${(error as Error).message ?? String(error)}\n`);
  return EXIT.apiError;
}

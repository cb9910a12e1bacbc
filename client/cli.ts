/**
 * The `braid` command line (`npm run braid -- <command>`): start and watch runs live, decide gates, create
 * workflows. URL and token come from flags or `BRAID_URL`, `BRAID_WS_URL`, `BRAID_TOKEN`.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import type { RunEvent } from '../shared/model/types';
import { BraidHttpClient, BraidHttpError } from './http-client';
import { applyEvent, createRunView, renderRunView, type RunView } from './live-view';
import { watchRun, type LiveStatus } from './ws-client';

/** Where the CLI writes, and its environment (injectable for tests). */
export interface CliIo {
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown };
  env: NodeJS.ProcessEnv;
}

/** Exit codes. */
export const EXIT = { ok: 0, runNotSucceeded: 1, usage: 2, apiError: 3 } as const;

/** Defaults matching the local stack (`npm run dev`). */
export const LOCAL_DEFAULTS = { url: 'http://127.0.0.1:3000', wsUrl: 'ws://127.0.0.1:3001' } as const;

const USAGE = `usage: braid <command> [options]

commands:
  run <workflowId> [--input file.json] [--idempotency-key key] [--watch]
  watch <runId>
  approve <runId> <nodeId> [--comment text] [--item index]
  reject <runId> <nodeId> [--comment text] [--item index]
  workflows create <file.json>

options:
  --url <http url>     API base URL      (env BRAID_URL,    default ${LOCAL_DEFAULTS.url})
  --ws-url <ws url>    WebSocket URL     (env BRAID_WS_URL, default ${LOCAL_DEFAULTS.wsUrl})
  --token <jwt>        bearer token      (env BRAID_TOKEN)
`;

class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Runs the CLI with `argv` (without `node` and the script); resolves with the exit code. */
export async function main(argv: string[], io: CliIo = { stdout: process.stdout, stderr: process.stderr, env: process.env }): Promise<number> {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        url: { type: 'string' },
        'ws-url': { type: 'string' },
        token: { type: 'string' },
        input: { type: 'string' },
        'idempotency-key': { type: 'string' },
        watch: { type: 'boolean', default: false },
        comment: { type: 'string' },
        item: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
    const [command, ...args] = positionals;
    if (values.help || !command) {
      io.stdout.write(USAGE);
      return values.help ? EXIT.ok : EXIT.usage;
    }
    const url = values.url ?? io.env.BRAID_URL ?? LOCAL_DEFAULTS.url;
    const wsUrl = values['ws-url'] ?? io.env.BRAID_WS_URL ?? LOCAL_DEFAULTS.wsUrl;
    const token = values.token ?? io.env.BRAID_TOKEN;
    if (!token) throw new UsageError('a token is required: --token or BRAID_TOKEN (locally: npm run --silent token -- <userId>)');
    const http = new BraidHttpClient({ url, token });

    switch (command) {
      case 'run': {
        const workflowId = need(args[0], 'run needs a <workflowId>');
        const input = values.input ? await readJson(values.input) : {};
        const started = await http.startRun(workflowId, input, values['idempotency-key']);
        io.stdout.write(`run ${started.runId} ${started.status}\n`);
        if (!values.watch) return EXIT.ok;
        return await watch(http, wsUrl, token, started.runId, io);
      }
      case 'watch':
        return await watch(http, wsUrl, token, need(args[0], 'watch needs a <runId>'), io);
      case 'approve':
      case 'reject': {
        const runId = need(args[0], `${command} needs a <runId>`);
        const nodeId = need(args[1], `${command} needs a <nodeId>`);
        await http.decideGate(runId, nodeId, command, values.comment !== undefined ? { comment: values.comment } : {}, values.item);
        io.stdout.write(`${command === 'approve' ? 'approved' : 'rejected'} ${nodeId} of run ${runId}\n`);
        return EXIT.ok;
      }
      case 'workflows': {
        if (args[0] !== 'create') throw new UsageError('usage: braid workflows create <file.json>');
        const created = await http.createWorkflow(await readJson(need(args[1], 'workflows create needs a <file>')));
        io.stdout.write(`workflow ${created.id} version ${created.version ?? 1}\n`);
        for (const w of created.warnings ?? []) io.stderr.write(`warning ${w.code} at ${w.path}: ${w.message}\n`);
        return EXIT.ok;
      }
      default:
        throw new UsageError(`unknown command ${command}`);
    }
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr.write(`braid: ${(error as Error).message}\n\n${USAGE}`);
      return EXIT.usage;
    }
    if (error instanceof BraidHttpError) {
      io.stderr.write(`braid: ${error.message}\n`);
      return EXIT.apiError;
    }
    io.stderr.write(`braid: ${(error as Error).message ?? String(error)}\n`);
    return EXIT.apiError;
  }
}

/** Watches a run live until it ends; the exit code says whether it succeeded. */
async function watch(http: BraidHttpClient, wsUrl: string, token: string, runId: string, io: CliIo): Promise<number> {
  let view: RunView;
  try {
    view = createRunView(runId, await http.listNodeRuns(runId));
  } catch (error) {
    // The node list only pre-fills nodes that have not started yet; events alone still draw the run.
    io.stderr.write(`braid: could not list nodes (${(error as Error).message}); showing nodes as they start\n`);
    view = createRunView(runId);
  }
  const tty = io.stdout.isTTY === true;
  let drawnLines = 0;
  const draw = (): void => {
    const text = renderRunView(view);
    // On a terminal, redraw in place; elsewhere, the event lines above already tell the story.
    if (drawnLines > 0) io.stdout.write(`\x1b[${drawnLines}F\x1b[J`);
    io.stdout.write(`${text}\n`);
    drawnLines = text.split('\n').length;
  };
  const onEvent = (event: RunEvent): void => {
    applyEvent(view, event);
    if (tty) draw();
    else io.stdout.write(`${event.seq} ${event.type}${event.nodeId ? ` ${event.nodeId}` : ''}\n`);
  };
  const onStatus = (status: LiveStatus, detail?: string): void => {
    if (status === 'reconnecting') io.stderr.write(`braid: connection lost; resuming after seq ${view.lastSeq}\n`);
    if (detail) io.stderr.write(`braid: ${detail}\n`);
  };
  const watcher = watchRun({ url: wsUrl, token, runId, onEvent, onStatus });
  const { terminal } = await watcher.done;
  if (!tty) io.stdout.write(`${renderRunView(view)}\n`);
  return terminal.type === 'run.succeeded' ? EXIT.ok : EXIT.runNotSucceeded;
}

function need(value: string | undefined, message: string): string {
  if (!value) throw new UsageError(message);
  return value;
}

async function readJson(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`cannot read JSON from ${file}: ${(error as Error).message}`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then((code) => process.exit(code), (error: unknown) => {
    console.error(error);
    process.exit(EXIT.apiError);
  });
}

/**
 * The `braid` program: commander with injected output, one file per command group, and a result code per
 * action (commander's own parse errors become exit 2).
 */
import { Command, CommanderError } from 'commander';
import { commandContext, EXIT, reportError, type CliIo, type CommandContext, type GlobalOptions } from './context';
import { registerGates } from './gates';
import { registerLogin } from './login';
import { registerRuns } from './runs';
import { registerSecrets } from './secrets';
import { registerWatch } from './watch';
import { registerWorkflows } from './workflows';

/** Runs an action: its context from the global options, its exit code (void = ok), errors mapped to codes. */
export type Action = <A extends unknown[]>(fn: (ctx: CommandContext, ...args: A) => Promise<number | void>) => (...args: unknown[]) => Promise<void>;

/** Builds the program; `result.code` holds the exit code after `parseAsync`. */
export function createProgram(io: CliIo): { program: Command; result: { code: number } } {
  const result = { code: EXIT.ok as number };
  const program = new Command('braid')
    .description('Braid from the command line: workflows, runs, live progress, gates and secrets.')
    .option('--url <url>', 'API base URL (env BRAID_URL, then the login config, default http://127.0.0.1:3000)')
    .option('--ws-url <url>', 'WebSocket URL (env BRAID_WS_URL, then the login config, default ws://127.0.0.1:3001)')
    .option('--token <jwt>', 'bearer token (env BRAID_TOKEN, then the login config)')
    .option('--json', 'print machine-readable JSON')
    .showHelpAfterError('(braid --help lists the commands)')
    .configureOutput({ writeOut: (text) => void io.stdout.write(text), writeErr: (text) => void io.stderr.write(text) })
    .exitOverride();
  program.addHelpText('after', `
Exit codes: 0 ok, 1 the run did not succeed or the definition is invalid, 2 usage, 3 the API refused, 4 unreachable.
The demo gate node is called "approve": braid approve <runId> approve`);

  const action: Action = (fn) => async (...args: unknown[]) => {
    // commander passes positional arguments, then the command's options, then the command itself.
    const command = args.at(-1) as Command;
    const ctx = commandContext(io, command.optsWithGlobals<GlobalOptions>());
    try {
      result.code = (await fn(ctx, ...(args.slice(0, -1) as never))) ?? EXIT.ok;
    } catch (error) {
      result.code = reportError(io, error);
    }
  };
  for (const register of [registerLogin, registerWorkflows, registerRuns, registerWatch, registerGates, registerSecrets]) register(program, action);
  return { program, result };
}

/** Runs the CLI with `argv` (without `node` and the script); resolves with the exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const { program, result } = createProgram(io);
  if (argv.length === 0) {
    program.outputHelp();
    return EXIT.usage;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return result.code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // `--help` exits 0; help shown because a command group was called without a command is a usage error.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    return reportError(io, error);
  }
}

/**
 * The `braid` command line (`npm run braid -- <command>`): workflows, runs, live progress, gates, replies
 * and secrets over the HTTP and WebSocket APIs. The commands live in `client/cli/`, one file per group.
 */
import { pathToFileURL } from 'node:url';
import { EXIT, type CliIo } from './cli/context';
import { runCli } from './cli/program';

export { EXIT, LOCAL_DEFAULTS, type CliIo } from './cli/context';

/** Runs the CLI with `argv` (without `node` and the script); resolves with the exit code. */
export function main(argv: string[], io: CliIo = { stdout: process.stdout, stderr: process.stderr, env: process.env }): Promise<number> {
  return runCli(argv, io);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then((code) => process.exit(code), (error: unknown) => {
    console.error(error);
    process.exit(EXIT.apiError);
  });
}

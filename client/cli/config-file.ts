/**
 * The CLI's config file, written by `braid login`: URL, WebSocket URL and token, readable by its owner only
 * (mode 0600). Path: `BRAID_CONFIG`, else `$XDG_CONFIG_HOME/braid/config.json`, else `~/.config/braid/config.json`.
 */
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** What the file holds. */
export interface CliConfigFile {
  url?: string;
  wsUrl?: string;
  token?: string;
}

/** The file's path for this environment, or undefined when the environment names no home. */
export function configPath(env: NodeJS.ProcessEnv): string | undefined {
  if (env.BRAID_CONFIG) return env.BRAID_CONFIG;
  if (env.XDG_CONFIG_HOME) return join(env.XDG_CONFIG_HOME, 'braid', 'config.json');
  if (env.HOME) return join(env.HOME, '.config', 'braid', 'config.json');
  return undefined;
}

/** Reads the file; undefined when there is none. A malformed file is an error that names it. */
export async function readConfigFile(env: NodeJS.ProcessEnv): Promise<CliConfigFile | undefined> {
  const path = configPath(env);
  if (!path) return undefined;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = JSON.parse(text) as CliConfigFile;
    return typeof parsed === 'object' && parsed !== null ? parsed : {};
  } catch (error) {
    throw new Error(`${path} is not JSON (${(error as Error).message}); run braid login again`);
  }
}

/** Writes the file with mode 0600 (and its folder with 0700); resolves with the path. */
export async function writeConfigFile(env: NodeJS.ProcessEnv, config: CliConfigFile): Promise<string> {
  const path = configPath(env);
  if (!path) throw new Error('no place for the config file: set BRAID_CONFIG or HOME');
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(path, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  // An existing file keeps its old mode on write: set it explicitly.
  await chmod(path, 0o600);
  return path;
}

/**
 * Builds the web console with Vite (`console/vite.config.ts`) into `console/dist` (or `outDir`): what
 * `npm run dev` serves, what the browser tests open, and what the CDK stack uploads.
 */
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

/** The console's Vite config file. */
export const CONSOLE_VITE_CONFIG = fileURLToPath(new URL('../../console/vite.config.ts', import.meta.url));

/** Builds the console; resolves with the output folder. */
export async function buildConsole(outDir?: string): Promise<string> {
  await build({ configFile: CONSOLE_VITE_CONFIG, logLevel: 'warn', ...(outDir ? { build: { outDir, emptyOutDir: true } } : {}) });
  return outDir ?? fileURLToPath(new URL('../../console/dist', import.meta.url));
}

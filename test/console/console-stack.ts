/**
 * What the browser tests run against: the console built into a temporary folder, the local stack in memory on
 * ephemeral ports serving it, the demo tool and agent on ephemeral ports (the demo workflow rewritten to them),
 * and headless Chromium from the system (`/usr/bin/chromium`, or `BRAID_CHROMIUM`), driven by playwright-core.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { startDemoAgent } from '../../examples/demo-agent';
import { startDemoTool, type DemoServer } from '../../examples/demo-tool';
import { buildConsole } from '../../infra/local/console-build';
import { createLocalStack, type LocalStack } from '../../infra/local/stack';

/** Where a Chromium may be; the first that exists is used. */
const CHROMIUM_PATHS = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

/** The system Chromium, or undefined (the tests then skip and say why). */
export function findChromium(): string | undefined {
  const configured = process.env.BRAID_CHROMIUM;
  if (configured) return existsSync(configured) ? configured : undefined;
  return CHROMIUM_PATHS.find((p) => existsSync(p));
}

/** The running fixture. */
export interface ConsoleFixture {
  stack: LocalStack;
  browser: Browser;
  demoWorkflow: unknown;
  close(): Promise<void>;
}

/** Builds the console, starts the stack, the demo servers and the browser. */
export async function startConsoleFixture(executablePath: string): Promise<ConsoleFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'braid-console-'));
  const closers: (() => Promise<unknown>)[] = [() => rm(dir, { recursive: true, force: true })];
  const close = async () => {
    for (const c of closers.reverse()) await c().catch(() => undefined);
  };
  try {
    const [distDir, tool, agent] = await Promise.all([buildConsole(join(dir, 'dist')), startDemoTool({ port: 0 }), startDemoAgent({ port: 0 })]);
    closers.push(...[tool, agent].map((s: DemoServer) => () => s.close()));
    const text = await readFile(new URL('../../examples/hotel-booking.json', import.meta.url), 'utf8');
    const demoWorkflow = JSON.parse(text.replaceAll('http://127.0.0.1:4401', tool.url).replaceAll('http://127.0.0.1:4402', agent.url)) as unknown;
    const stack = await createLocalStack({ inMemory: true, logLevel: 'ERROR', console: { distDir, demoWorkflow } });
    closers.push(() => stack.close());
    // As `npm run dev` does: the executor may reach exactly the demo servers on loopback.
    for (const server of [tool, agent]) stack.egress.allowlist.add(new URL(server.url).host);
    const browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
    closers.push(() => browser.close());
    return { stack, browser, demoWorkflow, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * `npm run dev`: the local stack on 127.0.0.1 (`PORT`, default 3000; `WS_PORT`, default 3001), data under
 * `BRAID_DATA_DIR` (default `.braid/`), and the web console at `http://127.0.0.1:3000/` (built first unless
 * `BRAID_CONSOLE=prebuilt`; `BRAID_CONSOLE=0` turns it off), DynamoDB (dynalite) in a Worker thread unless
 * `BRAID_LOCAL_STORE=in-process`, and the live fan-out posting to the WebSocket server's sockets in-process unless
 * `BRAID_LOCAL_POSTER=management-api`. Prints the URLs; Ctrl-C stops it.
 */
import { readFile } from 'node:fs/promises';
import * as z from 'zod';
import { startDemoAgent } from '../../examples/demo-agent';
import { startDemoTool } from '../../examples/demo-tool';
import { readConfig } from '../../functions/http/config';
import { buildConsole } from './console-build';
import { DataDirInUseError } from './data-dir-lock';
import { CONSOLE_DIST_DIR } from './console-server';
import { createLocalStack, DEFAULT_DATA_DIR } from './stack';

const config = readConfig(
  z.object({
    PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
    WS_PORT: z.coerce.number().int().min(0).max(65_535).default(3001),
    BRAID_DATA_DIR: z.string().min(1).default(DEFAULT_DATA_DIR),
    /** `0` skips the demo agent and tool (their ports are fixed: examples/hotel-booking.json names them). */
    BRAID_DEMO: z.enum(['0', '1']).default('1'),
    /** `build` (default) builds the console before serving it, `prebuilt` serves `console/dist` as is, `0` serves none. */
    BRAID_CONSOLE: z.enum(['build', 'prebuilt', '0']).default('build'),
    /** Hosts, host:port and CIDRs the executor may reach besides public addresses (comma-separated). */
    BRAID_EGRESS_ALLOW: z.string().default(''),
    /** Where dynalite runs: `worker` (default: its own thread, a second core) or `in-process` (Braid's event loop). */
    BRAID_LOCAL_STORE: z.enum(['worker', 'in-process']).default('worker'),
    /** How the fan-out posts to WebSocket clients: `sockets` (default, in-process) or `management-api` (the AWS SDK over HTTP, as on AWS). */
    BRAID_LOCAL_POSTER: z.enum(['sockets', 'management-api']).default('sockets'),
  }),
);

if (config.BRAID_CONSOLE === 'build') {
  const started = Date.now();
  await buildConsole();
  console.log(`console built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
const demo = config.BRAID_DEMO === '1' ? await Promise.all([startDemoTool(), startDemoAgent()]) : [];
const [tool, agent] = demo;
const demoWorkflow = config.BRAID_DEMO === '1' ? JSON.parse(await readFile(new URL('../../examples/hotel-booking.json', import.meta.url), 'utf8')) as unknown : undefined;
const stack = await createLocalStack({
  port: config.PORT, wsPort: config.WS_PORT, dataDir: config.BRAID_DATA_DIR, egressAllow: config.BRAID_EGRESS_ALLOW,
  store: config.BRAID_LOCAL_STORE, livePoster: config.BRAID_LOCAL_POSTER,
  ...(config.BRAID_CONSOLE === '0' ? {} : { console: { distDir: CONSOLE_DIST_DIR, ...(demoWorkflow ? { demoWorkflow } : {}) } }),
}).catch((error: unknown) => {
  // A folder another stack holds: say so plainly (no stack trace), and stop the demo servers with the process.
  if (error instanceof DataDirInUseError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
});
// The executor may reach the demo servers (exactly their host:port) and whatever BRAID_EGRESS_ALLOW holds; nothing else on loopback.
for (const server of demo) stack.egress.allowlist.add(new URL(server.url).host);
console.log(`Braid local stack
${config.BRAID_CONSOLE === '0' ? '' : `  Console    ${stack.httpUrl}/   (open it: sign in as any user, add the demo workflow, run it)\n`}  HTTP API   ${stack.httpUrl}/api/v1
  WebSocket  ${stack.wsUrl ?? '(off)'}
  JWKS       ${stack.jwksUrl}
  data       ${config.BRAID_DATA_DIR}/   (DynamoDB: dynalite, ${config.BRAID_LOCAL_STORE === 'worker' ? 'in a worker thread' : 'in-process'})
  egress     public addresses${stack.egress.allowlist.entries().length > 0 ? ` + ${stack.egress.allowlist.entries().join(', ')}` : ''}
${tool && agent ? `  demo tool  ${tool.url}   (hotel search, fixed data)\n  demo agent ${agent.url}   (A2A: picks the cheapest hotel)\n` : ''}
Or from a terminal:
  npm run braid -- login --user alice --url ${stack.httpUrl} --ws-url ${stack.wsUrl ?? ''}
  npm run braid -- workflows create examples/hotel-booking.json
  echo '{"city":"Paris","nights":2}' > /tmp/input.json
  npm run braid -- run <workflowId> --input /tmp/input.json --watch
  npm run braid -- approve <runId> approve       # the demo's gate node is called "approve"`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1);
    stopping = true;
    void Promise.all([stack.close(), ...demo.map((d) => d.close())]).then(() => process.exit(0));
  });
}

/**
 * A real MCP server for tests (`@modelcontextprotocol/sdk`, Streamable HTTP, stateless) on 127.0.0.1,
 * port 0, at `<url>/mcp`. Tools:
 * - `add` `{ a, b }` → structuredContent `{ sum }`;
 * - `echo` (any arguments) → a text item with the arguments as JSON (no structuredContent);
 * - `fail` `{ message? }` → a result with `isError: true`;
 * - `slow` `{ ms }` → waits, then `{ waitedMs }`.
 * Every call is recorded with its arguments, `_meta` and `Idempotency-Key` header.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import * as z from 'zod';
import { allowTestServer } from './egress';

/** A `tools/call` the server received. */
export interface RecordedToolCall {
  name: string;
  args: unknown;
  meta: Record<string, unknown> | undefined;
  idempotencyKey: string | undefined;
}

/** A running test MCP server. */
export interface McpServerHandle {
  /** The MCP endpoint (`…/mcp`), what a `tool_call` of kind `mcp` points at. */
  url: string;
  calls: RecordedToolCall[];
  close(): Promise<void>;
}

/** Options of `startMcpServer`. */
export interface McpServerOptions {
  port?: number;
  /** Answer 401 unless this header has this value. */
  requireHeader?: [string, string];
  /** Answer over SSE (so progress notifications reach the client). @default JSON */
  sse?: boolean;
  /** Called as each tool call arrives; a tool answers only once the promise it returns settles (a test's barrier). */
  onCall?: (call: RecordedToolCall) => Promise<void> | void;
}

function buildServer(calls: RecordedToolCall[], idempotencyKey: string | undefined, onCall: McpServerOptions['onCall']): McpServer {
  const server = new McpServer({ name: 'braid-test-mcp', version: '1.0.0' });
  const record = async (name: string, args: unknown, meta: Record<string, unknown> | undefined): Promise<void> => {
    const call = { name, args, meta, idempotencyKey };
    calls.push(call);
    await onCall?.(call);
  };
  server.registerTool(
    'add',
    { description: 'Adds two numbers', inputSchema: { a: z.number(), b: z.number() }, outputSchema: { sum: z.number() } },
    async ({ a, b }, extra) => {
      await record('add', { a, b }, extra._meta);
      return { content: [{ type: 'text', text: String(a + b) }], structuredContent: { sum: a + b } };
    },
  );
  server.registerTool('echo', { description: 'Echoes its arguments', inputSchema: z.looseObject({}) }, async (args, extra) => {
    await record('echo', args, extra._meta);
    return { content: [{ type: 'text', text: JSON.stringify(args) }] };
  });
  server.registerTool('fail', { description: 'Always fails', inputSchema: { message: z.string().optional() } }, async (args, extra) => {
    await record('fail', args, extra._meta);
    return { isError: true, content: [{ type: 'text', text: args.message ?? 'tool failed' }] };
  });
  server.registerTool('progress', { description: 'Reports progress steps, then answers', inputSchema: { steps: z.number() } }, async ({ steps }, extra) => {
    await record('progress', { steps }, extra._meta);
    const progressToken = extra._meta?.progressToken;
    for (let i = 1; i <= steps && progressToken !== undefined; i += 1) {
      await extra.sendNotification({ method: 'notifications/progress', params: { progressToken, progress: i, total: steps, message: `step ${i}` } });
    }
    return { content: [{ type: 'text', text: `did ${steps}` }] };
  });
  server.registerTool('slow', { description: 'Waits ms (or until the client cancels)', inputSchema: { ms: z.number() } }, async ({ ms }, extra) => {
    await record('slow', { ms }, extra._meta);
    // Unref'd and cleared on cancel: a test may ask for a wait longer than itself (only the client's deadline ends it).
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      timer.unref();
      extra.signal.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
    });
    return { content: [{ type: 'text', text: `waited ${ms}` }], structuredContent: { waitedMs: ms } };
  });
  return server;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? (JSON.parse(text) as unknown) : undefined;
}

/** Starts the MCP server on 127.0.0.1. */
export async function startMcpServer(options: McpServerOptions = {}): Promise<McpServerHandle> {
  const calls: RecordedToolCall[] = [];
  const http: Server = createServer((req, res) => {
    void (async () => {
      if (new URL(req.url ?? '/', 'http://127.0.0.1').pathname !== '/mcp') {
        res.writeHead(404).end();
        return;
      }
      if (options.requireHeader && req.headers[options.requireHeader[0].toLowerCase()] !== options.requireHeader[1]) {
        res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'unauthorized' }));
        return;
      }
      if (req.method !== 'POST') {
        // Stateless: no standalone SSE stream and no sessions to delete.
        res.writeHead(405, { allow: 'POST' }).end();
        return;
      }
      const header = req.headers['idempotency-key'];
      const server = buildServer(calls, Array.isArray(header) ? header[0] : header, options.onCall);
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: !options.sse });
      res.on('close', () => {
        void transport.close();
        void server.close();
      });
      await server.connect(transport);
      await transport.handleRequest(req, res, await readJson(req));
    })().catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  return {
    url: allowTestServer(`http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`),
    calls,
    close: () =>
      new Promise<void>((resolve, reject) => {
        http.closeAllConnections();
        http.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

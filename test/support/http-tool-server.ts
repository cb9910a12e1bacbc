/**
 * An HTTP tool for tests on 127.0.0.1, port 0: it records every request and answers as the test says
 * (status, JSON or text body, delay). Without a handler it echoes the request as JSON; the paths
 * `/status/<code>` and `/delay/<ms>` answer with that status or after that delay.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { allowTestServer } from './egress';

/** A request the tool received. */
export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string[]>;
  headers: Record<string, string | string[] | undefined>;
  /** The body parsed as JSON when it is JSON, else the raw text (`""` when empty). */
  body: unknown;
}

/** What the tool answers. */
export interface ToolResponse {
  /** @default 200 */
  status?: number;
  /** Sent as JSON unless it is a string (then as `text/plain`, or `contentType`). */
  body?: unknown;
  contentType?: string;
  /** Wait this long before answering. */
  delayMs?: number;
}

/** Options of `startHttpToolServer`. */
export interface HttpToolServerOptions {
  /** Decides the answer to request number `n` (0-based). */
  handler?: (request: RecordedRequest, n: number) => ToolResponse | Promise<ToolResponse>;
  /** @default 0 (any free port) */
  port?: number;
}

/** A running test tool. */
export interface HttpToolServerHandle {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** What the tool answers without a handler (a handler may fall back to it). */
export function defaultResponse(request: RecordedRequest): ToolResponse {
  const status = /^\/status\/(\d{3})$/.exec(request.path);
  if (status?.[1]) return { status: Number(status[1]), body: { error: `status ${status[1]}` } };
  const delay = /^\/delay\/(\d+)$/.exec(request.path);
  if (delay?.[1]) return { delayMs: Number(delay[1]), body: { delayed: Number(delay[1]) } };
  return { body: { method: request.method, query: request.query, body: request.body } };
}

/** Starts the tool on 127.0.0.1. */
export async function startHttpToolServer(options: HttpToolServerOptions = {}): Promise<HttpToolServerHandle> {
  const requests: RecordedRequest[] = [];
  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const text = await readBody(req);
      let body: unknown = text;
      if (text && /json/i.test(req.headers['content-type'] ?? '')) {
        try {
          body = JSON.parse(text);
        } catch {
          body = text;
        }
      }
      const query: Record<string, string[]> = {};
      for (const [key, value] of url.searchParams) (query[key] ??= []).push(value);
      const request: RecordedRequest = { method: req.method ?? 'GET', path: url.pathname, query, headers: req.headers, body };
      const n = requests.push(request) - 1;
      const answer = options.handler ? await options.handler(request, n) : defaultResponse(request);
      if (answer.delayMs) await new Promise((resolve) => setTimeout(resolve, answer.delayMs));
      if (res.destroyed) return;
      const isText = typeof answer.body === 'string';
      const payload = answer.body === undefined ? '' : isText ? (answer.body as string) : JSON.stringify(answer.body);
      res.writeHead(answer.status ?? 200, {
        'content-type': answer.contentType ?? (isText ? 'text/plain; charset=utf-8' : 'application/json'),
      });
      res.end(payload);
    })().catch((error: unknown) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  return {
    url: allowTestServer(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

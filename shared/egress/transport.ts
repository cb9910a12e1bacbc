/**
 * The guard's HTTP transport on `node:http`/`node:https`: one request, returned as a WHATWG `Response` whose body
 * streams. Each new connection resolves its host through `lookup` (the guard's check) and connects to the address
 * it returned, so a DNS answer that changes between check and connect cannot redirect it. Pooled keep-alive
 * sockets are keyed by host and port, so a reused socket is one that was checked for that destination.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';

/** A request as the guard sends it. */
export interface TransportRequest {
  method: string;
  headers: Headers;
  body?: string | Uint8Array | undefined;
  signal?: AbortSignal | null | undefined;
}

/** Pooled agents of one guard. */
export interface Transport {
  send(url: URL, request: TransportRequest, lookup: LookupFunction | undefined): Promise<Response>;
  close(): void;
}

const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/** Builds a transport with its own keep-alive pools; `connectTimeoutMs` bounds connection setup. */
export function createTransport(connectTimeoutMs: number): Transport {
  const agents = { http: new HttpAgent({ keepAlive: true, maxSockets: 64 }), https: new HttpsAgent({ keepAlive: true, maxSockets: 64 }) };
  return {
    send(url, request, lookup) {
      return new Promise<Response>((resolve, reject) => {
        const secure = url.protocol === 'https:';
        const headers: Record<string, string> = {};
        request.headers.forEach((value, name) => (headers[name] = value));
        if (request.body !== undefined && headers['content-length'] === undefined) headers['content-length'] = String(Buffer.byteLength(request.body));
        const options = {
          protocol: url.protocol,
          hostname: url.hostname.replace(/^\[|\]$/g, ''),
          port: url.port || (secure ? 443 : 80),
          path: `${url.pathname}${url.search}`,
          method: request.method,
          headers,
          agent: secure ? agents.https : agents.http,
          ...(lookup ? { lookup } : {}),
          ...(request.signal ? { signal: request.signal } : {}),
        };
        const req = (secure ? httpsRequest : httpRequest)(options, (res) => resolve(toResponse(res)));
        // Bound only the connection setup: the answer itself may take as long as the node's deadline allows.
        req.once('socket', (socket) => {
          if (!socket.connecting) return;
          const timer = setTimeout(() => req.destroy(Object.assign(new Error(`connect to ${url.host} timed out`), { code: 'ETIMEDOUT' })), connectTimeoutMs);
          socket.once('connect', () => clearTimeout(timer));
          socket.once('close', () => clearTimeout(timer));
        });
        req.once('error', reject);
        req.end(request.body);
      });
    },
    close() {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}

function toResponse(res: IncomingMessage): Response {
  const headers = new Headers();
  for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) headers.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
  const status = res.statusCode ?? 502;
  if (NULL_BODY_STATUSES.has(status)) {
    res.resume();
    return new Response(null, { status, statusText: res.statusMessage ?? '', headers });
  }
  // As fetch does: undo a content encoding the server applied.
  const encoding = headers.get('content-encoding')?.trim().toLowerCase();
  const decoder = encoding === 'gzip' || encoding === 'x-gzip' ? createGunzip() : encoding === 'deflate' ? createInflate() : encoding === 'br' ? createBrotliDecompress() : undefined;
  const stream: Readable = decoder ? res.pipe(decoder) : res;
  if (decoder) {
    res.once('error', (error) => decoder.destroy(error));
    headers.delete('content-encoding');
    headers.delete('content-length');
  }
  return new Response(Readable.toWeb(stream) as ReadableStream<Uint8Array>, { status, statusText: res.statusMessage ?? '', headers });
}

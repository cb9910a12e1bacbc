/**
 * The local WebSocket API: a `ws` server that turns connects, messages and closes into API Gateway WebSocket
 * events and calls the same handlers as AWS (the authorizer first), and, on the same port, the Management
 * API's `@connections/{id}` endpoint (POST, GET, DELETE), so `ApiGatewayManagementApiClient` with
 * `endpoint` = `callbackUrl` reaches these sockets. `post` is that endpoint's POST without the HTTP round trip
 * (the local stack's socket poster, `socket-poster.ts`).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type {
  APIGatewayAuthorizerResult,
  APIGatewayEventWebsocketRequestContextV2,
  APIGatewayProxyWebsocketEventV2,
  APIGatewayRequestAuthorizerEvent,
} from 'aws-lambda';
import { WebSocketServer, type WebSocket } from 'ws';
import type { WsConnectEvent, WsResult } from '../../functions/ws-connect/handler';

/** The handlers the server calls, exactly as API Gateway would. */
export interface WsHandlers {
  authorizer: (event: APIGatewayRequestAuthorizerEvent) => Promise<APIGatewayAuthorizerResult>;
  connect: (event: WsConnectEvent) => Promise<WsResult>;
  disconnect: (event: APIGatewayProxyWebsocketEventV2) => Promise<WsResult>;
  /** Serves `subscribe`, `unsubscribe` and `$default`. */
  message: (event: APIGatewayProxyWebsocketEventV2) => Promise<WsResult>;
}

/** Options of `startWsServer`. */
export interface WsServerOptions {
  handlers: WsHandlers;
  /** @default 0 (any free port) */
  port?: number;
  /** @default "127.0.0.1" */
  host?: string;
  /** API Gateway stage name, used in events and in `callbackUrl`. @default "local" */
  stage?: string;
  /** Reports handler failures. @default console.error */
  onError?: (error: unknown, routeKey: string) => void;
}

/** A running local WebSocket API. */
export interface LocalWsServer {
  /** Where clients connect: `ws://host:port`. */
  url: string;
  /** The Management API endpoint: `http://host:port/<stage>`. */
  callbackUrl: string;
  port: number;
  /** Open connections by id. */
  connections: ReadonlyMap<string, WebSocket>;
  /**
   * What a Management API POST of `text` to the connection does, in-process: `ok` (sent as one text frame),
   * `gone` (HTTP 410: unknown or closing) or `too_large` (HTTP 413: over 128 KB).
   */
  post(connectionId: string, text: string): LocalPostOutcome;
  /** Drops a connection abruptly (no close handshake), as a network failure would; `$disconnect` still runs. */
  drop(connectionId: string): void;
  close(): Promise<void>;
}

/** What a post to a local connection did (the Management API answers 200, 410 and 413). */
export type LocalPostOutcome = 'ok' | 'gone' | 'too_large';

/** API Gateway's limits: 128 KB per message (client and Management API), frames of 32 KB. */
const MAX_MESSAGE_BYTES = 128 * 1024;
const API_ID = 'local';

/** Starts the server; resolves once it listens. */
export async function startWsServer(options: WsServerOptions): Promise<LocalWsServer> {
  const host = options.host ?? '127.0.0.1';
  const stage = options.stage ?? 'local';
  const onError = options.onError ?? ((error: unknown, routeKey: string) => console.error(`ws-server: ${routeKey} failed`, error));
  const { handlers } = options;
  const sockets = new Map<string, WebSocket>();
  const connectedAt = new Map<string, number>();
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  let domainName = host;

  function requestContext(connectionId: string, routeKey: string, eventType: APIGatewayEventWebsocketRequestContextV2['eventType']): APIGatewayEventWebsocketRequestContextV2 {
    const now = Date.now();
    return {
      routeKey, eventType, connectionId, stage, domainName, apiId: API_ID,
      messageId: randomUUID(), extendedRequestId: randomUUID(), requestId: randomUUID(),
      requestTime: new Date(now).toUTCString(), requestTimeEpoch: now,
      messageDirection: 'IN', connectedAt: connectedAt.get(connectionId) ?? now,
    };
  }

  async function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? host}`);
    const query = Object.fromEntries(url.searchParams);
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : (v ?? '')]));
    const connectionId = randomBytes(12).toString('base64');
    connectedAt.set(connectionId, Date.now());
    const methodArn = `arn:aws:execute-api:local:000000000000:${API_ID}/${stage}/$connect`;
    const authorizerEvent = {
      type: 'REQUEST', methodArn, resource: '$connect', path: url.pathname, httpMethod: 'GET',
      headers, multiValueHeaders: null, pathParameters: null, queryStringParameters: query,
      multiValueQueryStringParameters: null, stageVariables: null,
      requestContext: { ...requestContext(connectionId, '$connect', 'CONNECT'), authorizer: undefined },
    } as unknown as APIGatewayRequestAuthorizerEvent;
    let context: Record<string, unknown>;
    try {
      const policy = await handlers.authorizer(authorizerEvent);
      const allowed = policy.policyDocument.Statement.some((s) => s.Effect === 'Allow');
      if (!allowed) return reject(socket, 403, connectionId);
      context = { ...policy.context, principalId: policy.principalId };
    } catch {
      return reject(socket, 401, connectionId);
    }
    const connectEvent: WsConnectEvent = {
      requestContext: { ...requestContext(connectionId, '$connect', 'CONNECT'), authorizer: context },
      headers, queryStringParameters: query, isBase64Encoded: false,
    } as WsConnectEvent;
    try {
      const result = await handlers.connect(connectEvent);
      if (result.statusCode < 200 || result.statusCode > 299) return reject(socket, result.statusCode, connectionId);
    } catch (error) {
      onError(error, '$connect');
      return reject(socket, 500, connectionId);
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.set(connectionId, ws);
      ws.on('message', (data, isBinary) => void onMessage(connectionId, ws, Buffer.concat(toBuffers(data)), isBinary));
      ws.on('close', () => {
        const disconnecting = onClose(connectionId).finally(() => closing.delete(disconnecting));
        closing.add(disconnecting);
      });
      ws.on('error', () => undefined);
    });
  }

  function reject(socket: Duplex, status: number, connectionId: string): void {
    connectedAt.delete(connectionId);
    const text = status === 401 ? 'Unauthorized' : status === 403 ? 'Forbidden' : 'Error';
    socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  }

  async function onMessage(connectionId: string, ws: WebSocket, data: Buffer, isBinary: boolean): Promise<void> {
    const body = isBinary ? data.toString('base64') : data.toString('utf8');
    let routeKey = '$default';
    try {
      const action = (JSON.parse(data.toString('utf8')) as { action?: unknown } | null)?.action;
      // Route selection expression `$request.body.action`.
      if (action === 'subscribe' || action === 'unsubscribe') routeKey = action;
    } catch {
      // Not JSON: `$default`.
    }
    const event: APIGatewayProxyWebsocketEventV2 = {
      requestContext: requestContext(connectionId, routeKey, 'MESSAGE'), body, isBase64Encoded: isBinary,
    };
    try {
      await handlers.message(event);
    } catch (error) {
      onError(error, routeKey);
      // What API Gateway sends when an integration fails.
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ message: 'Internal server error', connectionId, requestId: event.requestContext.requestId }));
    }
  }

  /** `$disconnect` handlers still running. */
  const closing = new Set<Promise<void>>();

  async function onClose(connectionId: string): Promise<void> {
    sockets.delete(connectionId);
    const event: APIGatewayProxyWebsocketEventV2 = { requestContext: requestContext(connectionId, '$disconnect', 'DISCONNECT'), isBase64Encoded: false };
    connectedAt.delete(connectionId);
    try {
      await handlers.disconnect(event);
    } catch (error) {
      onError(error, '$disconnect');
    }
  }

  /** The connection's socket while it is open. */
  function open(connectionId: string): WebSocket | undefined {
    const ws = sockets.get(connectionId);
    return ws && ws.readyState === ws.OPEN ? ws : undefined;
  }

  function post(connectionId: string, text: string): LocalPostOutcome {
    const ws = open(connectionId);
    if (!ws) return 'gone';
    if (Buffer.byteLength(text, 'utf8') > MAX_MESSAGE_BYTES) return 'too_large';
    ws.send(text);
    return 'ok';
  }

  async function onHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const match = /\/@connections\/([^/?]+)$/.exec(new URL(req.url ?? '/', 'http://local').pathname);
    if (!match?.[1]) return sendError(res, 404, 'NotFoundException', 'not found');
    const connectionId = decodeURIComponent(match[1]);
    const ws = open(connectionId);
    if (!ws) return sendError(res, 410, 'GoneException', `connection ${connectionId} is gone`);
    if (req.method === 'POST') {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of req) {
        size += (chunk as Buffer).length;
        if (size > MAX_MESSAGE_BYTES) return sendError(res, 413, 'PayloadTooLargeException', 'message too large');
        chunks.push(chunk as Buffer);
      }
      const outcome = post(connectionId, Buffer.concat(chunks).toString('utf8'));
      if (outcome === 'gone') return sendError(res, 410, 'GoneException', `connection ${connectionId} is gone`);
      res.writeHead(200).end();
      return;
    }
    if (req.method === 'DELETE') {
      ws.close(1000);
      res.writeHead(204).end();
      return;
    }
    if (req.method === 'GET') {
      const since = new Date(connectedAt.get(connectionId) ?? Date.now()).toISOString();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ConnectedAt: since, LastActiveAt: since, Identity: { SourceIp: '127.0.0.1' } }));
      return;
    }
    sendError(res, 405, 'MethodNotAllowed', 'method not allowed');
  }

  const server = createServer((req, res) => {
    onHttp(req, res).catch((error) => {
      onError(error, '@connections');
      if (!res.headersSent) sendError(res, 500, 'InternalServerError', 'internal error');
    });
  });
  server.on('upgrade', (req, socket, head) => {
    onUpgrade(req, socket, head).catch((error) => {
      onError(error, '$connect');
      socket.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  domainName = `${host}:${port}`;

  return {
    url: `ws://${host}:${port}`,
    callbackUrl: `http://${host}:${port}/${stage}`,
    port,
    connections: sockets,
    post,
    drop(connectionId) {
      sockets.get(connectionId)?.terminate();
    },
    async close() {
      // Every `$disconnect` runs to its end before close resolves: the stack closes the store after this.
      const closed = [...sockets.values()].map((ws) => new Promise<void>((resolve) => {
        ws.once('close', () => resolve());
        ws.terminate();
      }));
      await Promise.all(closed);
      await Promise.allSettled([...closing]);
      wss.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function sendError(res: ServerResponse, status: number, type: string, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': type }).end(JSON.stringify({ message }));
}

function toBuffers(data: Buffer | ArrayBuffer | Buffer[]): Buffer[] {
  if (Array.isArray(data)) return data;
  return [Buffer.isBuffer(data) ? data : Buffer.from(data)];
}

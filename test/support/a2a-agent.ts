/**
 * A real A2A agent for tests: `@a2a-js/sdk/server` behind express, on 127.0.0.1, port 0. The test controls
 * what it replies (text, data, usage, a task state), makes it fail a number of times or wait, and reads the
 * messages it received.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { Role, TaskState, type AgentCard, type Message, type Part } from '@a2a-js/sdk';
import {
  AgentEvent,
  DefaultRequestHandler,
  InMemoryTaskStore,
  type AgentExecutor,
  type ExecutionEventBus,
  type RequestContext,
} from '@a2a-js/sdk/server';
import { jsonRpcHandler, UserBuilder } from '@a2a-js/sdk/server/express';
import { jsonRpcAgentCard, mountA2a } from '../../examples/a2a-server';
import { allowTestServer } from './egress';

/** What the agent replies with; a function receives the request and decides per call. */
export interface A2AReply {
  text?: string;
  data?: unknown;
  /** Reported as `metadata.usage` on the reply. */
  usage?: { inputTokens?: number; outputTokens?: number; costUsd?: number };
  /** Reply with a Task in this state instead of a Message. */
  taskState?: 'completed' | 'failed' | 'rejected' | 'input-required';
  /** Wait this long before replying. */
  delayMs?: number;
  /** Reply only once this settles (a signal the test controls; a promise that never settles: never reply). */
  until?: Promise<unknown>;
  /** Throw from the executor (the SDK reports a failed task / JSON-RPC error). */
  throwError?: string;
}

/** A message the agent received, decoded. */
export interface ReceivedMessage {
  messageId: string;
  /** The A2A task and context the message names (empty on a first message). */
  taskId: string;
  contextId: string;
  text: string[];
  data: unknown[];
  metadata: Record<string, unknown> | undefined;
}

/** Options of `startA2AAgent`. */
export interface A2AAgentOptions {
  /** @default { text: 'ok' } */
  reply?: A2AReply | ((message: ReceivedMessage, call: number) => A2AReply);
  /** Fail (throw) the first `failTimes` calls. @default 0 */
  failTimes?: number;
  /** @default 'Test agent' */
  name?: string;
  /** Listen on this port. @default 0 (any free port) */
  port?: number;
  /**
   * Speak A2A 0.3: a 0.3 agent card (`protocolVersion: "0.3.0"`, `url`, `preferredTransport`) and the 0.3 JSON-RPC
   * wire format (`message/send`, `kind`, `input-required`), through the SDK's compat layer. @default "1.0"
   */
  protocolVersion?: '1.0' | '0.3';
  /** Declare these security schemes on the card and refuse (401) requests to the endpoint that `accepts` rejects. */
  security?: {
    schemes: AgentCard['securitySchemes'];
    requirements: AgentCard['securityRequirements'];
    accepts: (headers: Record<string, string | string[] | undefined>) => boolean;
  };
}

/** A running test agent. */
export interface A2AAgentHandle {
  /** Base URL; the agent card is at `<url>/.well-known/agent-card.json`. */
  url: string;
  /** Every message received, in order. */
  received: ReceivedMessage[];
  close(): Promise<void>;
}

/** Builds a text part. */
export function textPart(text: string): Part {
  return { content: { $case: 'text', value: text }, metadata: undefined, filename: '', mediaType: 'text/plain' };
}

/** Builds a data part. */
export function dataPart(data: unknown): Part {
  return { content: { $case: 'data', value: data }, metadata: undefined, filename: '', mediaType: 'application/json' };
}

function decode(message: Message): ReceivedMessage {
  const text: string[] = [];
  const data: unknown[] = [];
  for (const part of message.parts) {
    if (part.content?.$case === 'text') text.push(part.content.value);
    if (part.content?.$case === 'data') data.push(part.content.value);
  }
  return { messageId: message.messageId, taskId: message.taskId, contextId: message.contextId, text, data, metadata: message.metadata };
}

const TASK_STATES = {
  completed: TaskState.TASK_STATE_COMPLETED,
  failed: TaskState.TASK_STATE_FAILED,
  rejected: TaskState.TASK_STATE_REJECTED,
  'input-required': TaskState.TASK_STATE_INPUT_REQUIRED,
} as const;

class ScriptedExecutor implements AgentExecutor {
  private calls = 0;
  constructor(
    private readonly options: A2AAgentOptions,
    private readonly received: ReceivedMessage[],
  ) {}

  execute = async (ctx: RequestContext, bus: ExecutionEventBus): Promise<void> => {
    const message = decode(ctx.userMessage);
    this.received.push(message);
    const call = this.calls++;
    if (call < (this.options.failTimes ?? 0)) throw new Error(`scripted failure ${call + 1}`);
    const reply = typeof this.options.reply === 'function' ? this.options.reply(message, call) : (this.options.reply ?? { text: 'ok' });
    if (reply.delayMs) await new Promise((resolve) => setTimeout(resolve, reply.delayMs));
    if (reply.until) await reply.until;
    if (reply.throwError) throw new Error(reply.throwError);
    const parts: Part[] = [];
    if (reply.text !== undefined) parts.push(textPart(reply.text));
    if (reply.data !== undefined) parts.push(dataPart(reply.data));
    const metadata = reply.usage ? { usage: reply.usage } : undefined;
    const answer: Message = {
      messageId: `reply-${message.messageId}`,
      contextId: ctx.contextId,
      taskId: reply.taskState ? ctx.taskId : '',
      role: Role.ROLE_AGENT,
      parts,
      metadata,
      extensions: [],
      referenceTaskIds: [],
    };
    if (!reply.taskState) {
      bus.publish(AgentEvent.message(answer));
      bus.finished();
      return;
    }
    bus.publish(
      AgentEvent.task({
        id: ctx.taskId,
        contextId: ctx.contextId,
        status: { state: TASK_STATES[reply.taskState], message: answer, timestamp: new Date().toISOString() },
        artifacts: [],
        history: [],
        metadata,
      }),
    );
    bus.finished();
  };

  cancelTask = async (): Promise<void> => {};
}

/** Starts a scripted A2A agent (JSON-RPC transport, A2A 1.0) on 127.0.0.1. */
export async function startA2AAgent(options: A2AAgentOptions = {}): Promise<A2AAgentHandle> {
  const app = express();
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(options.port ?? 0, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
  const url = allowTestServer(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  const card = jsonRpcAgentCard({ url, name: options.name ?? 'Test agent', description: 'A scripted agent for Braid tests' });
  const received: ReceivedMessage[] = [];
  const security = options.security;
  if (security) {
    card.securitySchemes = security.schemes;
    card.securityRequirements = security.requirements;
    app.use('/a2a', (req, res, next) => (security.accepts(req.headers) ? next() : res.status(401).json({ error: 'unauthorized' })));
  }
  if (options.protocolVersion === '0.3') {
    // The SDK's handler needs a 1.0 card naming a 0.3 JSON-RPC interface; clients fetch a 0.3-shaped card.
    card.supportedInterfaces = [{ url: `${url}/a2a/jsonrpc`, protocolBinding: 'JSONRPC', tenant: '', protocolVersion: '0.3' }];
    const handler = new DefaultRequestHandler(card, new InMemoryTaskStore(), new ScriptedExecutor(options, received));
    app.get('/.well-known/agent-card.json', (_req, res) => {
      res.json({
        protocolVersion: '0.3.0', name: card.name, description: card.description, url: `${url}/a2a/jsonrpc`, preferredTransport: 'JSONRPC',
        version: '1.0.0', capabilities: { streaming: false }, defaultInputModes: ['text/plain'], defaultOutputModes: ['text/plain'], skills: [],
      });
    });
    app.use('/a2a/jsonrpc', jsonRpcHandler({ requestHandler: handler, userBuilder: UserBuilder.noAuthentication, legacyCompat: { enabled: true } }));
  } else {
    mountA2a(app, new DefaultRequestHandler(card, new InMemoryTaskStore(), new ScriptedExecutor(options, received)));
  }
  return {
    url,
    received,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

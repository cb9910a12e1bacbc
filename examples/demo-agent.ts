/**
 * The demo A2A agent used by `npm run dev` (`@a2a-js/sdk`, A2A 1.0, JSON-RPC, streaming): it picks the cheapest
 * hotel from the `hotels` it is sent, streams its answer word by word as artifact chunks of a task, and reports a
 * small usage in the last chunk's `metadata.usage`. When the message's text says "ask me", it first asks for a
 * budget (task state `input-required`); the reply (a number in its text, or `data.budget`) goes to the same task,
 * and it then picks the priciest hotel within that budget. A reply that says "ask me" again makes it ask again.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { Role, TaskState, type Message, type Part } from '@a2a-js/sdk';
import { AgentEvent, DefaultRequestHandler, InMemoryTaskStore, type AgentExecutor } from '@a2a-js/sdk/server';
import { jsonRpcAgentCard, mountA2a } from './a2a-server';
import type { DemoServer } from './demo-tool';

/** The port `examples/hotel-booking.json` expects the demo agent on. */
export const DEMO_AGENT_PORT = 4402;

interface Hotel {
  name: string;
  price: number;
}

function isHotel(value: unknown): value is Hotel {
  const hotel = value as Partial<Hotel> | null;
  return typeof hotel === 'object' && hotel !== null && typeof hotel.name === 'string' && typeof hotel.price === 'number';
}

/** The demo's decision: the cheapest hotel, ties broken by name. */
export function pickCheapest(hotels: readonly Hotel[]): Hotel | undefined {
  return [...hotels].sort((a, b) => a.price - b.price || a.name.localeCompare(b.name))[0];
}

function part(content: Part['content'], mediaType: string): Part {
  return { content, metadata: undefined, filename: '', mediaType };
}

/** The question the demo agent asks when its input says "ask me". */
export const DEMO_QUESTION = 'What is your budget per night, in dollars?';

/** A reply's budget: `data.budget`, or the first number in its text. */
function budgetOf(texts: readonly string[], data: readonly unknown[]): number | undefined {
  for (const d of data) {
    const budget = (d as { budget?: unknown } | null)?.budget;
    if (typeof budget === 'number') return budget;
  }
  const match = /\d+(\.\d+)?/.exec(texts.join(' '));
  return match ? Number(match[0]) : undefined;
}

/** Streams the answer as artifact chunks of a task, word by word, `wordDelayMs` apart, then completes it. */
function pickerExecutor(wordDelayMs: number): AgentExecutor {
  // The hotels of each task that asked for a budget, until the reply comes (the demo keeps no other state).
  const waiting = new Map<string, Hotel[]>();
  return {
    execute: async (ctx, bus) => {
      const texts = ctx.userMessage.parts.flatMap((p) => (p.content?.$case === 'text' ? [p.content.value] : []));
      const data = ctx.userMessage.parts.flatMap((p) => (p.content?.$case === 'data' ? [p.content.value as unknown] : []));
      const sent = data.flatMap((d) => {
        const list = (d as { hotels?: unknown } | null)?.hotels;
        return Array.isArray(list) ? list.filter(isHotel) : [];
      });
      const replying = waiting.get(ctx.taskId);
      const hotels = replying ?? sent;
      const statusOf = (state: TaskState, message?: Message) => ({ state, message, timestamp: new Date().toISOString() });
      if (/ask me/i.test(texts.join(' '))) {
        // Ask for a budget: the task waits in `input-required` until the reply comes to this same task.
        waiting.set(ctx.taskId, hotels);
        const question: Message = {
          messageId: `ask-${ctx.taskId}-${Date.now()}`, contextId: ctx.contextId, taskId: ctx.taskId, role: Role.ROLE_AGENT,
          parts: [part({ $case: 'text', value: DEMO_QUESTION }, 'text/plain')], metadata: undefined, extensions: [], referenceTaskIds: [],
        };
        // Every execution starts with the task (the SDK refuses a status update first), a reply's too.
        bus.publish(AgentEvent.task({ id: ctx.taskId, contextId: ctx.contextId, status: statusOf(TaskState.TASK_STATE_WORKING), artifacts: [], history: [], metadata: undefined }));
        bus.publish(AgentEvent.statusUpdate({ taskId: ctx.taskId, contextId: ctx.contextId, status: statusOf(TaskState.TASK_STATE_INPUT_REQUIRED, question), metadata: undefined }));
        bus.finished();
        return;
      }
      waiting.delete(ctx.taskId);
      // With a budget: the priciest hotel within it (the best it affords), else the cheapest.
      const budget = replying ? budgetOf(texts, data) : undefined;
      const within = budget === undefined ? [] : hotels.filter((h) => h.price <= budget).sort((a, b) => b.price - a.price || a.name.localeCompare(b.name));
      const best = within[0] ?? pickCheapest(hotels);
      const text = !best
        ? 'No hotels to choose from.'
        : within[0]
          ? `${best.name} at $${best.price}/night is the best of ${hotels.length} within $${budget}.`
          : `${best.name} at $${best.price}/night is the cheapest of ${hotels.length}${budget === undefined ? '' : `; none is within $${budget}`}.`;
      // A made-up but deterministic usage, so the demo shows cost tracking.
      const inputTokens = 40 + 12 * hotels.length;
      const outputTokens = 18;
      const costUsd = Number(((inputTokens * 3 + outputTokens * 15) / 1_000_000).toFixed(6));
      const ids = { taskId: ctx.taskId, contextId: ctx.contextId };
      const status = (state: TaskState) => statusOf(state);
      bus.publish(AgentEvent.task({ id: ctx.taskId, contextId: ctx.contextId, status: status(TaskState.TASK_STATE_WORKING), artifacts: [], history: [], metadata: undefined }));
      const chunks: Part[] = [
        ...text.split(/(?<= )/).map((word) => part({ $case: 'text', value: word }, 'text/plain')),
        ...(best ? [part({ $case: 'data', value: { name: best.name, price: best.price } }, 'application/json')] : []),
      ];
      for (const [i, chunk] of chunks.entries()) {
        if (wordDelayMs > 0 && i > 0) await new Promise((resolve) => setTimeout(resolve, wordDelayMs));
        const last = i === chunks.length - 1;
        bus.publish(AgentEvent.artifactUpdate({
          ...ids, append: i > 0, lastChunk: last, metadata: undefined,
          artifact: {
            artifactId: 'answer', name: 'answer', description: '', parts: [chunk], extensions: [],
            metadata: last ? { usage: { inputTokens, outputTokens, costUsd } } : undefined,
          },
        }));
      }
      bus.publish(AgentEvent.statusUpdate({ ...ids, status: status(TaskState.TASK_STATE_COMPLETED), metadata: undefined }));
      bus.finished();
    },
    cancelTask: async () => {},
  };
}

/** Starts the demo agent on 127.0.0.1; its card is at `<url>/.well-known/agent-card.json`. */
export async function startDemoAgent(options: { port?: number; wordDelayMs?: number } = {}): Promise<DemoServer> {
  const app = express();
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(options.port ?? DEMO_AGENT_PORT, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const card = jsonRpcAgentCard({
    url,
    name: 'Braid demo hotel picker',
    streaming: true,
    description: 'Picks the cheapest hotel from a list',
    skills: [
      {
        id: 'pick-hotel',
        name: 'Pick a hotel',
        description: 'Given { hotels: [{ name, price }] }, answers with the cheapest',
        tags: ['demo'],
        examples: [],
        inputModes: [],
        outputModes: [],
        securityRequirements: [],
      },
    ],
  });
  const handler = new DefaultRequestHandler(card, new InMemoryTaskStore(), pickerExecutor(options.wordDelayMs ?? 40));
  mountA2a(app, handler);
  return {
    url,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

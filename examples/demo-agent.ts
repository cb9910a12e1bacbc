/**
 * The demo A2A agent used by `npm run dev` (`@a2a-js/sdk`, A2A 1.0, JSON-RPC, streaming): it picks the cheapest
 * hotel from the `hotels` it is sent, streams its answer word by word as artifact chunks of a task, and reports a
 * small usage in the last chunk's `metadata.usage`.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { TaskState, type Part } from '@a2a-js/sdk';
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

/** Streams the answer as artifact chunks of a task, word by word, `wordDelayMs` apart, then completes it. */
function pickerExecutor(wordDelayMs: number): AgentExecutor {
  return {
    execute: async (ctx, bus) => {
      const data = ctx.userMessage.parts.flatMap((p) => (p.content?.$case === 'data' ? [p.content.value as unknown] : []));
      const hotels = data.flatMap((d) => {
        const list = (d as { hotels?: unknown } | null)?.hotels;
        return Array.isArray(list) ? list.filter(isHotel) : [];
      });
      const best = pickCheapest(hotels);
      const text = best ? `${best.name} at $${best.price}/night is the cheapest of ${hotels.length}.` : 'No hotels to choose from.';
      // A made-up but deterministic usage, so the demo shows cost tracking.
      const inputTokens = 40 + 12 * hotels.length;
      const outputTokens = 18;
      const costUsd = Number(((inputTokens * 3 + outputTokens * 15) / 1_000_000).toFixed(6));
      const ids = { taskId: ctx.taskId, contextId: ctx.contextId };
      const status = (state: TaskState) => ({ state, message: undefined, timestamp: new Date().toISOString() });
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

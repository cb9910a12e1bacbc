/**
 * The demo HTTP tool used by `npm run dev`: a hotel search that returns fixed data.
 * `POST /search` `{ city, nights? }` → `{ city, nights, hotels: [{ name, price }] }` (price per night, USD).
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The port `examples/hotel-booking.json` expects the demo tool on. */
export const DEMO_TOOL_PORT = 4401;

/** A hotel the demo tool knows. */
export interface DemoHotel {
  name: string;
  price: number;
}

/** The fixed catalogue: Oslo has a cheap hotel (no approval needed), Paris does not (the gate opens). */
export const DEMO_HOTELS: Record<string, DemoHotel[]> = {
  oslo: [
    { name: 'Fjord Inn', price: 120 },
    { name: 'Harbour Hotel', price: 180 },
    { name: 'Grand Nordic', price: 260 },
  ],
  paris: [
    { name: 'Rive Gauche', price: 210 },
    { name: 'Le Grand', price: 340 },
  ],
};

const DEFAULT_HOTELS: DemoHotel[] = [
  { name: 'City Lodge', price: 95 },
  { name: 'Central Suites', price: 170 },
];

/** A running demo service. */
export interface DemoServer {
  url: string;
  close(): Promise<void>;
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text) return {};
  const parsed = JSON.parse(text) as unknown;
  return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
}

/** Starts the demo hotel search on 127.0.0.1. */
export async function startDemoTool(options: { port?: number } = {}): Promise<DemoServer> {
  const server = createServer((req, res) => {
    void (async () => {
      const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
      if (req.method !== 'POST' || path !== '/search') {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'POST /search' }));
        return;
      }
      const body = await readJson(req);
      const city = typeof body.city === 'string' ? body.city : '';
      const nights = typeof body.nights === 'number' ? body.nights : 1;
      const hotels = DEMO_HOTELS[city.trim().toLowerCase()] ?? DEFAULT_HOTELS;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ city, nights, hotels }));
    })().catch((error: unknown) => {
      res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: String(error) }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? DEMO_TOOL_PORT, '127.0.0.1', resolve);
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

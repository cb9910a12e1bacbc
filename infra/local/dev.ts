/**
 * `npm run dev`: the local stack on 127.0.0.1 (`PORT`, default 3000; `WS_PORT`, default 3001), data under
 * `BRAID_DATA_DIR` (default `.braid/`). Prints the URLs and how to get a token; Ctrl-C stops it.
 */
import * as z from 'zod';
import { readConfig } from '../../functions/http/config';
import { createLocalStack, DEFAULT_DATA_DIR } from './stack';

const config = readConfig(
  z.object({
    PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
    WS_PORT: z.coerce.number().int().min(0).max(65_535).default(3001),
    BRAID_DATA_DIR: z.string().min(1).default(DEFAULT_DATA_DIR),
  }),
);

const stack = await createLocalStack({ port: config.PORT, wsPort: config.WS_PORT, dataDir: config.BRAID_DATA_DIR });
console.log(`Braid local stack
  HTTP API   ${stack.httpUrl}/api/v1
  WebSocket  ${stack.wsUrl ?? '(off)'}
  JWKS       ${stack.jwksUrl}
  data       ${config.BRAID_DATA_DIR}/

Get a token:   TOKEN=$(npm run --silent token -- alice)
Try it:        curl -H "Authorization: Bearer $TOKEN" ${stack.httpUrl}/api/v1/workflows`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1);
    stopping = true;
    void stack.close().then(() => process.exit(0));
  });
}

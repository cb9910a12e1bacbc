import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createEgressGuard, EgressDeniedError, type EgressGuard } from '../../shared/egress';

interface Loopback {
  url: string;
  port: number;
  requests: { method: string; path: string; headers: IncomingMessage['headers'] }[];
  close(): Promise<void>;
}

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const item of open.splice(0)) await item.close();
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Loopback> {
  const requests: Loopback['requests'] = [];
  const server: Server = createServer((req, res) => {
    requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers });
    req.resume();
    req.on('end', () => handler(req, res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const handle = {
    url: `http://127.0.0.1:${port}`, port, requests,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
  open.push(handle);
  return handle;
}

function guarded(options: Parameters<typeof createEgressGuard>[0]): EgressGuard {
  const guard = createEgressGuard(options);
  open.push(guard);
  return guard;
}

async function denial(promise: Promise<unknown>): Promise<EgressDeniedError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(EgressDeniedError);
  return error as EgressDeniedError;
}

describe('egress guard over real loopback servers', () => {
  it('refuses loopback unless the operator lists the host:port', async () => {
    // Prepare
    const server = await serve((_req, res) => res.end('hello'));

    // Act
    const refused = await denial(guarded({}).fetch(`${server.url}/`));
    const allowed = await guarded({ allow: `127.0.0.1:${server.port}` }).fetch(`${server.url}/`);

    // Assess
    expect(refused).toMatchObject({ name: 'Braid.EgressDenied', host: '127.0.0.1', rule: 'loopback' });
    expect(await allowed.text()).toBe('hello');
    expect(server.requests).toHaveLength(1);
  });

  it('re-checks a redirect: an allowed server redirecting to a loopback one is refused and the target never called', async () => {
    // Prepare
    const target = await serve((_req, res) => res.end('internal secret'));
    const front = await serve((_req, res) => res.writeHead(302, { location: `${target.url}/admin` }).end());
    const guard = guarded({ allow: `127.0.0.1:${front.port}` });

    // Act
    const error = await denial(guard.fetch(`${front.url}/start`));

    // Assess
    expect(error.rule).toBe('loopback');
    expect(error.message).not.toContain('internal secret');
    expect(front.requests).toHaveLength(1);
    expect(target.requests).toHaveLength(0);
  });

  it('follows allowed redirects (303 becomes GET) and drops credentials when the origin changes', async () => {
    // Prepare
    const target = await serve((_req, res) => res.end('done'));
    const front = await serve((_req, res) => res.writeHead(303, { location: `${target.url}/next` }).end());
    const guard = guarded({ allow: [`127.0.0.1:${front.port}`, `127.0.0.1:${target.port}`] });

    // Act
    const response = await guard.fetch(`${front.url}/`, { method: 'POST', body: '{}', headers: { authorization: 'Bearer t', 'x-api-key': 'k', 'x-trace': '1' } });

    // Assess
    expect(await response.text()).toBe('done');
    expect(target.requests[0]).toMatchObject({ method: 'GET', path: '/next' });
    expect(target.requests[0]?.headers.authorization).toBeUndefined();
    expect(target.requests[0]?.headers['x-api-key']).toBeUndefined();
    expect(target.requests[0]?.headers['x-trace']).toBe('1');
  });

  it('stops after five redirects', async () => {
    // Prepare
    const loop = await serve((req, res) => res.writeHead(307, { location: `/hop${Number((req.url ?? '/hop0').slice(4)) + 1}` }).end());
    const guard = guarded({ allow: `127.0.0.1:${loop.port}` });

    // Act
    const error = await denial(guard.fetch(`${loop.url}/hop0`));

    // Assess
    expect(error.rule).toBe('redirect-limit');
    expect(loop.requests).toHaveLength(6);
  });

  it('pins each connection to the address it checked (DNS rebinding: public, then private)', async () => {
    // Prepare: the name first resolves to an allowed address (the loopback server, allowed by CIDR), then to a private one.
    const server = await serve((_req, res) => res.setHeader('connection', 'close').end('first'));
    const answers = ['127.0.0.1', '10.0.0.1'];
    const lookups: string[] = [];
    const guard = guarded({
      allow: '127.0.0.1/32',
      resolve: async (host) => {
        const address = answers[Math.min(lookups.length, answers.length - 1)]!;
        lookups.push(`${host}=${address}`);
        return [{ address, family: 4 }];
      },
    });

    // Act
    const first = await guard.fetch(`http://rebind.test:${server.port}/`);
    const firstBody = await first.text();
    const second = await denial(guard.fetch(`http://rebind.test:${server.port}/`));

    // Assess: one resolution per connection, the first connection reached the checked address, the second was refused.
    expect(firstBody).toBe('first');
    expect(lookups).toStrictEqual(['rebind.test=127.0.0.1', 'rebind.test=10.0.0.1']);
    expect(second).toMatchObject({ host: 'rebind.test', rule: 'private' });
    expect(second.message).toContain('10.0.0.1');
    expect(server.requests).toHaveLength(1);
  });

  it('refuses a name that resolves to any denied address', async () => {
    // Prepare
    const guard = guarded({ resolve: async () => [{ address: '8.8.8.8', family: 4 }, { address: '169.254.169.254', family: 4 }] });

    // Act
    const error = await denial(guard.fetch('http://mixed.test/'));

    // Assess
    expect(error.rule).toBe('metadata');
  });
});

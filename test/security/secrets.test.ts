/**
 * Secrets end to end on the local stack: the write-only API, references resolved from the owner's namespace at
 * call time, plaintext credentials refused, and the value searched for (and never found) in every API response,
 * event, log line, error and run output.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startHttpToolServer, type HttpToolServerHandle } from '../support/http-tool-server';
import { startTestStack, type TestStack } from '../support/local-stack';
import { createWorkflow, getEvents, getNodes, startRun, waitForRun } from '../runs/helpers';

const VALUE = 'sk-live-7c1f0e9a4b2d8e63';
const ROTATED = 'sk-live-rotated-55aa0f1e';

let stack: TestStack;
let tool: HttpToolServerHandle;
const logs: string[] = [];

beforeAll(async () => {
  // Every log line of the stack's handlers, at the most verbose level.
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream);
    vi.spyOn(stream, 'write').mockImplementation(((chunk: string | Uint8Array, ...rest: unknown[]) => {
      logs.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof stream.write);
  }
  [stack, tool] = await Promise.all([
    startTestStack({ logLevel: 'DEBUG' }),
    startHttpToolServer({
      handler: (r) => r.path === '/echo'
        ? { body: { received: r.headers } }
        : { status: 403, body: `forbidden for ${String(r.headers.authorization)}`, contentType: 'text/plain' },
    }),
  ]);
});
afterAll(async () => {
  vi.restoreAllMocks();
  await Promise.all([stack?.close(), tool?.close()]);
});

describe('secrets API', () => {
  it('stores a value write-only: names and dates come back, never the value', async () => {
    // Act
    const created = await stack.call('PUT', '/api/v1/secrets/api-token', { as: 'sam', body: { value: VALUE } });
    const replaced = await stack.call('PUT', '/api/v1/secrets/api-token', { as: 'sam', body: { value: ROTATED } });
    const listed = await stack.call('GET', '/api/v1/secrets', { as: 'sam' });
    const other = await stack.call('GET', '/api/v1/secrets', { as: 'tom' });
    const foreignDelete = await stack.call('DELETE', '/api/v1/secrets/api-token', { as: 'tom' });
    const deleted = await stack.call('DELETE', '/api/v1/secrets/api-token', { as: 'sam' });
    const again = await stack.call('DELETE', '/api/v1/secrets/api-token', { as: 'sam' });

    // Assess
    expect(created.status).toBe(201);
    expect(Object.keys(created.body).sort()).toStrictEqual(['createdAt', 'name', 'updatedAt']);
    expect(replaced.status).toBe(200);
    expect(replaced.body.createdAt).toBe(created.body.createdAt);
    expect(listed.body.items).toStrictEqual([{ name: 'api-token', createdAt: created.body.createdAt, updatedAt: replaced.body.updatedAt }]);
    expect(other.body).toStrictEqual({ items: [] });
    expect(foreignDelete.status).toBe(404);
    expect(deleted.status).toBe(204);
    expect(again.status).toBe(404);
    for (const res of [created, replaced, listed, other]) expect(res.text).not.toMatch(/sk-live/);
  });

  it.each([
    ['/api/v1/secrets/bad%20name', { value: VALUE }, 'invalid_secret_name', '/path/name'],
    ['/api/v1/secrets/ok', { value: 42 }, 'invalid_type', '/value'],
    ['/api/v1/secrets/ok', { value: VALUE, note: 'x' }, 'unrecognized_key', '/note'],
    ['/api/v1/secrets/ok', { value: 'x'.repeat(64 * 1024 + 1) }, 'too_big', '/value'],
  ])('refuses PUT %s with a 400 that does not echo the value', async (path, body, code, at) => {
    // Act
    const res = await stack.call('PUT', path, { as: 'sam', body });

    // Assess
    expect(res.status, res.text).toBe(400);
    expect(res.body.errors[0]).toMatchObject({ code, path: at });
    expect(res.text).not.toContain(VALUE);
  });
});

describe('definitions', () => {
  it.each(['Authorization', 'Cookie', 'Proxy-Authorization', 'X-Api-Key', 'x-auth-token'])('refuses a plaintext %s header (plaintext_credential)', async (header) => {
    // Act
    const res = await stack.call('POST', '/api/v1/workflows', {
      as: 'sam', body: { name: 'plain', nodes: [{ id: 'a', type: 'tool_call', tool: { kind: 'http', url: 'https://tools.example/x', headers: { [header]: 'Bearer abc', Accept: 'text/plain' } } }], edges: [] },
    });

    // Assess
    expect(res.status).toBe(400);
    expect(res.body.errors).toStrictEqual([expect.objectContaining({ code: 'plaintext_credential', path: `/nodes/0/tool/headers/${header}` })]);
  });

  it('warns (egress_denied) about literal addresses the guard refuses, and accepts the definition', async () => {
    // Act
    const res = await stack.call('POST', '/api/v1/workflows/validate', {
      as: 'sam',
      body: {
        name: 'inward',
        nodes: [
          { id: 'meta', type: 'tool_call', tool: { kind: 'http', url: 'http://169.254.169.254/latest/meta-data/' } },
          { id: 'lo', type: 'agent_call', agent: { url: 'http://[::1]:9001' } },
          { id: 'pub', type: 'tool_call', tool: { kind: 'mcp', url: 'https://8.8.8.8/mcp', name: 't' } },
        ],
        edges: [],
      },
    });

    // Assess
    expect(res.body.valid).toBe(true);
    expect(res.body.warnings.filter((w: { code: string }) => w.code === 'egress_denied').map((w: { path: string }) => w.path)).toStrictEqual(['/nodes/0/tool/url', '/nodes/1/agent/url']);
  });
});

describe('a run with secrets', () => {
  it('resolves the owner\'s secret at call time and never shows it in a view, an event, a log line, an error or the output', async () => {
    // Prepare
    expect((await stack.call('PUT', '/api/v1/secrets/tool-token', { as: 'olga', body: { value: VALUE } })).status).toBe(201);
    // The same name in another user's namespace: must not be the one used.
    expect((await stack.call('PUT', '/api/v1/secrets/tool-token', { as: 'viktor', body: { value: ROTATED } })).status).toBe(201);
    const wf = await createWorkflow(stack, 'olga', {
      name: 'with-secrets',
      visibility: 'public',
      nodes: [
        { id: 'echo', type: 'tool_call', tool: { kind: 'http', url: `${tool.url}/echo`, headers: { Authorization: { secret: 'tool-token' } } } },
        { id: 'deny', type: 'tool_call', tool: { kind: 'http', url: `${tool.url}/deny`, auth: { type: 'bearer', token: { secret: 'tool-token' } } }, onError: 'continue' },
      ],
      edges: [{ from: 'echo', to: 'deny' }],
    });
    await stack.call('PUT', `/api/v1/workflows/${wf}/permissions/viktor`, { as: 'olga', body: { role: 'viewer' } });

    // Act: viktor (a viewer, holding his own "tool-token") starts the run; the owner's secret is the one used.
    const runId = await startRun(stack, 'viktor', wf);
    const run = await waitForRun(stack, 'viktor', runId, ['succeeded', 'failed']);

    // Assess: the tool got olga's value…
    expect(tool.requests.map((r) => r.headers.authorization)).toStrictEqual([VALUE, `Bearer ${VALUE}`]);
    // …and nothing Braid shows anyone contains it.
    const nodes = await getNodes(stack, 'olga', runId);
    expect(nodes.echo.output.received.authorization).toBe('[secret:tool-token]');
    expect(nodes.deny.error.message).toContain('403');
    const seen = [
      JSON.stringify(run), JSON.stringify(nodes), JSON.stringify(await getEvents(stack, 'olga', runId)),
      ...(await Promise.all([
        stack.call('GET', `/api/v1/workflows/${wf}`, { as: 'viktor' }),
        stack.call('GET', `/api/v1/workflows/${wf}`, { as: 'stranger' }),
        stack.call('GET', `/api/v1/workflows/${wf}/versions`, { as: 'olga' }),
        stack.call('GET', `/api/v1/workflows/${wf}/runs`, { as: 'olga' }),
        stack.call('GET', `/api/v1/workflows/runs/${runId}/nodes`, { as: 'viktor' }),
        stack.call('GET', '/api/v1/secrets', { as: 'olga' }),
      ])).map((res) => res.text),
      ...logs,
    ].join('\n');
    expect(seen).toContain('tool-token');
    expect(logs.length).toBeGreaterThan(0);
    expect(seen).not.toContain(VALUE);
    expect(seen).not.toContain(ROTATED);
  });
});

describe('client', () => {
  it('puts, lists and deletes secrets through the typed client', async () => {
    // Prepare
    const { BraidHttpClient, BraidHttpError } = await import('../../client/http-client');
    const client = new BraidHttpClient({ url: stack.httpUrl, token: await stack.token('cli-user') });

    // Act
    const put = await client.putSecret('cli-key', VALUE);
    const listed = await client.listSecrets();
    await client.deleteSecret('cli-key');
    const missing = await client.deleteSecret('cli-key').then(() => undefined, (e: unknown) => e);

    // Assess
    expect(put.name).toBe('cli-key');
    expect(listed.map((s) => s.name)).toStrictEqual(['cli-key']);
    expect(JSON.stringify([put, listed])).not.toContain(VALUE);
    expect(missing).toBeInstanceOf(BraidHttpError);
    expect((missing as InstanceType<typeof BraidHttpError>).status).toBe(404);
  });
});

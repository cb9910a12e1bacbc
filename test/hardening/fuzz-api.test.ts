/**
 * Fuzzing the HTTP API on the local stack: mutated definitions, run inputs, raw bodies, content types, path
 * parameters and queries. Zero 5xx; every rejection is a documented 4xx (400/404/413/415, 431 for a request line
 * over the gateway's quota), and a 400 names each offending field with a JSON pointer into the body (or
 * `/query/…`, `/path/…`). Cases come from the suite's fixed seed (`test/support/property-seed.ts`);
 * `BRAID_FUZZ_RUNS` raises the number of cases and explores from a fresh, printed seed.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFakeOrchestrator } from '../support/fake-orchestrator';
import { startTestStack, type ApiResponse, type TestStack } from '../support/local-stack';
import { fuzzRuns, mutatedDefinition, pointerSegments, resolvePath, runInput } from './fuzz-arbitraries';

let stack: TestStack;
let workflowId: string;
beforeAll(async () => {
  // `live: true`: the stream emulation's SDK middleware sees every command, as in `npm run dev`.
  stack = await startTestStack({ orchestrator: createFakeOrchestrator(), live: true });
  const res = await stack.call('POST', '/api/v1/workflows', {
    as: 'fuzzer',
    body: {
      name: 'fuzz-target',
      inputSchema: { type: 'object', properties: { q: { type: 'string', maxLength: 50 }, n: { type: 'integer' } }, additionalProperties: true },
      nodes: [{ id: 'only', type: 'tool_call', tool: { kind: 'builtin', name: 'echo' }, inputs: { q: '$context.q' } }],
      edges: [],
    },
  });
  expect(res.status, res.text).toBe(201);
  workflowId = res.body.id as string;
});
afterAll(async () => {
  await stack?.close();
});

/** Checks an answer: never a 5xx, only the listed statuses, and a 400 names fields that exist in `body`. */
function assessAnswer(res: ApiResponse, allowed: number[], body?: unknown): void {
  expect(res.status, res.text.slice(0, 500)).toBeLessThan(500);
  expect(allowed, `status ${res.status}: ${res.text.slice(0, 300)}`).toContain(res.status);
  if (res.status === 400) {
    const errors = res.body?.errors as { code: unknown; path: unknown; message: unknown }[];
    expect(Array.isArray(errors) && errors.length > 0, res.text.slice(0, 300)).toBe(true);
    for (const e of errors) {
      expect(typeof e.code).toBe('string');
      expect(typeof e.message).toBe('string');
      expect(typeof e.path).toBe('string');
      const path = e.path as string;
      if (path === '' || path.startsWith('/query/') || path.startsWith('/path/') || body === undefined) continue;
      const segments = pointerSegments(path);
      const resolves = resolvePath(body, segments).found || resolvePath(body, segments.slice(0, -1)).found;
      expect(resolves, `${String(e.code)} at ${path} does not point into the body`).toBe(true);
    }
  }
  // The gateway answers an unmatched path, a body over its payload limit and a request line + headers over its
  // 10,240-byte quota itself (`{ "message": … }`; Node's own 16 KiB header limit answers 431 with no body).
  const fromGateway = res.body?.message === 'Not Found' || res.body?.message === 'Request Entity Too Large' || res.status === 431;
  if (res.status > 400 && !fromGateway) expect(typeof res.body?.error?.code, res.text.slice(0, 300)).toBe('string');
}

const contentTypes = fc.constantFrom('application/json', 'application/json; charset=utf-8', 'application/problem+json', 'text/plain', 'application/x-www-form-urlencoded', '', 'multipart/form-data; boundary=x', 'application/jsonx');
const rawBody = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.constantFrom('{', '[1,', '{"name":', 'null', '"s"', '1e999', '{"__proto__":{"x":1}}', '\uFEFF{}', '{"a":1}{"b":2}', ' '),
  fc.jsonValue().map((v) => JSON.stringify(v)),
);

describe('HTTP API fuzzing', () => {
  it('definitions on create, validate and update: zero 500s, rejections name the field', async () => {
    await fc.assert(
      fc.asyncProperty(mutatedDefinition, fc.constantFrom('create', 'validate', 'update'), async (definition, route) => {
        // Act
        const res = route === 'create'
          ? await stack.call('POST', '/api/v1/workflows', { as: 'fuzzer', body: definition })
          : route === 'validate'
            ? await stack.call('POST', '/api/v1/workflows/validate', { as: 'fuzzer', body: definition })
            : await stack.call('PUT', `/api/v1/workflows/${workflowId}`, { as: 'fuzzer', body: definition });
        // Assess
        assessAnswer(res, route === 'create' ? [201, 400, 413] : route === 'validate' ? [200, 400, 413] : [200, 400, 413], definition);
        if (route === 'validate' && res.status === 200) expect(typeof res.body.valid).toBe('boolean');
        if (res.status === 400 && route !== 'validate') expect(JSON.stringify(res.body.errors)).not.toMatch(/could not be validated/);
      }),
      { numRuns: fuzzRuns(90) },
    );
  });

  it('run inputs and start bodies: zero 500s, rejections name the field', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(runInput.map((input) => ({ input })), runInput, fc.record({ input: runInput, idempotencyKey: fc.oneof(fc.string({ maxLength: 140 }), fc.integer()) })), async (body) => {
        // Act
        const res = await stack.call('POST', `/api/v1/workflows/${workflowId}/run`, { as: 'fuzzer', body });
        // Assess
        assessAnswer(res, [202, 400, 413], body);
      }),
      { numRuns: fuzzRuns(80) },
    );
  });

  it('raw bodies and content types on every body route: only 400, 413 or 415', async () => {
    const routes = [
      ['POST', '/api/v1/workflows'], ['POST', '/api/v1/workflows/validate'], ['PUT', `/api/v1/workflows/{wf}`],
      ['POST', '/api/v1/workflows/{wf}/run'], ['PUT', '/api/v1/workflows/{wf}/permissions/bob'],
    ] as const;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), rawBody, contentTypes, async ([method, path], text, type) => {
        // Act
        const res = await stack.call(method, path.replace('{wf}', workflowId), { as: 'fuzzer', rawBody: text, headers: type ? { 'content-type': type } : {} });
        // Assess
        assessAnswer(res, [200, 201, 202, 400, 413, 415]);
        const isJson = /^application\/(.+\+)?json(;|$)/.test(type);
        if (!isJson) expect(res.status).toBe(415);
      }),
      { numRuns: fuzzRuns(120) },
    );
  });

  it('listings by users holding grants (any role, expired or not): never a 5xx', async () => {
    const grantee = fc.constantFrom('g-viewer', 'g-editor', 'g-runner', 'fuzzer', 'nobody');
    const grant = fc.record({ user: grantee, role: fc.constantFrom('viewer', 'runner', 'approver', 'editor'), expired: fc.boolean() });
    const listing = fc.record({ path: fc.constantFrom('/api/v1/workflows', '/api/v1/templates'), scope: fc.constantFrom('all', 'mine', 'shared', 'public', undefined), limit: fc.constantFrom(1, 2, 20, 100, undefined) });
    await fc.assert(
      fc.asyncProperty(fc.array(grant, { maxLength: 3 }), grantee, listing, async (grants, as, { path, scope, limit }) => {
        // Prepare
        for (const g of grants) {
          const expiresAt = g.expired ? undefined : new Date(Date.UTC(2099, 0, 1)).toISOString();
          await stack.call('PUT', `/api/v1/workflows/${workflowId}/permissions/${g.user}`, { as: 'fuzzer', body: { role: g.role, ...(expiresAt ? { expiresAt } : {}) } });
          if (g.expired) await stack.store.grants.put({ workflowId, userId: g.user, role: g.role, grantedBy: 'fuzzer', grantedAt: '2020-01-01T00:00:00.000Z', expiresAt: '2020-01-02T00:00:00.000Z' });
        }
        const qs = new URLSearchParams({ ...(scope ? { scope } : {}), ...(limit ? { limit: String(limit) } : {}) }).toString();
        // Act
        const res = await stack.call('GET', `${path}${qs ? `?${qs}` : ''}`, { as });
        // Assess
        assessAnswer(res, [200]);
        expect(Array.isArray(res.body.items)).toBe(true);
      }),
      { numRuns: fuzzRuns(30) },
    );
  });

  it('odd path parameters and queries on read routes: never a 5xx, only documented 4xx', async () => {
    const segment = fc.oneof(fc.string({ minLength: 1, maxLength: 40 }), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }), fc.constantFrom('__proto__', 'constructor', '..', '%00', 'x'.repeat(300), 'a#b', 'RUN#x', 'WF#y'));
    const query = fc.dictionary(fc.constantFrom('limit', 'cursor', 'after', 'version', 'format', '__proto__'), fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('-1', '0', '1e9', 'NaN', '1.5', 'x'.repeat(5000))));
    const paths = ['/api/v1/workflows/{x}', '/api/v1/workflows/{x}/versions', '/api/v1/workflows/{x}/diagram', '/api/v1/workflows/runs/{x}', '/api/v1/workflows/runs/{x}/nodes', '/api/v1/workflows/runs/{x}/events', '/api/v1/workflows', '/api/v1/templates', '/api/v1/workflows/{wf}/runs', '/api/v1/workflows/{wf}'];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...paths), segment, query, async (template, x, q) => {
        // Prepare
        const path = template.replace('{x}', encodeURIComponent(x)).replace('{wf}', workflowId);
        const qs = new URLSearchParams(Object.entries(q)).toString();
        // Act
        const res = await stack.call('GET', `${path}${qs ? `?${qs}` : ''}`, { as: 'fuzzer' });
        // Assess: 431 is the gateway's documented answer to a request line over its quota (README, Limits)
        assessAnswer(res, [200, 400, 404, 431]);
      }),
      { numRuns: fuzzRuns(120) },
    );
  });
});

/**
 * Fuzzing the HTTP API on the local stack: mutated definitions, run inputs, raw bodies, content types, path
 * parameters and queries. Zero 500s; every rejection is a 400/413/415, and a 400 names each offending field
 * with a JSON pointer into the body (or `/query/…`, `/path/…`). `BRAID_FUZZ_RUNS` raises the number of cases.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFakeOrchestrator } from '../support/fake-orchestrator';
import { startTestStack, type ApiResponse, type TestStack } from '../support/local-stack';
import { fuzzRuns, mutatedDefinition, pointerSegments, resolvePath, runInput } from './fuzz-arbitraries';

let stack: TestStack;
let workflowId: string;
beforeAll(async () => {
  stack = await startTestStack({ orchestrator: createFakeOrchestrator() });
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

/** Checks an answer: no 500, only the listed statuses, and a 400 names fields that exist in `body`. */
function assessAnswer(res: ApiResponse, allowed: number[], body?: unknown): void {
  expect(res.status, res.text.slice(0, 500)).not.toBe(500);
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
  // An unmatched path or a body over the gateway's own limit is answered by the gateway (`{ "message": … }`).
  const fromGateway = res.body?.message === 'Not Found' || res.body?.message === 'Request Entity Too Large';
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

  it('odd path parameters and queries on read routes: never a 500', async () => {
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
        // Assess
        assessAnswer(res, [200, 400, 404]);
      }),
      { numRuns: fuzzRuns(120) },
    );
  });
});

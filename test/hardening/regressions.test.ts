/**
 * Named regression cases: every counterexample the fuzz and property suites (or a user) found, replayed as a
 * fixed test so it can never come back unnoticed. Each title says what broke and what is now required.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writtenItems } from '../../infra/local/ws-stream';
import { marshallSafe } from '../../shared/store/plain-data';
import { createFakeOrchestrator } from '../support/fake-orchestrator';
import { startTestStack, type TestStack } from '../support/local-stack';

/** Objects whose own `constructor` key once steered the DynamoDB marshaller to another type. */
const PROTOTYPE_SHAPED: Record<string, unknown>[] = [
  { constructor: { name: 'Set' } },
  { constructor: { name: 'Map' } },
  { constructor: { name: 'Number' } },
  { constructor: { name: 'String' } },
  { constructor: { name: 'Boolean' } },
  { constructor: { name: 'Uint8Array', length: 2 } },
  { constructor: { prototype: { constructor: { name: 'Set' } } } },
  { constructor: { prototype: { x: 1 } }, prototype: { constructor: 'Object' } },
];

/** JSON with sorted keys: `toStrictEqual` compares `.constructor`, which these values override on purpose. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v));
}

let stack: TestStack;
beforeAll(async () => {
  // `live: true` attaches the stream emulation middleware, which every command of the local stack passes.
  stack = await startTestStack({ orchestrator: createFakeOrchestrator(), live: true });
});
afterAll(async () => {
  await stack?.close();
});

describe('regressions', () => {
  it.each(PROTOTYPE_SHAPED.map((value, i) => [i, value] as const))('constructor/prototype-shaped inputs #%i are stored as given (was a 500 from the marshaller)', async (_i, value) => {
    // Prepare
    const inputs = { top: value, deep: { a: [{ b: value }] }, ...value };
    const definition = { name: 'ctor', nodes: [{ id: 'a', type: 'tool_call', tool: { kind: 'builtin', name: 'echo' }, inputs }], edges: [] };
    // Act
    const created = await stack.call('POST', '/api/v1/workflows', { as: 'proto-owner', body: definition });
    const read = await stack.call('GET', `/api/v1/workflows/${created.body?.id}`, { as: 'proto-owner' });
    const run = await stack.call('POST', `/api/v1/workflows/${created.body?.id}/run`, { as: 'proto-owner', body: { input: { value } } });
    const runView = await stack.call('GET', `/api/v1/workflows/runs/${run.body?.runId}`, { as: 'proto-owner' });
    // Assess
    expect(created.status, created.text.slice(0, 300)).toBe(201);
    expect(canonical(read.body.definition.nodes[0].inputs)).toBe(canonical(inputs));
    expect(run.status, run.text.slice(0, 300)).toBe(202);
    expect(canonical(runView.body.input)).toBe(canonical({ value }));
  });

  it('GET /workflows?scope=all by a user holding a grant answers 200 on the local stack (the stream emulation crashed on BatchGetItem)', async () => {
    // Prepare
    const shared = await stack.call('POST', '/api/v1/workflows', { as: 'granter', body: { name: 'shared', nodes: [{ id: 'a', type: 'tool_call', tool: { kind: 'builtin', name: 'echo' } }], edges: [] } });
    await stack.call('PUT', `/api/v1/workflows/${shared.body.id}/permissions/grantee`, { as: 'granter', body: { role: 'viewer' } });
    // Act
    const all = await stack.call('GET', '/api/v1/workflows?scope=all', { as: 'grantee' });
    const sharedOnly = await stack.call('GET', '/api/v1/workflows?scope=shared', { as: 'grantee' });
    // Assess
    expect(all.status, all.text.slice(0, 300)).toBe(200);
    expect(all.body.items.map((w: { name: string }) => w.name)).toContain('shared');
    expect(sharedOnly.status).toBe(200);
  });

  it('the stream emulation finds no written item in a BatchGetItem input', () => {
    expect(writtenItems({ RequestItems: { braid: { Keys: [{ PK: 'WF#x', SK: 'META' }] } } })).toStrictEqual([]);
    expect(writtenItems({ RequestItems: { braid: [{ PutRequest: { Item: { PK: 'a' } } }, { DeleteRequest: { Key: { PK: 'b' } } }] } })).toStrictEqual([{ PK: 'a' }]);
  });

  it('marshallSafe copies only what it changes and turns constructor-keyed objects into maps', () => {
    const untouched = { a: [1, { b: 'c' }] };
    expect(marshallSafe(untouched)).toBe(untouched);
    const safe = marshallSafe({ a: [{ constructor: { name: 'Set' } }] }) as { a: unknown[] };
    expect(safe.a[0]).toBeInstanceOf(Map);
    expect(canonical(Object.fromEntries(safe.a[0] as Map<string, unknown>))).toBe(canonical({ constructor: { name: 'Set' } }));
  });

  it('a 16 KB query string is refused with 431, the gateway request-line quota (was an unaccepted answer in the fuzz suite)', async () => {
    // Act
    const res = await stack.call('GET', `/api/v1/workflows?cursor=${'x'.repeat(16_384)}`, { as: 'proto-owner' });
    // Assess
    expect(res.status).toBe(431);
  });
});

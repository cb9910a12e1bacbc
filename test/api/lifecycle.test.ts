import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/local-stack';
import { createFakeOrchestrator, type FakeOrchestrator } from '../support/fake-orchestrator';
import { fanOut, single } from './fixtures';

let stack: TestStack;
let orchestrator: FakeOrchestrator;

beforeAll(async () => {
  orchestrator = createFakeOrchestrator();
  stack = await startTestStack({ orchestrator });
});
afterAll(async () => {
  await stack?.close();
});

describe('workflow lifecycle', () => {
  it('creates a workflow: 201 with id, version 1, warnings, no server-only fields', async () => {
    // Act
    const res = await stack.call('POST', '/api/v1/workflows', { as: 'alice', body: fanOut() });
    // Assess
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ ownerId: 'alice', name: 'fan-out', version: 1, latestVersion: 1, visibility: 'private', isTemplate: false, role: 'owner' });
    expect(res.body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Array.isArray(res.body.warnings)).toBe(true);
    expect(res.text).not.toMatch(/stateMachine|arn:/i);
    expect(res.headers.get('location')).toBe(`/api/v1/workflows/${res.body.id}`);
    expect(orchestrator.registrations.at(-1)).toMatchObject({ workflowId: res.body.id, version: 1 });
  });

  it('gets, updates to a new immutable version, and reads the old one by ?version', async () => {
    // Prepare
    const created = await stack.call('POST', '/api/v1/workflows', { as: 'alice', body: single('v1') });
    const id = created.body.id as string;
    // Act
    const updated = await stack.call('PUT', `/api/v1/workflows/${id}`, { as: 'alice', body: fanOut('v2') });
    const latest = await stack.call('GET', `/api/v1/workflows/${id}`, { as: 'alice' });
    const first = await stack.call('GET', `/api/v1/workflows/${id}?version=1`, { as: 'alice' });
    const versions = await stack.call('GET', `/api/v1/workflows/${id}/versions`, { as: 'alice' });
    // Assess
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ id, version: 2, latestVersion: 2, name: 'v2' });
    expect(latest.body).toMatchObject({ version: 2, name: 'v2' });
    expect(first.body).toMatchObject({ version: 1, name: 'v1', latestVersion: 2 });
    expect(first.body.definition.nodes).toHaveLength(1);
    expect(versions.body.items.map((v: { version: number; name: string }) => [v.version, v.name])).toStrictEqual([[2, 'v2'], [1, 'v1']]);
  });

  it('returns 404 for a version that does not exist', async () => {
    // Prepare
    const { body } = await stack.call('POST', '/api/v1/workflows', { as: 'alice', body: single() });
    // Act
    const res = await stack.call('GET', `/api/v1/workflows/${body.id}?version=7`, { as: 'alice' });
    // Assess
    expect(res.status).toBe(404);
  });

  it('soft-deletes: the workflow disappears from get and listings; a second delete is 404', async () => {
    // Prepare
    const { body } = await stack.call('POST', '/api/v1/workflows', { as: 'dora', body: single('doomed') });
    // Act
    const del = await stack.call('DELETE', `/api/v1/workflows/${body.id}`, { as: 'dora' });
    const get = await stack.call('GET', `/api/v1/workflows/${body.id}`, { as: 'dora' });
    const list = await stack.call('GET', '/api/v1/workflows?scope=mine', { as: 'dora' });
    const again = await stack.call('DELETE', `/api/v1/workflows/${body.id}`, { as: 'dora' });
    // Assess
    expect(del.status).toBe(204);
    expect(get.status).toBe(404);
    expect(list.body.items).toStrictEqual([]);
    expect(again.status).toBe(404);
  });

  it('validates without storing: 200 with valid, errors, warnings and levels', async () => {
    // Act
    const ok = await stack.call('POST', '/api/v1/workflows/validate', { as: 'erin', body: fanOut() });
    const bad = await stack.call('POST', '/api/v1/workflows/validate', { as: 'erin', body: { ...fanOut(), edges: [{ from: 'a', to: 'zz' }] } });
    const mine = await stack.call('GET', '/api/v1/workflows?scope=mine', { as: 'erin' });
    // Assess
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ valid: true, errors: [], levels: [['a'], ['b', 'c']] });
    expect(bad.status).toBe(200);
    expect(bad.body.valid).toBe(false);
    expect(bad.body.errors.length).toBeGreaterThan(0);
    expect(mine.body.items).toStrictEqual([]);
  });

  it('rejects an invalid definition on create with 400 and the validator\'s issues', async () => {
    // Act
    const res = await stack.call('POST', '/api/v1/workflows', { as: 'alice', body: { ...fanOut(), edges: [{ from: 'a', to: 'a' }] } });
    // Assess
    expect(res.status).toBe(400);
    expect(res.body.errors[0]).toEqual(expect.objectContaining({ code: expect.any(String), path: expect.any(String), message: expect.any(String) }));
  });

  it('renders the diagram as Mermaid with one subgraph per level', async () => {
    // Prepare
    const { body } = await stack.call('POST', '/api/v1/workflows', { as: 'alice', body: fanOut() });
    // Act
    const res = await stack.call('GET', `/api/v1/workflows/${body.id}/diagram`, { as: 'alice' });
    // Assess
    expect(res.status).toBe(200);
    expect(res.body.version).toBe(1);
    expect(res.body.mermaid).toContain('flowchart TD');
    expect(res.body.mermaid).toContain('subgraph level_1["Level 1"]');
    expect(res.body.mermaid).toContain('n_a --> n_b');
  });
});

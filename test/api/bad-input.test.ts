import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIMITS } from '../../shared/definition/schema';
import { startTestStack, type TestStack } from '../support/local-stack';
import { createFakeOrchestrator } from '../support/fake-orchestrator';
import { single } from './fixtures';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ orchestrator: createFakeOrchestrator() });
});
afterAll(async () => {
  await stack?.close();
});

describe('bad input never yields a 500', () => {
  it('malformed JSON → 400 malformed_json', async () => {
    // Act
    const res = await stack.call('POST', '/api/v1/workflows', { as: 'u', rawBody: '{"name": ', headers: { 'content-type': 'application/json' } });
    // Assess
    expect(res.status).toBe(400);
    expect(res.body.errors[0]).toMatchObject({ code: 'malformed_json', path: '' });
  });

  it('empty body → 400 malformed_json', async () => {
    // Act
    const res = await stack.call('POST', '/api/v1/workflows', { as: 'u', rawBody: '', headers: { 'content-type': 'application/json' } });
    // Assess
    expect(res.status).toBe(400);
    expect(res.body.errors[0].code).toBe('malformed_json');
  });

  it('wrong content type → 415', async () => {
    // Act
    const res = await stack.call('POST', '/api/v1/workflows', { as: 'u', rawBody: JSON.stringify(single()), headers: { 'content-type': 'text/plain' } });
    // Assess
    expect(res.status).toBe(415);
    expect(res.body.error.code).toBe('unsupported_media_type');
  });

  it('a body over the 256 KiB limit → 413', async () => {
    // Prepare
    const big = { ...single(), description: 'x'.repeat(LIMITS.maxDefinitionBytes) };
    // Act
    const res = await stack.call('POST', '/api/v1/workflows', { as: 'u', body: big });
    // Assess
    expect(res.status).toBe(413);
    expect(res.body.error).toMatchObject({ code: 'payload_too_large', limitBytes: LIMITS.maxDefinitionBytes });
  });

  it('read-only fields → 400 naming each field', async () => {
    // Act
    const res = await stack.call('POST', '/api/v1/workflows', { as: 'u', body: { ...single(), id: 'mine', ownerId: 'eve', stateMachineArn: 'arn:x' } });
    // Assess
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { path: string; code: string }) => [e.code, e.path])).toStrictEqual([
      ['read_only_field', '/id'], ['read_only_field', '/ownerId'], ['read_only_field', '/stateMachineArn'],
    ]);
  });

  it('a forged cursor → 400 invalid_cursor', async () => {
    // Prepare
    const forged = Buffer.from(JSON.stringify({ l: 'workflows:mine', p: 0, k: { PK: 'WF#x', evil: 1 } })).toString('base64url');
    // Act
    const res = await stack.call('GET', `/api/v1/workflows?scope=mine&cursor=${forged}`, { as: 'u' });
    // Assess
    expect(res.status).toBe(400);
    expect(res.body.errors[0]).toMatchObject({ code: 'invalid_cursor', path: '/query/cursor' });
  });

  it('a cursor from another listing → 400', async () => {
    // Prepare
    const other = Buffer.from(JSON.stringify({ l: 'templates', p: 0 })).toString('base64url');
    // Act
    const res = await stack.call('GET', `/api/v1/workflows?scope=mine&cursor=${other}`, { as: 'u' });
    // Assess
    expect(res.status).toBe(400);
  });

  it('limit out of range and unknown scope → 400 with query paths', async () => {
    // Act
    const res = await stack.call('GET', '/api/v1/workflows?limit=1000&scope=everything', { as: 'u' });
    // Assess
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { path: string }) => e.path).sort()).toStrictEqual(['/query/limit', '/query/scope']);
  });

  it('an unknown route → 404 JSON', async () => {
    // Act
    const res = await stack.call('GET', '/api/v1/nothing-here', { as: 'u' });
    // Assess
    expect(res.status).toBe(404);
    expect(res.body).toStrictEqual({ message: 'Not Found' });
  });

  it('no token, a garbage token, and an expired token → 401 JSON', async () => {
    // Prepare
    const expired = await stack.token('u', { expiresIn: '-1h' });
    // Act
    const none = await stack.call('GET', '/api/v1/workflows', { as: null });
    const garbage = await stack.call('GET', '/api/v1/workflows', { as: null, headers: { authorization: 'Bearer abc.def.ghi' } });
    const old = await stack.call('GET', '/api/v1/workflows', { as: null, headers: { authorization: `Bearer ${expired}` } });
    // Assess
    expect([none.status, garbage.status, old.status]).toStrictEqual([401, 401, 401]);
    expect(none.body).toStrictEqual({ message: 'Unauthorized' });
  });

  it('serves the JWKS without a token', async () => {
    // Act
    const res = await fetch(stack.jwksUrl);
    // Assess
    expect(res.status).toBe(200);
    expect(((await res.json()) as { keys: unknown[] }).keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256' });
  });

  it('an invalid grant body → 400 with field paths', async () => {
    // Prepare
    const { body } = await stack.call('POST', '/api/v1/workflows', { as: 'u', body: single() });
    // Act
    const res = await stack.call('PUT', `/api/v1/workflows/${body.id}/permissions/v`, { as: 'u', body: { role: 'god', extra: 1 } });
    // Assess
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { path: string }) => e.path).sort()).toStrictEqual(['/extra', '/role']);
  });
});

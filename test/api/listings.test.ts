import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/local-stack';
import { createFakeOrchestrator } from '../support/fake-orchestrator';
import { fanOut, single } from './fixtures';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ orchestrator: createFakeOrchestrator() });
});
afterAll(async () => {
  await stack?.close();
});

/** Follows `nextCursor` until the end, with a bound on pages. */
async function allPages(path: string, as: string, limit: number): Promise<{ pages: number; names: string[] }> {
  const names: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const res = await stack.call('GET', `${path}${sep}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`, { as });
    expect(res.status).toBe(200);
    expect(res.body.items.length).toBeLessThanOrEqual(limit);
    names.push(...res.body.items.map((i: { name: string }) => i.name));
    cursor = res.body.nextCursor;
    pages += 1;
  } while (cursor && pages < 50);
  return { pages, names };
}

describe('listings and templates', () => {
  it('paginates mine newest-updated first with an opaque cursor and no duplicates', async () => {
    // Prepare
    for (let i = 0; i < 7; i++) await stack.call('POST', '/api/v1/workflows', { as: 'pager', body: single(`p${i}`) });
    // Act
    const { pages, names } = await allPages('/api/v1/workflows?scope=mine', 'pager', 3);
    // Assess
    expect(names).toStrictEqual(['p6', 'p5', 'p4', 'p3', 'p2', 'p1', 'p0']);
    expect(pages).toBeGreaterThanOrEqual(3);
  });

  it('scope=all lists mine, then shared with me, then public, each once', async () => {
    // Prepare
    await stack.call('POST', '/api/v1/workflows', { as: 'lee', body: single('lee-own') });
    const shared = await stack.call('POST', '/api/v1/workflows', { as: 'kim', body: single('kim-shared') });
    await stack.call('PUT', `/api/v1/workflows/${shared.body.id}/permissions/lee`, { as: 'kim', body: { role: 'viewer' } });
    const sharedPublic = await stack.call('POST', '/api/v1/workflows', { as: 'kim', body: single('kim-public-shared', { visibility: 'public' }) });
    await stack.call('PUT', `/api/v1/workflows/${sharedPublic.body.id}/permissions/lee`, { as: 'kim', body: { role: 'editor' } });
    await stack.call('POST', '/api/v1/workflows', { as: 'kim', body: single('kim-public', { visibility: 'public' }) });
    await stack.call('POST', '/api/v1/workflows', { as: 'kim', body: single('kim-private') });
    // Act
    const { names } = await allPages('/api/v1/workflows?scope=all', 'lee', 2);
    const publicOnly = await allPages('/api/v1/workflows?scope=public', 'lee', 2);
    // Assess
    const seen = names.filter((n) => n.startsWith('lee') || n.startsWith('kim'));
    expect(seen[0]).toBe('lee-own');
    expect(seen.slice(1, 3).sort()).toStrictEqual(['kim-public-shared', 'kim-shared']);
    expect(seen.slice(3)).toStrictEqual(['kim-public']);
    expect(publicOnly.names).toContain('kim-public');
    expect(publicOnly.names).not.toContain('kim-private');
  });

  it('lists public and own templates, and instantiates one as a private copy', async () => {
    // Prepare
    const tpl = await stack.call('POST', '/api/v1/workflows', { as: 'tara', body: fanOut('tpl', { isTemplate: true, visibility: 'public' }) });
    await stack.call('POST', '/api/v1/workflows', { as: 'tara', body: single('hidden-tpl', { isTemplate: true }) });
    // Act
    const listed = await stack.call('GET', '/api/v1/templates', { as: 'ulf' });
    const made = await stack.call('POST', '/api/v1/workflows', { as: 'ulf', body: { templateId: tpl.body.id, name: 'my copy' } });
    // Assess
    expect(listed.status).toBe(200);
    const names = listed.body.items.map((i: { name: string }) => i.name);
    expect(names).toContain('tpl');
    expect(names).not.toContain('hidden-tpl');
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ ownerId: 'ulf', name: 'my copy', isTemplate: false, visibility: 'private', version: 1 });
    expect(made.body.definition.nodes).toHaveLength(3);
  });

  it('instantiating a template the caller cannot see is 404; a non-template is 400', async () => {
    // Prepare
    const hidden = await stack.call('POST', '/api/v1/workflows', { as: 'tara', body: single('secret-tpl', { isTemplate: true }) });
    const plain = await stack.call('POST', '/api/v1/workflows', { as: 'ulf', body: single('plain') });
    // Act
    const notSeen = await stack.call('POST', '/api/v1/workflows', { as: 'ulf', body: { templateId: hidden.body.id, name: 'x' } });
    const notTpl = await stack.call('POST', '/api/v1/workflows', { as: 'ulf', body: { templateId: plain.body.id, name: 'x' } });
    // Assess
    expect(notSeen.status).toBe(404);
    expect(notTpl.status).toBe(400);
    expect(notTpl.body.errors[0]).toMatchObject({ code: 'not_a_template', path: '/templateId' });
  });

  it('an update that omits visibility keeps the workflow public', async () => {
    // Prepare
    const pub = await stack.call('POST', '/api/v1/workflows', { as: 'vic', body: single('pub', { visibility: 'public' }) });
    // Act
    const res = await stack.call('PUT', `/api/v1/workflows/${pub.body.id}`, { as: 'vic', body: single('pub2') });
    // Assess
    expect(res.body).toMatchObject({ visibility: 'public', version: 2, name: 'pub2' });
  });
});

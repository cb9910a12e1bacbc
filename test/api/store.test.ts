import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { VersionConflictError } from '../../shared/errors';
import { StoreUnavailableError, translateStoreError } from '../../shared/store/errors';
import { keys } from '../../shared/store/table';
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

describe('store semantics', () => {
  it('concurrent updates: one wins each version, losers get 409 version_conflict, no gaps', async () => {
    // Prepare
    const { body } = await stack.call('POST', '/api/v1/workflows', { as: 'cc', body: single('c0') });
    // Act
    const results = await Promise.all([1, 2, 3, 4, 5].map((i) => stack.call('PUT', `/api/v1/workflows/${body.id}`, { as: 'cc', body: single(`c${i}`) })));
    const versions = await stack.call('GET', `/api/v1/workflows/${body.id}/versions?limit=100`, { as: 'cc' });
    // Assess
    const won = results.filter((r) => r.status === 200);
    const lost = results.filter((r) => r.status === 409);
    expect(won.length + lost.length).toBe(5);
    expect(won.length).toBeGreaterThanOrEqual(1);
    for (const r of lost) expect(r.body.error).toMatchObject({ code: 'conflict', reason: 'version_conflict' });
    expect(versions.body.items.map((v: { version: number }) => v.version)).toStrictEqual(
      Array.from({ length: won.length + 1 }, (_, i) => won.length + 1 - i),
    );
  });

  it('a version item left by a crash is invisible, blocks the number while fresh, and is reused once stale', async () => {
    // Prepare
    const { body } = await stack.call('POST', '/api/v1/workflows', { as: 'crash', body: single('v1') });
    const orphan = (createdAt: string) => stack.table.client.send(new PutCommand({
      TableName: stack.table.tableName,
      Item: { ...keys.workflowVersion(body.id, 2), workflowId: body.id, version: 2, definition: single('orphan'), warnings: [], createdAt, createdBy: 'crash' },
    }));
    await orphan(new Date().toISOString());
    // Act
    const listed = await stack.call('GET', `/api/v1/workflows/${body.id}/versions`, { as: 'crash' });
    const blocked = await stack.call('PUT', `/api/v1/workflows/${body.id}`, { as: 'crash', body: single('v2') });
    await orphan('2000-01-01T00:00:00.000Z');
    const reused = await stack.call('PUT', `/api/v1/workflows/${body.id}`, { as: 'crash', body: single('v2') });
    // Assess
    expect(listed.body.items.map((v: { version: number }) => v.version)).toStrictEqual([1]);
    expect(blocked.status).toBe(409);
    expect(reused.status).toBe(200);
    expect(reused.body).toMatchObject({ version: 2, name: 'v2' });
  });

  it('maps SDK errors: lost condition → VersionConflictError, throttling → Braid.Transient, others unchanged', () => {
    // Prepare
    const named = (name: string) => Object.assign(new Error(name), { name });
    const unknown = named('ValidationException');
    // Act
    const conflict = translateStoreError(named('ConditionalCheckFailedException'));
    const throttled = translateStoreError(named('ProvisionedThroughputExceededException'));
    const other = translateStoreError(unknown);
    // Assess
    expect(conflict).toBeInstanceOf(VersionConflictError);
    expect(throttled).toBeInstanceOf(StoreUnavailableError);
    expect((throttled as Error).name).toBe('Braid.Transient');
    expect(other).toBe(unknown);
  });

  it('persists across restarts when given a data dir', async () => {
    // Prepare
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { createLocalStack } = await import('../../infra/local/stack');
    const dir = await mkdtemp(join(tmpdir(), 'braid-'));
    try {
      const first = await createLocalStack({ dataDir: dir, live: false, logLevel: 'SILENT', orchestrator: createFakeOrchestrator() });
      const token = await first.token('pat');
      const created = await fetch(`${first.httpUrl}/api/v1/workflows`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(single('kept')) });
      const id = ((await created.json()) as { id: string }).id;
      await first.close();
      // Act
      const second = await createLocalStack({ dataDir: dir, live: false, logLevel: 'SILENT', orchestrator: createFakeOrchestrator() });
      const res = await fetch(`${second.httpUrl}/api/v1/workflows/${id}`, { headers: { authorization: `Bearer ${token}` } });
      await second.close();
      // Assess
      expect(res.status).toBe(200);
      expect(((await res.json()) as { name: string }).name).toBe('kept');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

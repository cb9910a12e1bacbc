import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../functions/http/routes';
import { startTestStack, type TestStack } from '../support/local-stack';
import { createFakeOrchestrator } from '../support/fake-orchestrator';
import { ACTORS, ROUTE_CASES, type Actor } from './authz-cases';
import { single } from './fixtures';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ orchestrator: createFakeOrchestrator() });
});
afterAll(async () => {
  await stack?.close();
});

const ROLES = ['viewer', 'runner', 'approver', 'editor'] as const;

/** A fresh workflow for one cell: private (public for `publicStranger`), every role granted, an expired editor grant. */
async function prepareWorkflow(cell: string, actor: Actor): Promise<{ id: string; owner: string; caller: string | null }> {
  const owner = `owner-${cell}`;
  const created = await stack.call('POST', '/api/v1/workflows', { as: owner, body: single(`wf-${cell}`, actor === 'publicStranger' ? { visibility: 'public' } : {}) });
  expect(created.status).toBe(201);
  const id = created.body.id as string;
  const grantedAt = new Date(Date.now() - 7_200_000).toISOString();
  for (const role of ROLES) await stack.store.grants.put({ workflowId: id, userId: `${role}-${cell}`, role, grantedBy: owner, grantedAt });
  await stack.store.grants.put({ workflowId: id, userId: `expired-${cell}`, role: 'editor', grantedBy: owner, grantedAt, expiresAt: new Date(Date.now() - 3_600_000).toISOString() });
  await stack.store.grants.put({ workflowId: id, userId: `target-${cell}`, role: 'viewer', grantedBy: owner, grantedAt });
  const caller = actor === 'owner' ? owner : actor === 'anonymous' ? null : actor === 'stranger' || actor === 'publicStranger' ? `stranger-${cell}` : `${actor}-${cell}`;
  return { id, owner, caller };
}

describe('authorization matrix (route table × actor)', () => {
  for (const route of ROUTES) {
    const rc = ROUTE_CASES[route.name];
    if (!rc) {
      it.todo(`${route.name}: no matrix row yet`);
      continue;
    }
    describe(`${route.method} ${route.path}`, () => {
      for (const actor of ACTORS) {
        it(`${actor} → ${rc.expect[actor]}`, async () => {
          // Prepare
          const cell = `${route.name}-${actor}`;
          const { id, caller } = await prepareWorkflow(cell, actor);
          const ctx = { stack, params: { id, userId: `target-${cell}` } as Record<string, string> };
          if (rc.prepare) Object.assign(ctx.params, await rc.prepare(ctx));
          const path = route.path.replace(/\{(\w+)\}/g, (_m, name: string) => encodeURIComponent(ctx.params[name] ?? `missing-${name}`));
          // Act
          const res = await stack.call(route.method, path, { as: caller, ...(rc.body ? { body: rc.body(ctx) } : {}) });
          // Assess
          expect(res.status, res.text).toBe(rc.expect[actor]);
        });
      }
    });
  }
});

/**
 * Quotas: each at its limit and one past it, under concurrent requests (conditional atomic counters: never
 * one admission too many), released by the write that makes a run final, healed when a crash left a counter
 * high, and answered as 429 with `Retry-After` and `error.quota`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_QUOTAS, DEV_QUOTAS, quotasFromEnv, type QuotaLimits } from '../../shared/quotas/config';
import { activeRunSlot } from '../../shared/store/quotas';
import { createFakeOrchestrator } from '../support/fake-orchestrator';
import { startTestStack, type ApiResponse, type TestStack } from '../support/local-stack';

const LIMITS: QuotaLimits = { activeRunsPerUser: 3, runStartsPerMinute: 5, workflowsPerUser: 3, secretsPerUser: 2, parallelWidth: 3 };
const echo = (id: string) => ({ id, type: 'tool_call', tool: { kind: 'builtin', name: 'echo' } });
const single = (name: string) => ({ name, nodes: [echo('a')], edges: [] });

let stack: TestStack;
let now = new Date('2026-12-01T12:00:30.000Z');
beforeAll(async () => {
  stack = await startTestStack({ orchestrator: createFakeOrchestrator(), quotas: LIMITS, clock: () => now });
});
afterAll(async () => {
  await stack?.close();
});

function expectQuota(res: ApiResponse, quota: string, limit: number): void {
  expect(res.status, res.text).toBe(429);
  expect(res.body.error).toMatchObject({ code: 'quota_exceeded', quota, limit });
  expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
}

async function workflow(as: string, name = 'q'): Promise<string> {
  const res = await stack.call('POST', '/api/v1/workflows', { as, body: single(name) });
  expect(res.status, res.text).toBe(201);
  return res.body.id as string;
}

const start = (as: string, wf: string) => stack.call('POST', `/api/v1/workflows/${wf}/run`, { as, body: { input: {} } });

describe('quotas', () => {
  it(`admits exactly ${LIMITS.activeRunsPerUser} of 8 concurrent starts (active runs), the rest 429 active_runs`, async () => {
    // Prepare
    const wf = await workflow('racer');
    // Act
    const answers = await Promise.all(Array.from({ length: 8 }, () => start('racer', wf)));
    // Assess
    expect(answers.filter((r) => r.status === 202)).toHaveLength(LIMITS.activeRunsPerUser);
    for (const r of answers.filter((a) => a.status !== 202)) expectQuota(r, 'active_runs', LIMITS.activeRunsPerUser);
  });

  it('a run that ends gives its slot back: after a cancel the next start is admitted', async () => {
    // Prepare: the user is at the limit
    const wf = await workflow('canceller');
    const runs = await Promise.all(Array.from({ length: LIMITS.activeRunsPerUser }, () => start('canceller', wf)));
    expectQuota(await start('canceller', wf), 'active_runs', LIMITS.activeRunsPerUser);
    // Act
    const cancel = await stack.call('POST', `/api/v1/workflows/runs/${runs[0]!.body.runId}/cancel`, { as: 'canceller' });
    const again = await start('canceller', wf);
    // Assess
    expect(cancel.status).toBe(200);
    expect(again.status, again.text).toBe(202);
    expect(await stack.store.quotas.activeRunSlots('canceller')).toHaveLength(LIMITS.activeRunsPerUser);
  });

  it('heals slots a crash left behind (a final run, a start that never created its run)', async () => {
    // Prepare: the user's set holds a slot of a finished run and one of a run that never appeared an hour ago
    const wf = await workflow('healer');
    const done = await start('healer', wf);
    await stack.store.runs.update(done.body.runId, { status: 'succeeded', endedAt: now.toISOString() }, ['running']);
    await stack.store.quotas.acquireActiveRun('healer', activeRunSlot(done.body.runId, now), 100);
    await stack.store.quotas.acquireActiveRun('healer', activeRunSlot('lost-start', new Date(now.getTime() - 3_600_000)), 100);
    await start('healer', wf);
    await start('healer', wf);
    // Act: the set is full of 2 live + 2 stale slots; the start heals the stale ones
    const admitted = await start('healer', wf);
    // Assess
    expect(admitted.status, admitted.text).toBe(202);
    expect(await stack.store.quotas.activeRunSlots('healer')).toHaveLength(3);
  });

  it(`counts ${LIMITS.runStartsPerMinute} starts in a minute; one more is 429 run_starts_per_minute until the next minute`, async () => {
    // Prepare: runs end at once so that only the start rate binds
    const wf = await workflow('rater');
    for (let i = 0; i < LIMITS.runStartsPerMinute; i += 1) {
      const res = await start('rater', wf);
      expect(res.status, res.text).toBe(202);
      await stack.store.runs.update(res.body.runId, { status: 'succeeded', endedAt: now.toISOString() }, ['running']);
    }
    // Act
    const past = await start('rater', wf);
    now = new Date(now.getTime() + 60_000);
    const nextMinute = await start('rater', wf);
    // Assess
    expectQuota(past, 'run_starts_per_minute', LIMITS.runStartsPerMinute);
    expect(past.headers.get('retry-after')).toBe('30');
    expect(nextMinute.status).toBe(202);
    expect(await stack.store.quotas.activeRunSlots('rater'), JSON.stringify(await stack.store.quotas.activeRunSlots('rater'))).toHaveLength(1); // the refused start gave its slot back
  });

  it(`admits exactly ${LIMITS.workflowsPerUser} of 6 concurrent creates; a delete frees one`, async () => {
    // Act
    const answers = await Promise.all(Array.from({ length: 6 }, (_v, i) => stack.call('POST', '/api/v1/workflows', { as: 'maker', body: single(`w${i}`) })));
    // Assess
    const created = answers.filter((r) => r.status === 201);
    expect(created).toHaveLength(LIMITS.workflowsPerUser);
    for (const r of answers.filter((a) => a.status !== 201)) expectQuota(r, 'workflows', LIMITS.workflowsPerUser);
    expect((await stack.call('DELETE', `/api/v1/workflows/${created[0]!.body.id}`, { as: 'maker' })).status).toBe(204);
    expect((await stack.call('POST', '/api/v1/workflows', { as: 'maker', body: single('after-delete') })).status).toBe(201);
  });

  it('heals a workflow count left high by a crash (recounted from the owner index)', async () => {
    // Prepare: one workflow, but the count says the limit
    await workflow('crashy');
    await stack.store.quotas.correct('crashy', 'WORKFLOWS', 1, LIMITS.workflowsPerUser);
    // Act
    const res = await stack.call('POST', '/api/v1/workflows', { as: 'crashy', body: single('healed') });
    // Assess
    expect(res.status, res.text).toBe(201);
    expect(await stack.store.quotas.count('crashy', 'WORKFLOWS')).toBe(2);
  });

  it(`accepts ${LIMITS.parallelWidth} nodes in one level; ${LIMITS.parallelWidth + 1} is a 400 too_wide`, async () => {
    const wide = (n: number) => ({ name: 'wide', nodes: Array.from({ length: n }, (_v, i) => echo(`n${i}`)), edges: [] });
    const at = await stack.call('POST', '/api/v1/workflows', { as: 'wide', body: wide(LIMITS.parallelWidth) });
    const past = await stack.call('POST', '/api/v1/workflows', { as: 'wide', body: wide(LIMITS.parallelWidth + 1) });
    expect(at.status, at.text).toBe(201);
    expect(past.status).toBe(400);
    expect(past.body.errors).toMatchObject([{ code: 'too_wide', path: '/nodes' }]);
  });

  it(`stores ${LIMITS.secretsPerUser} secrets; a new one past that is 429 secrets, a replacement is not, a delete frees one`, async () => {
    // Prepare
    const put = (name: string) => stack.call('PUT', `/api/v1/secrets/${name}`, { as: 'keeper', body: { value: `v-${name}` } });
    const [a, b] = await Promise.all([put('s1'), put('s2')]);
    // Act
    const past = await put('s3');
    const replaced = await put('s1');
    const removed = await stack.call('DELETE', '/api/v1/secrets/s2', { as: 'keeper' });
    const after = await put('s3');
    // Assess
    expect([a.status, b.status], a.text).toStrictEqual([201, 201]);
    expectQuota(past, 'secrets', LIMITS.secretsPerUser);
    expect(replaced.status, replaced.text).toBe(200);
    expect(removed.status).toBe(204);
    expect(after.status, after.text).toBe(201);
  });

  it('reads the quotas from the environment, and refuses a malformed value', () => {
    expect(quotasFromEnv({}).activeRunsPerUser).toBe(DEFAULT_QUOTAS.activeRunsPerUser);
    expect(quotasFromEnv({ BRAID_QUOTA_ACTIVE_RUNS: '7' }, DEV_QUOTAS)).toMatchObject({ activeRunsPerUser: 7, workflowsPerUser: 500, runStartsPerMinute: 120 });
    expect(() => quotasFromEnv({ BRAID_QUOTA_WORKFLOWS: 'many' })).toThrow(/BRAID_QUOTA_WORKFLOWS/);
    expect(DEV_QUOTAS.workflowsPerUser).toBeGreaterThanOrEqual(500);
    expect(quotasFromEnv({ BRAID_QUOTA_CREDENTIALS: '3' }).secretsPerUser).toBe(3);
    expect(DEV_QUOTAS.runStartsPerMinute).toBeGreaterThanOrEqual(120);
    expect(DEV_QUOTAS.activeRunsPerUser).toBeGreaterThanOrEqual(50);
  });
});

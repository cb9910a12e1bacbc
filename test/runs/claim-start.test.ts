/**
 * A first attempt that takes its claim and starts the node in one write (`takeStarting`, issue 18): its attempt
 * record is written once, at its end, so until then the views show it from the claim, and a budget mark written
 * on the attempt's item meanwhile is not mistaken for a record.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BudgetRepository } from '../../shared/store/budgets';
import { NodeClaimRepository } from '../../shared/store/node-claims';
import { NodeRunRepository } from '../../shared/store/node-runs';
import { startTable, type LocalTable } from '../live/helpers';

let table: LocalTable;
beforeAll(async () => { table = await startTable(); });
afterAll(async () => { await table.close(); });

const at = '2026-01-01T00:00:00.000Z';

describe('a first attempt started with its claim', () => {
  it('shows as running from the claim, then from its one record; a budget mark on its item is no record', async () => {
    // Prepare
    const nodes = new NodeRunRepository(table);
    const claims = new NodeClaimRepository(table);
    const now = Date.now();

    // Act: start, mark the attempt's cost charged (what the budget does mid-attempt), then finish
    const started = await claims.takeStarting('c1', 'a', 0, 'owner-1', now + 60_000, now, at);
    const whileRunning = (await nodes.list('c1')).get('a');
    await new BudgetRepository(table).markCharged('c1', 'a', 0);
    const marked = await nodes.getAttempt('c1', 'a', 0);
    const finished = await nodes.finishAttempt('c1', 'a', 0, { status: 'succeeded', endedAt: at, route: 'ok', startedAt: at });
    const again = await nodes.finishAttempt('c1', 'a', 0, { status: 'failed', endedAt: at, error: { name: 'E', message: 'late' }, startedAt: at });

    // Assess
    expect(started?.status).toBe('running');
    expect(started).not.toHaveProperty('claim');
    expect(whileRunning?.attempts).toStrictEqual([{ attempt: 0, status: 'running', startedAt: at }]);
    expect(marked).toBeUndefined();
    expect([finished, again]).toStrictEqual([true, false]);
    expect((await nodes.list('c1')).get('a')?.attempts).toMatchObject([{ attempt: 0, status: 'succeeded', startedAt: at, endedAt: at }]);
    expect((await nodes.getAttempt('c1', 'a', 0))?.route).toBe('ok');
  });

  it('refuses to start a node that has left pending, or whose claim another delivery holds', async () => {
    // Prepare
    const claims = new NodeClaimRepository(table);
    const now = Date.now();
    await claims.takeStarting('c2', 'a', 0, 'owner-1', now + 60_000, now, at);

    // Act
    const twin = await claims.takeStarting('c2', 'a', 0, 'owner-2', now + 60_000, now, at);
    const sameOwner = await claims.take('c2', 'a', 0, 'owner-1', now + 60_000, now);
    const held = await claims.take('c2', 'a', 0, 'owner-2', now + 60_000, now);

    // Assess: the twin falls back to the plain take, which waits; the first owner's retried take is recognised
    expect(twin).toBeUndefined();
    expect(sameOwner).toStrictEqual({ kind: 'taken', takeover: false });
    expect(held).toMatchObject({ kind: 'refused', claim: { attempt: 0, owner: 'owner-1', state: 'running' } });
  });

  it('releases the claim with the success, and only for its owner', async () => {
    // Prepare
    const nodes = new NodeRunRepository(table);
    const claims = new NodeClaimRepository(table);
    const now = Date.now();
    await claims.takeStarting('c3', 'a', 0, 'owner-1', now + 60_000, now, at);

    // Act
    const stranger = await nodes.transition('c3', 'a', 'succeeded', { endedAt: at, output: 1 }, ['running'], { releasing: 'owner-2' });
    const owner = await nodes.transition('c3', 'a', 'succeeded', { endedAt: at, output: 1 }, ['running'], { releasing: 'owner-1' });

    // Assess
    expect(stranger).toBeUndefined();
    expect(owner?.status).toBe('succeeded');
    expect(await claims.get('c3', 'a')).toMatchObject({ state: 'done', owner: 'owner-1' });
  });
});

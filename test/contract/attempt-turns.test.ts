/**
 * Attempt numbers across drives and turns (`shared/contract/task-payload.ts`): every (turn, drive, retry) has its
 * own number, `splitAttempt` gives it back, turn 0 keeps the numbers of before turns existed, and within a node's
 * life the numbers grow with time (a later retry, a later drive of the same turn, a later turn), which is what
 * the node's claim relies on to refuse stale deliveries. Properties run from the suite's fixed seed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ATTEMPTS_PER_DRIVE, MAX_DRIVES, MAX_TURNS, attemptNumber, splitAttempt } from '../../shared/contract/task-payload';
import { nodeDeadline } from '../../shared/services/agent-replies';
import type { NodeRun } from '../../shared/model/types';

/** Retry counts a state can reach: Step Functions caps each retrier at 99 retries; Braid has at most two retriers. */
const retry = fc.integer({ min: 0, max: 2 * 99 + 1 });
const drive = fc.integer({ min: 0, max: MAX_DRIVES });
const turn = fc.integer({ min: 0, max: MAX_TURNS });

describe('attempt numbers with turns', () => {
  it('keeps the numbers of turn 0 (drive × 1,000 + retry)', () => {
    expect(attemptNumber(0, 0)).toBe(0);
    expect(attemptNumber(0, 3)).toBe(3);
    expect(attemptNumber(2, 1)).toBe(2 * ATTEMPTS_PER_DRIVE + 1);
    expect(attemptNumber(2, 1, 0)).toBe(attemptNumber(2, 1));
    expect(splitAttempt(2_001)).toStrictEqual({ turn: 0, drive: 2, retry: 1 });
  });

  it('gives every (turn, drive, retry) its own number, and splitAttempt reverses it', () => {
    fc.assert(fc.property(turn, drive, retry, (t, d, r) => {
      expect(splitAttempt(attemptNumber(d, r, t))).toStrictEqual({ turn: t, drive: d, retry: r });
      expect(Number.isSafeInteger(attemptNumber(d, r, t))).toBe(true);
    }));
  });

  it('orders attempts as they happen: retries, then later drives of the same turn, then later turns', () => {
    fc.assert(fc.property(turn, drive, retry, turn, drive, retry, (t1, d1, r1, t2, d2, r2) => {
      // A node's attempts happen in (turn, drive, retry) order: a redrive resumes the turn it failed in.
      const earlier = t1 < t2 || (t1 === t2 && (d1 < d2 || (d1 === d2 && r1 < r2)));
      if (earlier) expect(attemptNumber(d1, r1, t1)).toBeLessThan(attemptNumber(d2, r2, t2));
    }));
  });

  it('never lets a later turn reuse an earlier turn\'s number, whatever the drive', () => {
    fc.assert(fc.property(turn, drive, retry, drive, retry, (t, d1, r1, d2, r2) => {
      if (t === MAX_TURNS) return;
      expect(attemptNumber(d2, r2, t + 1)).toBeGreaterThan(attemptNumber(d1, r1, t));
    }));
  });
});

describe('the timeout an agent\'s turns and waits share', () => {
  it('counts from the node\'s first attempt of the drive, whatever the turn', () => {
    // Prepare
    const at = (s: number) => new Date(Date.UTC(2026, 11, 1, 12, 0, s)).toISOString();
    const node = {
      runId: 'r', nodeId: 'a', status: 'running', attempts: [
        { attempt: attemptNumber(0, 0, 0), status: 'failed', startedAt: at(0) },
        { attempt: attemptNumber(0, 0, 1), status: 'running', startedAt: at(40) },
        { attempt: attemptNumber(1, 0, 1), status: 'running', startedAt: at(50) },
      ],
    } as NodeRun;

    // Act + Assess
    expect(nodeDeadline(node, 0, 60, Date.parse(at(45)))).toBe(Date.parse(at(60)));
    expect(nodeDeadline(node, 1, 60, Date.parse(at(55)))).toBe(Date.parse(at(110)));
    expect(nodeDeadline(undefined, 0, 60, Date.parse(at(5)))).toBe(Date.parse(at(65)));
  });
});

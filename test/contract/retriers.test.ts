/**
 * Attempt accounting against Step Functions' rules, on tables: one counter per retrier, the first matching
 * retrier takes an error, a used-up retrier retries nothing more (a later one never takes the error), and the
 * wildcards `States.ALL` / `States.TaskFailed`.
 */
import { describe, expect, it } from 'vitest';
import { priorErrors, UNREPORTED_ATTEMPT_ERROR } from '../../shared/contract/attempts';
import { nodeRetrier, retrierFor, serviceRetrier, toAslRetrier, willRetry, type RetrierContract } from '../../shared/contract/retriers';

const T = 'Braid.Transient';
const N = 'Braid.NodeFailed';
const TO = 'States.Timeout';
const B = 'Braid.BindingFailed';
const LAMBDA = 'Lambda.ServiceException';

/** The retriers of a node with `retry.maxAttempts` = `attempts` (service retrier first, as compiled). */
function node(attempts: number): { retriers: RetrierContract[] } {
  const own = nodeRetrier({ maxAttempts: attempts, intervalSeconds: 1, backoffRate: 2 });
  return { retriers: own ? [serviceRetrier(), own] : [serviceRetrier()] };
}

describe('willRetry', () => {
  const table: Array<[string, number, string[], string, boolean]> = [
    // [case, retry.maxAttempts, prior errors, this error, retried?]
    ['the issue: a throttle does not eat the node retry', 2, [T], N, true],
    ['node retrier used up by its own failure', 2, [N], N, false],
    ['no node retry: a node failure is final', 1, [], N, false],
    ['no node retry: a transient is still retried', 1, [], T, true],
    ['service retrier: three retries', 1, [T, T], T, true],
    ['service retrier: the fourth failure is final', 1, [T, T, T], T, false],
    ['service retrier used up does not fall through to the node retrier', 3, [T, T, T], T, false],
    ['a timeout counts against the node retrier', 3, [TO], N, true],
    ['timeouts and node failures share one counter', 3, [TO, N], TO, false],
    ['counters are independent', 3, [T, N, T, T], N, true],
    ['counters are independent (node used up)', 3, [T, N, T, N], N, false],
    ['an unreported attempt is a service error', 2, [LAMBDA, LAMBDA, LAMBDA], T, false],
    ['a binding failure is never retried', 5, [], B, false],
    ['a Lambda timeout (Lambda.Unknown) is never retried', 5, [], 'Lambda.Unknown', false],
    ['maxAttempts 10 allows nine node retries', 10, Array(8).fill(N), N, true],
    ['maxAttempts 10: the tenth node failure is final', 10, Array(9).fill(N), N, false],
  ];
  it.each(table)('%s', (_case, attempts, prior, error, expected) => {
    expect(willRetry(node(attempts), prior, error)).toBe(expected);
  });

  it('honours States.ALL and States.TaskFailed, first match wins', () => {
    // Prepare
    const retriers: RetrierContract[] = [
      { kind: 'node', errorEquals: ['Custom.A'], maxAttempts: 1, intervalSeconds: 1, backoffRate: 1 },
      { kind: 'node', errorEquals: ['States.TaskFailed'], maxAttempts: 1, intervalSeconds: 1, backoffRate: 1 },
      { kind: 'node', errorEquals: ['States.ALL'], maxAttempts: 2, intervalSeconds: 1, backoffRate: 1 },
    ];
    // Act and assess
    expect(retrierFor(retriers, 'Custom.A')).toBe(0);
    expect(retrierFor(retriers, N)).toBe(1);
    expect(retrierFor(retriers, TO)).toBe(2);
    expect(retrierFor(retriers, 'States.Runtime')).toBe(-1);
    expect(willRetry({ retriers }, ['Custom.A'], 'Custom.A')).toBe(false);
    expect(willRetry({ retriers }, [N], 'Braid.Other')).toBe(false);
    expect(willRetry({ retriers }, [TO], TO)).toBe(true);
    expect(willRetry({ retriers }, [TO, TO], TO)).toBe(false);
  });

  it('renders retriers as the ASL Retry entries', () => {
    // Act
    const asl = node(3).retriers.map(toAslRetrier);
    // Assess
    expect(asl).toStrictEqual([
      {
        ErrorEquals: ['Lambda.ClientExecutionTimeoutException', 'Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException', 'Braid.Transient'],
        IntervalSeconds: 1, MaxAttempts: 3, BackoffRate: 2, JitterStrategy: 'FULL',
      },
      { ErrorEquals: ['Braid.NodeFailed', 'States.Timeout'], IntervalSeconds: 1, MaxAttempts: 2, BackoffRate: 2 },
    ]);
  });
});

describe('priorErrors', () => {
  const start = '2026-01-01T00:00:00.000Z';
  const at = (seconds: number) => Date.parse(start) + seconds * 1000;
  it.each([
    ['a recorded failure is its name', [{ attempt: 0, status: 'failed' as const, startedAt: start, error: { name: N } }], 1, 100, [N]],
    ['a missing record is an unreported (service) error', [], 2, 100, [UNREPORTED_ATTEMPT_ERROR, UNREPORTED_ATTEMPT_ERROR]],
    ['a running attempt past its deadline timed out', [{ attempt: 0, status: 'running' as const, startedAt: start }], 1, 301, [TO]],
    ['a running attempt before its deadline failed around the executor', [{ attempt: 0, status: 'running' as const, startedAt: start }], 1, 5, [UNREPORTED_ATTEMPT_ERROR]],
    ['only attempts before upTo count', [{ attempt: 0, status: 'failed' as const, startedAt: start, error: { name: T } }, { attempt: 1, status: 'running' as const, startedAt: start }], 1, 5, [T]],
  ])('%s', (_case, attempts, upTo, laterSeconds, expected) => {
    expect(priorErrors(attempts, upTo, 300, at(laterSeconds))).toStrictEqual(expected);
  });
});

/**
 * Fault injection for the DynamoDB client, as AWS SDK middleware: a call fails before it reaches the table
 * (throttled, or a network error before commit), or fails after the table applied it (a timeout after commit:
 * the ambiguous case), at set rates, from a seeded random source so a failing run can be replayed.
 */
import type { FaultKind } from './fault-orchestrator';

/** Anything with an SDK middleware stack (`DynamoDBClient` or `DynamoDBDocumentClient`). */
interface HasMiddlewareStack {
  middlewareStack: { add(middleware: unknown, options: { step: 'initialize'; name: string; priority?: 'high' | 'normal' | 'low' }): void };
}

/** Fault rates in [0, 1], per call. */
export interface FaultRates {
  /** Throttled before commit (`ProvisionedThroughputExceededException`). */
  throttle: number;
  /** Network failure before commit (`ECONNRESET`). */
  before: number;
  /** Timeout after commit (`TimeoutError`): the write happened, the caller cannot know. */
  after: number;
}

/** A running injector. */
export interface FaultInjector {
  /** Turns injection on or off (off while a test reads its results). */
  enabled: boolean;
  /** Faults injected so far, by kind. */
  readonly counts: Record<keyof FaultRates, number>;
  /** Calls seen while enabled. */
  readonly calls: number;
}

/** A small seeded PRNG (mulberry32), so a failing seed replays. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function sdkError(name: string, message: string, code?: string): Error {
  const error = new Error(message);
  error.name = name;
  Object.assign(error, { $fault: 'server', $metadata: { httpStatusCode: name === 'TimeoutError' ? undefined : 400 }, ...(code ? { code } : {}) });
  return error;
}

/** Picks a fault kind for one call, or none. */
export function pickFault(rates: FaultRates, random: () => number): keyof FaultRates | undefined {
  const r = random();
  if (r < rates.throttle) return 'throttle';
  if (r < rates.throttle + rates.before) return 'before';
  if (r < rates.throttle + rates.before + rates.after) return 'after';
  return undefined;
}

/**
 * Adds the injector to the client, outermost (`priority: high`), so other middleware (the local stream
 * emulation) sees a committed write succeed even when the caller is then told it timed out.
 */
export function injectDynamoFaults(client: HasMiddlewareStack, rates: FaultRates, random: () => number): FaultInjector {
  const counts: Record<keyof FaultRates, number> = { throttle: 0, before: 0, after: 0 };
  const state = { enabled: true, calls: 0 };
  client.middlewareStack.add(
    (next: (args: unknown) => Promise<unknown>) => async (args: unknown) => {
      if (!state.enabled) return next(args);
      state.calls += 1;
      const fault = pickFault(rates, random);
      if (fault) counts[fault] += 1;
      if (fault === 'throttle') throw sdkError('ProvisionedThroughputExceededException', 'injected: throughput exceeded');
      if (fault === 'before') throw sdkError('Error', 'injected: socket hang up', 'ECONNRESET');
      const out = await next(args);
      if (fault === 'after') throw sdkError('TimeoutError', 'injected: timed out after commit');
      return out;
    },
    { step: 'initialize', name: 'h7FaultInjector', priority: 'high' },
  );
  return {
    get enabled() { return state.enabled; },
    set enabled(value: boolean) { state.enabled = value; },
    counts,
    get calls() { return state.calls; },
  };
}

export type { FaultKind };

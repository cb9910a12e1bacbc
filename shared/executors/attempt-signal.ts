/**
 * One `AbortSignal` per attempt that fires on the caller's abort or at the node's deadline, and the
 * `Braid.NodeFailed` error that says which of the two happened.
 */
import { NodeFailedError } from './errors';
import type { ExecutionContext } from './types';

/** Milliseconds left before the attempt's deadline (never negative). */
export function remainingMs(ctx: Pick<ExecutionContext, 'deadline'>): number {
  return Math.max(0, ctx.deadline - Date.now());
}

/** A signal that aborts when `ctx.signal` aborts or when the deadline passes. */
export function attemptSignal(ctx: Pick<ExecutionContext, 'signal' | 'deadline'>): AbortSignal {
  return AbortSignal.any([ctx.signal, AbortSignal.timeout(remainingMs(ctx))]);
}

/** The error for an attempt stopped by its signal: a timeout if the deadline passed, else an abort. */
export function abortedError(ctx: Pick<ExecutionContext, 'signal' | 'deadline'>, what: string, cause?: unknown): NodeFailedError {
  if (!ctx.signal.aborted && Date.now() >= ctx.deadline - 5) {
    return new NodeFailedError(`${what} timed out at the node deadline`, { timedOut: true }, { cause });
  }
  return new NodeFailedError(`${what} was aborted`, { aborted: true }, { cause });
}

/** Waits `ms`, or rejects with `abortedError` as soon as the attempt is aborted or times out. */
export function abortableDelay(ms: number, ctx: Pick<ExecutionContext, 'signal' | 'deadline'>, what: string): Promise<void> {
  const signal = attemptSignal(ctx);
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(abortedError(ctx, what, signal.reason));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortedError(ctx, what, signal.reason));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

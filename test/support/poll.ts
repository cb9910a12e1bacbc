/**
 * The one poll-with-deadline helper of the tests: every wait for a condition goes through it, so none can hang
 * and none stands in for a condition with a bare sleep.
 */

/**
 * Default deadline of a wait. Generous on purpose: the tests run on a loaded 2-core machine, and the deadline only
 * matters when the test is failing anyway (a passing wait returns as soon as its condition holds).
 */
export const DEFAULT_WAIT_MS = 30_000;

/**
 * Polls `probe` (sync or async) every `intervalMs` until it returns a value other than `undefined`, and returns
 * it; throws, naming `what`, once `timeoutMs` have passed.
 * @example const run = await waitFor(async () => (await getRun(id)).status === 'succeeded' || undefined, 'the run to succeed');
 */
export async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = DEFAULT_WAIT_MS, intervalMs = 10): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

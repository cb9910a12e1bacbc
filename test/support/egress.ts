/**
 * The egress allowlist of the test run: loopback is refused by default, so every test server started through
 * `test/support` adds its own `127.0.0.1:<port>` here, and the test stacks and `testExecutorDeps()` use this list.
 * Nothing else on loopback is allowed.
 */
import { createEgressGuard, parseEgressAllowlist, type EgressGuard } from '../../shared/egress';
import type { ExecutorDeps } from '../../shared/executors';

/** The allowlist shared by the test stacks and the executor tests. */
export const testEgressAllowlist = parseEgressAllowlist(undefined);

/** Allows the `host:port` of `url` (a test server's base URL). Returns `url`. */
export function allowTestServer(url: string): string {
  testEgressAllowlist.add(new URL(url).host);
  return url;
}

let guard: EgressGuard | undefined;

/** The guard over the test allowlist (one per test file, like the executor's one per process). */
export function testEgressGuard(): EgressGuard {
  return (guard ??= createEgressGuard({ allow: testEgressAllowlist }));
}

/** Executor dependencies for tests that call `executeNode` directly: the guard over the test allowlist. */
export function testExecutorDeps(extra: ExecutorDeps = {}): ExecutorDeps {
  return { egress: testEgressGuard(), ...extra };
}

/**
 * The local stack for API tests: in memory, HTTP on 127.0.0.1:0, quiet logs, and a small `fetch` client that
 * signs as a user.
 */
import { createLocalStack, type LocalStack, type LocalStackOptions } from '../../infra/local/stack';
import type { QuotaLimits } from '../../shared/quotas/config';
import { testEgressAllowlist } from './egress';

/** A response with its parsed JSON body (`undefined` when empty or not JSON). */
export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

/** Request options of the client. */
export interface CallOptions {
  /** Signs as this user; `null` sends no Authorization header. */
  as: string | null;
  body?: unknown;
  /** Sent as is (no JSON encoding). */
  rawBody?: string | Uint8Array;
  headers?: Record<string, string>;
}

/** A test stack with a client. */
export interface TestStack extends LocalStack {
  call<T = any>(method: string, path: string, options: CallOptions): Promise<ApiResponse<T>>;
}

/**
 * Quotas of test stacks: high enough that no suite meets them by accident (the fuzz and load suites start
 * hundreds of runs a minute as one user); quota tests pass their own.
 */
export const TEST_QUOTAS: QuotaLimits = { activeRunsPerUser: 100_000, runStartsPerMinute: 100_000, workflowsPerUser: 100_000, secretsPerUser: 100_000, parallelWidth: 100_000 };

/** Starts an in-memory stack (no WebSocket unless asked); its executor may reach the test servers of `./egress`. */
export async function startTestStack(options: LocalStackOptions = {}): Promise<TestStack> {
  const stack = await createLocalStack({ inMemory: true, live: false, logLevel: 'SILENT', egressAllow: testEgressAllowlist, quotas: TEST_QUOTAS, ...options });
  const tokens = new Map<string, string>();
  return {
    ...stack,
    async call(method, path, options) {
      const headers: Record<string, string> = { ...options.headers };
      if (options.as !== null) {
        let token = tokens.get(options.as);
        if (!token) tokens.set(options.as, (token = await stack.token(options.as)));
        headers.authorization ??= `Bearer ${token}`;
      }
      let body: string | Uint8Array | undefined = options.rawBody;
      if (options.body !== undefined) {
        body = JSON.stringify(options.body);
        headers['content-type'] ??= 'application/json';
      }
      const res = await fetch(`${stack.httpUrl}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
      const text = await res.text();
      let parsed: unknown;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        parsed = undefined;
      }
      return { status: res.status, headers: res.headers, body: parsed as never, text };
    },
  };
}

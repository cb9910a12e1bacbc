/**
 * Helpers of the governance tests: a local stack with fast gate timers and quick webhook retries, and calls
 * signed as a user with groups in the token.
 */
import { startTestStack, type ApiResponse, type TestStack } from '../support/local-stack';

export type { TestStack };

/**
 * The stack of the governance tests: reminders 1000x faster, escalations held until the test releases them
 * (`gateTimers.releaseHeld()`, so "before" and "after" the escalation do not depend on timing), webhook retries
 * 10 ms apart.
 */
export function startGovernanceStack(): Promise<TestStack> {
  return startTestStack({ timerSpeedup: 1_000, holdGateTimers: (e) => e.action === 'escalate', webhookRetry: { attempts: 3, baseDelayMs: 10 } });
}

/** Calls as `user` with `groups` in the token's `cognito:groups` claim. */
export async function callWithGroups(stack: TestStack, user: string, groups: string[], method: string, path: string, body?: unknown): Promise<ApiResponse> {
  const token = await stack.token(user, { groups });
  return stack.call(method, path, { as: user, headers: { authorization: `Bearer ${token}` }, ...(body !== undefined ? { body } : {}) });
}

/** A workflow of one gate (with `gate` merged in) followed by an echo. */
export function gatedWorkflow(gate: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    name: 'gated',
    ...extra,
    nodes: [
      { id: 'ask', type: 'human_gate', prompt: 'Book this hotel?', timeoutSeconds: 3_600, ...gate },
      { id: 'after', type: 'tool_call', tool: { kind: 'builtin', name: 'echo' }, inputs: { ok: '$ask.approved' } },
    ],
    edges: [{ from: 'ask', to: 'after' }],
  };
}

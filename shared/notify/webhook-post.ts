/**
 * The one outbound call of webhook delivery, made through the egress guard (`shared/egress/`): a webhook URL
 * that names (or resolves to, or redirects to) a private, loopback or metadata address is refused with
 * `Braid.EgressDenied` unless the operator's allowlist (`BRAID_EGRESS_ALLOW`) names it.
 */
import type { EgressGuard } from '../egress';

/** Longest a receiver may take to answer one attempt. */
export const WEBHOOK_TIMEOUT_MS = 10_000;

/** Posts a webhook body through `guard`; returns the receiver's HTTP status (throws on a refusal, a network failure or a timeout). */
export async function postWebhook(guard: Pick<EgressGuard, 'fetch'>, url: string, body: string, headers: Record<string, string>): Promise<number> {
  const res = await guard.fetch(url, { method: 'POST', body, headers, redirect: 'manual', signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS) });
  await res.arrayBuffer().catch(() => undefined);
  return res.status;
}

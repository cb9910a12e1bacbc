/**
 * The one outbound call of webhook delivery. It is the seam for the egress guard (`shared/egress/`, built on
 * the `security` branch): when that lands, this function calls through it, and nothing else changes.
 */

/** Longest a receiver may take to answer one attempt. */
export const WEBHOOK_TIMEOUT_MS = 10_000;

/** Posts a webhook body; returns the receiver's HTTP status (throws on a network failure or timeout). */
export async function postWebhook(url: string, body: string, headers: Record<string, string>): Promise<number> {
  const res = await fetch(url, { method: 'POST', body, headers, redirect: 'manual', signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS) });
  await res.arrayBuffer().catch(() => undefined);
  return res.status;
}

/**
 * Webhook signatures: `Braid-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" with the
 * workflow's secret>`. A receiver recomputes the HMAC over the raw body it received, compares in constant time,
 * and refuses timestamps older than its tolerance (replays).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header that carries the signature. */
export const SIGNATURE_HEADER = 'braid-signature';

/** Default age, in seconds, beyond which a receiver should refuse a signature. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** The `Braid-Signature` value of `body` sent at `timestamp` (unix seconds). */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${mac}`;
}

/** True when `header` signs `body` with `secret` and is no older than `toleranceSeconds` at `now`. */
export function verifyWebhook(secret: string, header: string | undefined, body: string, now = new Date(), toleranceSeconds = DEFAULT_TOLERANCE_SECONDS): boolean {
  const parts = new Map((header ?? '').split(',').map((p) => p.split('=', 2) as [string, string]));
  const t = Number(parts.get('t'));
  const v1 = parts.get('v1');
  if (!Number.isInteger(t) || !v1 || !/^[0-9a-f]{64}$/.test(v1)) return false;
  if (Math.abs(now.getTime() / 1000 - t) > toleranceSeconds) return false;
  const expected = Buffer.from(signWebhook(secret, t, body).split('v1=')[1]!, 'hex');
  return timingSafeEqual(expected, Buffer.from(v1, 'hex'));
}

/**
 * Webhook delivery of one notification to the workflow's `notify.webhookUrl` (of the run's version): signed
 * (`webhook-signature.ts`), retried with exponential backoff on network errors, timeouts, 408, 429 and 5xx,
 * and recorded with every attempt (`WebhookRepository`), visible to the owner.
 */
import { randomUUID } from 'node:crypto';
import type { Notification } from '../ports/notifier';
import { ERROR_NAMES } from '../contract/error-names';
import { loadRun, type RunStores } from '../services/execution-context';
import type { DeliveryAttempt, WebhookDelivery, WebhookRepository } from '../store/webhooks';
import { postWebhook } from './webhook-post';
import type { EgressGuard } from '../egress';
import { SIGNATURE_HEADER, signWebhook } from './webhook-signature';

/** Retry policy of a delivery. */
export interface DeliveryRetry {
  /** Attempts in all. @default 4 */
  attempts?: number;
  /** Delay before the first retry; doubles each time. @default 1000 */
  baseDelayMs?: number;
}

/** What the deliverer needs. */
export interface WebhookDelivererDeps {
  stores: RunStores;
  webhooks: WebhookRepository;
  retry?: DeliveryRetry;
  /** The egress guard every webhook call goes through. */
  egress: Pick<EgressGuard, 'fetch'>;
  /** @default setTimeout-based sleep */
  sleep?: (ms: number) => Promise<void>;
}

function retryable(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** Builds `deliver(notification)`: returns the recorded delivery, or `undefined` when the workflow has no webhook. */
export function createWebhookDeliverer(deps: WebhookDelivererDeps) {
  const attempts = deps.retry?.attempts ?? 4;
  const baseDelayMs = deps.retry?.baseDelayMs ?? 1_000;
  const post = (url: string, body: string, headers: Record<string, string>) => postWebhook(deps.egress, url, body, headers);
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const now = () => (deps.stores.clock?.() ?? new Date());

  return async function deliver(notification: Notification): Promise<WebhookDelivery | undefined> {
    const { definition } = await loadRun(deps.stores, notification.runId);
    const url = definition.notify?.webhookUrl;
    if (!url) return undefined;
    const id = randomUUID();
    const body = JSON.stringify({ id, ...notification });
    const secret = await deps.webhooks.secret(notification.workflowId, now().toISOString());
    const tries: DeliveryAttempt[] = [];
    let delivered = false;
    for (let i = 0; i < attempts && !delivered; i += 1) {
      if (i > 0) await sleep(baseDelayMs * 2 ** (i - 1));
      const at = now();
      const headers = {
        'content-type': 'application/json', 'user-agent': 'braid-webhooks/1', 'braid-delivery': id, 'braid-event': notification.type,
        [SIGNATURE_HEADER]: signWebhook(secret, Math.floor(at.getTime() / 1000), body),
      };
      try {
        const status = await post(url, body, headers);
        tries.push({ at: at.toISOString(), status });
        if (status >= 200 && status < 300) delivered = true;
        else if (!retryable(status)) break;
      } catch (error) {
        tries.push({ at: at.toISOString(), error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
        // A refused destination stays refused: no retry.
        if (error instanceof Error && error.name === ERROR_NAMES.egressDenied) break;
      }
    }
    const delivery: WebhookDelivery = {
      id, workflowId: notification.workflowId, runId: notification.runId, type: notification.type, url,
      createdAt: tries[0]?.at ?? now().toISOString(), outcome: delivered ? 'delivered' : 'failed', attempts: tries,
    };
    await deps.webhooks.recordDelivery(delivery);
    return delivery;
  };
}

/** A webhook deliverer. */
export type WebhookDeliverer = ReturnType<typeof createWebhookDeliverer>;

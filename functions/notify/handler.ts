/**
 * The notify function: invoked by EventBridge Scheduler for a gate timer (`{ kind: "gate-timer", ... }`:
 * reminder or escalation) and by the Braid bus's rule for each notification (an EventBridge event whose
 * `detail` is the notification: the workflow's signed webhook is delivered, with retries, and recorded).
 * `createHandler(deps)` is the seam for the local stack and tests; `handler` is the Lambda entry.
 */
import * as z from 'zod';
import type { Logger } from '@aws-lambda-powertools/logger';
import { NOTIFICATION_TYPES, type Notification } from '../../shared/ports/notifier';
import { createWebhookDeliverer } from '../../shared/notify/webhook-delivery';
import { createRunStores, type GovernancePorts } from '../../shared/services/execution-context';
import { createGateTimerService } from '../../shared/services/gate-timer-service';
import type { Store } from '../../shared/store/store';
import { WebhookRepository } from '../../shared/store/webhooks';
import { createEgressGuard, type EgressGuard } from '../../shared/egress';
import { metricSinkFromEnv } from '../../shared/observability/sink-from-env';
import type { MetricSink } from '../../shared/observability/metrics';
import { portsFromEnv } from '../http/governance-ports';
import { BaseConfigSchema, createLogger, lazyHandler, readConfig, storeFromConfig } from '../runtime';

const id = z.string().min(1).max(128);

/** A fired gate timer. */
export const GateTimerEventSchema = z.object({
  kind: z.literal('gate-timer'), action: z.enum(['remind', 'escalate']), runId: id, nodeId: id, seq: z.number().int().min(0),
});

/** A notification as the bus rule delivers it. */
export const BusEventSchema = z.object({
  source: z.literal('braid'),
  detail: z.object({
    type: z.enum(NOTIFICATION_TYPES), workflowId: id, runId: id, nodeId: id.optional(), item: z.string().max(128).optional(), at: z.string(), data: z.record(z.string(), z.unknown()),
  }),
});

/** What the notify function is built from. */
export interface NotifyFunctionDeps {
  store: Store;
  logger: Logger;
  /** Where run, node and gate metrics go. @default none */
  metrics?: MetricSink;
  ports?: GovernancePorts;
  clock?: () => Date;
  /** Webhook retry policy. */
  retry?: { attempts?: number; baseDelayMs?: number };
  /** The egress guard webhooks go through. */
  egress: Pick<EgressGuard, 'fetch'>;
}

/** Builds the notify handler. */
export function createHandler(deps: NotifyFunctionDeps): (event: unknown) => Promise<void> {
  const stores = createRunStores(deps.store, deps.clock, deps.metrics, deps.ports);
  const timers = createGateTimerService(stores);
  const deliver = createWebhookDeliverer({ stores, webhooks: new WebhookRepository(deps.store.table), egress: deps.egress, ...(deps.retry ? { retry: deps.retry } : {}) });
  return async (event) => {
    const timer = GateTimerEventSchema.safeParse(event);
    if (timer.success) {
      await timers.fire(timer.data);
      deps.logger.info('gate timer fired', { action: timer.data.action, runId: timer.data.runId, nodeId: timer.data.nodeId, seq: timer.data.seq });
      return;
    }
    const bus = BusEventSchema.safeParse(event);
    if (!bus.success) {
      deps.logger.warn('unknown notify event dropped');
      return;
    }
    const delivery = await deliver(bus.data.detail as Notification);
    if (delivery) deps.logger.info('webhook delivered', { runId: delivery.runId, type: delivery.type, outcome: delivery.outcome, attempts: delivery.attempts.length });
  };
}

function depsFromEnv(): NotifyFunctionDeps {
  const config = readConfig(BaseConfigSchema);
  const { BRAID_EGRESS_ALLOW: allow } = readConfig(z.object({ BRAID_EGRESS_ALLOW: z.string().max(4_096).optional() }));
  return {
    store: storeFromConfig(config), logger: createLogger('braid-notify'), metrics: metricSinkFromEnv(), ports: portsFromEnv(),
    egress: createEgressGuard({ ...(allow ? { allow } : {}) }),
  };
}

/** The Lambda entry. */
export const handler = lazyHandler(() => createHandler(depsFromEnv()));

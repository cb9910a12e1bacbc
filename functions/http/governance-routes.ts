/**
 * Handlers of the governance routes of the api function: the approvals inbox and the owner's webhook view.
 */
import type { InboxService } from '../../shared/services/inbox-service';
import type { WebhookService } from '../../shared/services/webhook-service';
import type { RouteHandlers } from './app';
import { callerOf, pathParam, queryOf } from './request';

/** The api function's governance routes. */
export function governanceRoutes(inbox: InboxService, webhooks: WebhookService): RouteHandlers {
  return {
    listGateInbox: async (c) => c.json(await inbox.list(callerOf(c), queryOf(c)), 200),
    getWebhook: async (c) => c.json(await webhooks.get(callerOf(c), pathParam(c, 'id', 'workflow')), 200),
    rotateWebhookSecret: async (c) => c.json(await webhooks.rotate(callerOf(c), pathParam(c, 'id', 'workflow')), 200),
  };
}

/**
 * The owner's view of a workflow's webhook (`GET /api/v1/workflows/{id}/webhook`): the URL of the latest
 * version, the signing secret (created on first read) and the most recent deliveries; and rotating the secret
 * (`POST …/webhook/rotate`). Owner only: a secret is shown to no one else.
 */
import { ForbiddenError } from '../errors';
import type { Store } from '../store/store';
import { WebhookRepository, type WebhookDelivery } from '../store/webhooks';
import type { Caller, PermissionService } from './permissions';

/** Most deliveries returned. */
export const MAX_LISTED_DELIVERIES = 50;

/** What the owner sees. */
export interface WebhookView {
  workflowId: string;
  webhookUrl: string | null;
  secret: string;
  /** Newest first. */
  deliveries: WebhookDelivery[];
}

/** Builds the webhook service. */
export function createWebhookService(deps: { store: Store; permissions: PermissionService; clock?: () => Date }) {
  const webhooks = new WebhookRepository(deps.store.table);
  const now = () => (deps.clock?.() ?? new Date()).toISOString();

  async function ownerOnly(caller: Caller, workflowId: string) {
    const { workflow, role } = await deps.permissions.authorizeWorkflow(caller, workflowId, 'view');
    if (role !== 'owner') throw new ForbiddenError(`only the owner of workflow ${workflowId} may see or rotate its webhook secret`);
    return workflow;
  }

  return {
    /** The webhook URL, secret and recent deliveries. */
    async get(caller: Caller, workflowId: string): Promise<WebhookView> {
      const workflow = await ownerOnly(caller, workflowId);
      const version = await deps.store.workflows.getVersion(workflow, workflow.latestVersion);
      const [secret, deliveries] = await Promise.all([webhooks.secret(workflowId, now()), webhooks.listDeliveries(workflowId, MAX_LISTED_DELIVERIES)]);
      return { workflowId, webhookUrl: version?.definition.notify?.webhookUrl ?? null, secret, deliveries };
    },

    /** Replaces the secret; deliveries from then on are signed with the new one. */
    async rotate(caller: Caller, workflowId: string): Promise<{ workflowId: string; secret: string }> {
      await ownerOnly(caller, workflowId);
      return { workflowId, secret: await webhooks.rotate(workflowId, now()) };
    },
  };
}

/** The webhook service. */
export type WebhookService = ReturnType<typeof createWebhookService>;

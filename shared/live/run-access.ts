/**
 * Who may watch a run: a run is visible to a user iff its workflow is visible to them (owner, public,
 * or an unexpired grant of any role) and not deleted. Anything else looks exactly like a missing run.
 */
import { isExpired } from '../store/grants';
import type { Store } from '../store/store';

/** Decides whether a user may view a run. */
export interface RunAccess {
  /** True when `userId` may view `runId`; false for a missing run too (no existence leak). */
  canView(userId: string, runId: string): Promise<boolean>;
}

/** The rule on the store's runs, workflows and grants. */
export function createStoreRunAccess(store: Pick<Store, 'runs' | 'workflows' | 'grants'>, now: () => Date = () => new Date()): RunAccess {
  return {
    async canView(userId, runId) {
      const run = await store.runs.get(runId);
      if (!run) return false;
      const workflow = await store.workflows.get(run.workflowId);
      if (!workflow || workflow.deletedAt) return false;
      if (workflow.ownerId === userId || workflow.visibility === 'public') return true;
      const grant = await store.grants.get(workflow.id, userId);
      return grant !== undefined && !isExpired(grant, now());
    },
  };
}

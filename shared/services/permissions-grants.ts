/**
 * Grant management: list, put and revoke roles on a workflow. Only the owner grants and revokes;
 * editors may list.
 */
import * as z from 'zod';
import { NotFoundError, ValidationError } from '../errors';
import { ROLES, type Grant } from '../model/types';
import type { Store } from '../store/store';
import { isExpired, MAX_GRANTS_PER_WORKFLOW } from '../store/grants';
import { ConflictError } from '../errors';
import type { Caller, PermissionService } from './permissions';
import { zodIssues } from './zod-issues';

/** Body of `PUT …/permissions/{userId}`. */
export const GrantRequestSchema = z.strictObject({
  role: z.enum(ROLES),
  /** ISO 8601 date-time with offset; must be in the future. */
  expiresAt: z.iso.datetime({ offset: true }).optional(),
});

/** A grant as the API returns it. */
export interface GrantView extends Omit<Grant, 'workflowId'> {
  expired: boolean;
}

/** The permissions of a workflow as the API returns them. */
export interface PermissionsView {
  workflowId: string;
  ownerId: string;
  grants: GrantView[];
}

/** Lists, grants and revokes roles. */
export interface GrantService {
  list(caller: Caller, workflowId: string): Promise<PermissionsView>;
  put(caller: Caller, workflowId: string, userId: string, body: unknown): Promise<GrantView>;
  revoke(caller: Caller, workflowId: string, userId: string): Promise<void>;
}

/** Builds the grant service. */
export function createGrantService(deps: { store: Store; permissions: PermissionService; clock?: () => Date }): GrantService {
  const clock = deps.clock ?? (() => new Date());
  const view = (g: Grant, now: Date): GrantView => {
    const { workflowId: _w, ...rest } = g;
    return { ...rest, expired: isExpired(g, now) };
  };
  return {
    async list(caller, workflowId) {
      const { workflow } = await deps.permissions.authorizeWorkflow(caller, workflowId, 'viewPermissions');
      const now = clock();
      const grants = await deps.store.grants.listByWorkflow(workflowId);
      return { workflowId, ownerId: workflow.ownerId, grants: grants.map((g) => view(g, now)) };
    },

    async put(caller, workflowId, userId, body) {
      const { workflow } = await deps.permissions.authorizeWorkflow(caller, workflowId, 'managePermissions');
      const parsed = GrantRequestSchema.safeParse(body);
      if (!parsed.success) throw new ValidationError(zodIssues(parsed.error));
      const now = clock();
      if (userId === workflow.ownerId) {
        throw new ValidationError([{ code: 'owner_grant', path: '/path/userId', message: 'the owner already holds every role' }]);
      }
      if (parsed.data.expiresAt !== undefined && Date.parse(parsed.data.expiresAt) <= now.getTime()) {
        throw new ValidationError([{ code: 'expired', path: '/expiresAt', message: 'must be in the future' }]);
      }
      const existing = await deps.store.grants.get(workflowId, userId);
      if (!existing && (await deps.store.grants.listByWorkflow(workflowId)).length >= MAX_GRANTS_PER_WORKFLOW) {
        throw new ConflictError('too_many_grants', `a workflow holds at most ${MAX_GRANTS_PER_WORKFLOW} grants`);
      }
      const grant: Grant = {
        workflowId, userId, role: parsed.data.role, grantedBy: caller.userId, grantedAt: now.toISOString(),
        ...(parsed.data.expiresAt ? { expiresAt: new Date(parsed.data.expiresAt).toISOString() } : {}),
      };
      await deps.store.grants.put(grant);
      return view(grant, now);
    },

    async revoke(caller, workflowId, userId) {
      await deps.permissions.authorizeWorkflow(caller, workflowId, 'managePermissions');
      if (!(await deps.store.grants.delete(workflowId, userId))) throw new NotFoundError('grant', userId);
    },
  };
}

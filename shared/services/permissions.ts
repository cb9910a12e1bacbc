/**
 * Authorization: who may do what to a workflow (and, through it, to its runs).
 *
 * Roles, weakest first: viewer < runner < approver < editor < owner. A public workflow gives every
 * signed-in user at least `runner`. A caller who may not even view the object gets a 404 (no existence
 * leak); one who may view it but not do this gets a 403.
 *
 * Runs: the owner and grantees see every run of the workflow; a user whose only access is the workflow
 * being public sees only the runs they started (a public workflow does not publish other people's inputs).
 */
import { ForbiddenError, NotFoundError } from '../errors';
import type { Grant, Role, Run, Workflow } from '../model/types';
import type { Store } from '../store/store';
import { isExpired } from '../store/grants';

/** The authenticated caller: `sub` of the verified JWT. */
export interface Caller {
  userId: string;
  /** Groups from the token's groups claim (`cognito:groups` unless configured otherwise). */
  groups?: string[];
}

/** A role including ownership. */
export type EffectiveRole = Role | 'owner';

/** What a caller may try to do to a workflow or its runs. */
export type WorkflowAction =
  | 'view' // read the workflow, its versions, diagram, runs, nodes and events
  | 'run' // start or cancel a run
  | 'approve' // decide a human gate (the gate may also list approvers by id)
  | 'edit' // publish a new version
  | 'viewPermissions' // list grants
  | 'managePermissions' // grant or revoke roles
  | 'delete'; // soft-delete the workflow

const RANK: Record<EffectiveRole, number> = { viewer: 1, runner: 2, approver: 3, editor: 4, owner: 5 };

/** The weakest role each action needs. */
export const REQUIRED_ROLE: Record<WorkflowAction, EffectiveRole> = {
  view: 'viewer',
  run: 'runner',
  approve: 'approver',
  edit: 'editor',
  viewPermissions: 'editor',
  managePermissions: 'owner',
  delete: 'owner',
};

/** True when `role` is at least `required`. */
export function roleAtLeast(role: EffectiveRole | undefined, required: EffectiveRole): boolean {
  return role !== undefined && RANK[role] >= RANK[required];
}

/** The caller's role on a workflow: ownership, an unexpired grant, or `runner` on a public workflow. */
export function effectiveRole(caller: Caller, workflow: Workflow, grant: Grant | undefined, now: Date): EffectiveRole | undefined {
  if (workflow.ownerId === caller.userId) return 'owner';
  const granted = grant && grant.userId === caller.userId && !isExpired(grant, now) ? grant.role : undefined;
  const publicRole: Role | undefined = workflow.visibility === 'public' ? 'runner' : undefined;
  if (granted && publicRole) return RANK[granted] >= RANK[publicRole] ? granted : publicRole;
  return granted ?? publicRole;
}

/**
 * Pure check: returns the caller's role if `action` is allowed; throws `NotFoundError` when the caller may
 * not see the workflow (or it is deleted and `includeDeleted` is false), `ForbiddenError` otherwise.
 */
export function checkWorkflowAccess(
  caller: Caller,
  workflow: Workflow,
  grant: Grant | undefined,
  action: WorkflowAction,
  options: { now: Date; includeDeleted?: boolean },
): EffectiveRole {
  const role = effectiveRole(caller, workflow, grant, options.now);
  if (!roleAtLeast(role, 'viewer') || (workflow.deletedAt && !options.includeDeleted)) throw new NotFoundError('workflow', workflow.id);
  if (!roleAtLeast(role, REQUIRED_ROLE[action])) {
    throw new ForbiddenError(`${action} needs the ${REQUIRED_ROLE[action]} role on workflow ${workflow.id}; you have ${role}`);
  }
  return role!;
}

/** True when the caller's access to the workflow comes only from its being public (no ownership, no live grant). */
export function hasPublicAccessOnly(caller: Caller, workflow: Workflow, grant: Grant | undefined, now: Date): boolean {
  if (workflow.ownerId === caller.userId) return false;
  const granted = grant && grant.userId === caller.userId && !isExpired(grant, now);
  return !granted && workflow.visibility === 'public';
}

/**
 * Pure check for a run: as `checkWorkflowAccess` on its workflow, except that a caller with public-only access
 * may reach only runs they started (others' runs are a 404, like any object they may not see).
 */
export function checkRunAccess(
  caller: Caller,
  workflow: Workflow,
  grant: Grant | undefined,
  run: Pick<Run, 'runId' | 'startedBy'>,
  action: WorkflowAction,
  options: { now: Date; includeDeleted?: boolean },
): EffectiveRole {
  if (run.startedBy !== caller.userId && hasPublicAccessOnly(caller, workflow, grant, options.now)) {
    throw new NotFoundError('run', run.runId);
  }
  return checkWorkflowAccess(caller, workflow, grant, action, options);
}

/** A workflow the caller may act on, and the role that allowed it. */
export interface AuthorizedWorkflow {
  workflow: Workflow;
  role: EffectiveRole;
  /** The caller's access comes only from the workflow being public: they see only their own runs. */
  publicOnly: boolean;
}

/** Loads-and-checks authorization, reused by workflow routes and run routes. */
export interface PermissionService {
  /**
   * Loads the workflow and the caller's grant and checks `action`.
   * Use `includeDeleted` for reads of runs whose workflow was deleted while they ran.
   */
  authorizeWorkflow(caller: Caller, workflowId: string, action: WorkflowAction, options?: { includeDeleted?: boolean }): Promise<AuthorizedWorkflow>;
  /**
   * Loads the run's workflow and the caller's grant and checks `action` on the run (`checkRunAccess`).
   * Any refusal to see it is `NotFoundError('run')`, so nothing leaks about the run or its workflow.
   */
  authorizeRun(caller: Caller, run: Pick<Run, 'runId' | 'workflowId' | 'startedBy'>, action: WorkflowAction): Promise<AuthorizedWorkflow & { publicOnly: boolean }>;
}

/** Builds the permission service over the store. */
export function createPermissionService(deps: { store: Store; clock?: () => Date }): PermissionService {
  const clock = deps.clock ?? (() => new Date());
  return {
    async authorizeWorkflow(caller, workflowId, action, options = {}) {
      const [workflow, grant] = await Promise.all([
        deps.store.workflows.get(workflowId),
        deps.store.grants.get(workflowId, caller.userId),
      ]);
      if (!workflow) throw new NotFoundError('workflow', workflowId);
      const now = clock();
      const role = checkWorkflowAccess(caller, workflow, grant, action, { now, includeDeleted: options.includeDeleted });
      return { workflow, role, publicOnly: hasPublicAccessOnly(caller, workflow, grant, now) };
    },
    async authorizeRun(caller, run, action) {
      const [workflow, grant] = await Promise.all([
        deps.store.workflows.get(run.workflowId),
        deps.store.grants.get(run.workflowId, caller.userId),
      ]);
      if (!workflow) throw new NotFoundError('run', run.runId);
      const now = clock();
      try {
        // Runs stay readable after their workflow is deleted; acting on them does not.
        const role = checkRunAccess(caller, workflow, grant, run, action, { now, includeDeleted: action === 'view' });
        return { workflow, role, publicOnly: hasPublicAccessOnly(caller, workflow, grant, now) };
      } catch (error) {
        if (error instanceof NotFoundError) throw new NotFoundError('run', run.runId, { cause: error });
        throw error;
      }
    },
  };
}

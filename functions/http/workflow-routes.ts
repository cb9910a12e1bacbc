/**
 * Handlers of the workflow, template and permission routes: thin adapters that read the request, call one
 * service and return JSON. Errors propagate to `error-response.ts`.
 */
import type { GrantService } from '../../shared/services/permissions-grants';
import type { WorkflowReadService } from '../../shared/services/workflow-read';
import type { WorkflowWriteService } from '../../shared/services/workflow-write';
import type { RouteHandlers } from './app';
import { callerOf, pathParam, queryOf, readJsonBody } from './request';

/** Body limit of `PUT …/permissions/{userId}`. */
export const PERMISSION_BODY_LIMIT_BYTES = 16 * 1024;

/** The api function's workflow, template and permission routes. */
export function workflowReadRoutes(services: { workflows: WorkflowReadService; grants: GrantService }): RouteHandlers {
  const { workflows, grants } = services;
  return {
    validateWorkflow: async (c) => {
      callerOf(c);
      return c.json(workflows.validate(await readJsonBody(c)), 200);
    },
    listWorkflows: async (c) => c.json(await workflows.list(callerOf(c), queryOf(c)), 200),
    listTemplates: async (c) => c.json(await workflows.templates(callerOf(c), queryOf(c)), 200),
    getWorkflow: async (c) => c.json(await workflows.get(callerOf(c), pathParam(c, 'id', 'workflow'), queryOf(c)), 200),
    deleteWorkflow: async (c) => {
      await workflows.remove(callerOf(c), pathParam(c, 'id', 'workflow'));
      return c.body(null, 204);
    },
    listVersions: async (c) => c.json(await workflows.versions(callerOf(c), pathParam(c, 'id', 'workflow'), queryOf(c)), 200),
    getDiagram: async (c) => c.json(await workflows.diagram(callerOf(c), pathParam(c, 'id', 'workflow'), queryOf(c)), 200),
    listPermissions: async (c) => c.json(await grants.list(callerOf(c), pathParam(c, 'id', 'workflow')), 200),
    putPermission: async (c) => {
      const caller = callerOf(c);
      const id = pathParam(c, 'id', 'workflow');
      const userId = pathParam(c, 'userId', 'user');
      const body = await readJsonBody(c, PERMISSION_BODY_LIMIT_BYTES);
      return c.json(await grants.put(caller, id, userId, body), 200);
    },
    deletePermission: async (c) => {
      await grants.revoke(callerOf(c), pathParam(c, 'id', 'workflow'), pathParam(c, 'userId', 'user'));
      return c.body(null, 204);
    },
  };
}

/** The compile function's routes: create (or instantiate) and update. */
export function workflowWriteRoutes(service: WorkflowWriteService): RouteHandlers {
  return {
    createWorkflow: async (c) => {
      const caller = callerOf(c);
      const view = await service.create(caller, await readJsonBody(c));
      return c.json(view, 201, { location: `/api/v1/workflows/${view.id}` });
    },
    updateWorkflow: async (c) => {
      const caller = callerOf(c);
      const id = pathParam(c, 'id', 'workflow');
      return c.json(await service.update(caller, id, await readJsonBody(c)), 200);
    },
  };
}

/**
 * The workflows a definition calls (`workflow_call` nodes, map bodies included) and the checks made on them when
 * a workflow is published and when a run is created: each named workflow exists and the user may run it, each
 * named version exists, and the version each call will run is pinned (the latest one now, when the node names
 * none), so a call does not drift to a version published while the run goes on.
 */
import type { NodeDef, WorkflowDefinition } from '../definition/schema';
import { ForbiddenError, NotFoundError, ValidationError, type FieldIssue } from '../errors';
import type { Store } from '../store/store';
import type { Caller, PermissionService } from './permissions';

/** One `workflow_call` node of a definition. */
export interface CallTarget {
  nodeId: string;
  /** JSON pointer of the node in the definition (`/nodes/3`, `/nodes/1/body/nodes/0`). */
  pointer: string;
  workflowId: string;
  /** The version the node names; absent: the latest when the run starts. */
  version?: number;
}

/** Every `workflow_call` node of a definition, in document order (map bodies included). */
export function callTargets(definition: Pick<WorkflowDefinition, 'nodes'>): CallTarget[] {
  const out: CallTarget[] = [];
  const visit = (nodes: readonly NodeDef[], prefix: string): void => {
    nodes.forEach((node, index) => {
      const at = `${prefix}/nodes/${index}`;
      if (node.type === 'workflow_call') {
        out.push({ nodeId: node.id, pointer: at, workflowId: node.workflow.id, ...(node.workflow.version !== undefined ? { version: node.workflow.version } : {}) });
      } else if (node.type === 'map') visit(node.body.nodes, `${at}/body`);
    });
  };
  visit(definition.nodes, '');
  return out;
}

/** What the checks read. */
export interface CallCheckDeps {
  store: Store;
  permissions: PermissionService;
}

/**
 * Checks every call of `definition` for `caller` and returns the version each one runs, by node id.
 * - `publish` (creating a workflow or a version): a workflow the caller cannot see is a 400 `unknown_workflow` at
 *   `…/workflow/id`; one they see but may not run a 403 `workflow_call_forbidden` with that `path`.
 * - `start` (creating a run): both are a 403 `workflow_call_forbidden` (the run is refused, not the definition).
 * A version that does not exist is a 400 `unknown_workflow_version` at `…/workflow/version`.
 */
export async function checkCallTargets(deps: CallCheckDeps, caller: Caller, definition: Pick<WorkflowDefinition, 'nodes'>, when: 'publish' | 'start'): Promise<Record<string, number>> {
  const targets = callTargets(definition);
  const pins: Record<string, number> = {};
  const issues: FieldIssue[] = [];
  for (const target of targets) {
    const idPath = `${target.pointer}/workflow/id`;
    let workflow;
    try {
      ({ workflow } = await deps.permissions.authorizeWorkflow(caller, target.workflowId, 'run'));
    } catch (error) {
      if (error instanceof NotFoundError && when === 'publish') {
        issues.push({ code: 'unknown_workflow', path: idPath, message: `node "${target.nodeId}" calls workflow ${target.workflowId}, which does not exist or you cannot see` });
        continue;
      }
      if (error instanceof NotFoundError || error instanceof ForbiddenError) {
        const why = error instanceof NotFoundError ? 'does not exist or you cannot see it' : 'you may not run it (the runner role is needed)';
        throw new ForbiddenError(`node "${target.nodeId}" calls workflow ${target.workflowId}, but ${why}`, { code: 'workflow_call_forbidden', path: idPath, cause: error });
      }
      throw error;
    }
    const version = target.version ?? workflow.latestVersion;
    if (target.version !== undefined && !(await deps.store.workflows.getVersion(workflow, target.version))) {
      issues.push({ code: 'unknown_workflow_version', path: `${target.pointer}/workflow/version`, message: `workflow ${target.workflowId} has no version ${target.version}` });
      continue;
    }
    pins[target.nodeId] = version;
  }
  if (issues.length > 0) throw new ValidationError(issues, { message: 'the definition calls workflows that cannot be run' });
  return pins;
}

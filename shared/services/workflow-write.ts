/**
 * Publishing workflows (the compile function's service): create, instantiate a template, and publish a new
 * immutable version. Each publish validates, compiles, registers the state machine through the orchestrator
 * port, then stores the version (version item first, head bump second).
 */
import { randomUUID } from 'node:crypto';
import type { WorkflowContract } from '../contract/node-contract';
import type { WorkflowDefinition } from '../definition/schema';
import { NotFoundError, ValidationError } from '../errors';
import type { Workflow, WorkflowVersion } from '../model/types';
import type { Orchestrator } from '../ports/orchestrator';
import { historyOf } from '../compiler/plan-weights';
import { medianSeconds, type DurationStatsRepository } from '../store/duration-stats';
import type { Store } from '../store/store';
import type { Caller, PermissionService } from './permissions';
import type { QuotaService } from './quota-service';
import type { MachineCleanup } from './machine-cleanup';
import { compileIssues, type CompileWorkflow, type ValidateDefinition } from './workflow-ports';
import { asInstantiateRequest, rejectReadOnlyFields } from './workflow-input';
import { workflowView, type WorkflowView } from './workflow-views';
import { checkCallTargets } from './workflow-call-targets';

/** What the publishing service needs. */
export interface WorkflowWriteDeps {
  store: Store;
  permissions: PermissionService;
  orchestrator: Orchestrator;
  validate: ValidateDefinition;
  compile: CompileWorkflow;
  /** ARN of the executor Lambda the compiled tasks invoke. */
  executorArn: string;
  /** Learned node durations: a new version of a workflow that has run is planned with them. @default none */
  stats?: Pick<DurationStatsRepository, 'get'>;
  /** @default () => new Date() */
  clock?: () => Date;
  /** @default crypto.randomUUID */
  newId?: () => string;
  /** Per-user workflow quota and per-run parallel width; absent: none enforced (unit tests). */
  quotas?: QuotaService;
  /** Prunes old state machine versions after a publish; absent: versions are kept. */
  cleanup?: Pick<MachineCleanup, 'pruneVersions'>;
}

/** Creates workflows and publishes versions. */
export interface WorkflowWriteService {
  /** `POST /api/v1/workflows`: a definition, or `{ templateId, name }`. */
  create(caller: Caller, body: unknown): Promise<WorkflowView>;
  /** `PUT /api/v1/workflows/{id}`: a new immutable version. */
  update(caller: Caller, workflowId: string, body: unknown): Promise<WorkflowView>;
}

/** Builds the publishing service. */
export function createWorkflowWriteService(deps: WorkflowWriteDeps): WorkflowWriteService {
  const clock = deps.clock ?? (() => new Date());
  const newId = deps.newId ?? randomUUID;

  /** Validates and compiles; throws a 400 with the validator's (or compiler's) issues. */
  function check(body: unknown, learned?: Record<string, number>): { definition: WorkflowDefinition; warnings: WorkflowVersion['warnings']; asl: object; contract: WorkflowContract } {
    const result = deps.validate(body);
    if (!result.valid || !result.definition) throw new ValidationError(result.errors, { message: 'the definition is invalid' });
    deps.quotas?.checkParallelWidth(result.levels);
    try {
      const { asl, contract } = deps.compile(result.definition, { executorArn: deps.executorArn, ...(learned ? { history: historyOf(learned) } : {}) });
      return { definition: result.definition, warnings: result.warnings, asl, contract };
    } catch (error) {
      const issues = compileIssues(error);
      if (issues) throw new ValidationError(issues, { cause: error, message: 'the definition does not compile' });
      throw error;
    }
  }

  async function templateDefinition(caller: Caller, templateId: string, name: string): Promise<WorkflowDefinition> {
    const { workflow } = await deps.permissions.authorizeWorkflow(caller, templateId, 'view').catch((error: unknown) => {
      if (error instanceof NotFoundError) throw new NotFoundError('template', templateId, { cause: error });
      throw error;
    });
    if (!workflow.isTemplate) {
      throw new ValidationError([{ code: 'not_a_template', path: '/templateId', message: `workflow ${templateId} is not a template` }]);
    }
    const version = await deps.store.workflows.getVersion(workflow, workflow.latestVersion);
    if (!version) throw new NotFoundError('template', templateId);
    const { isTemplate: _t, visibility: _v, ...rest } = version.definition;
    return { ...rest, name };
  }

  /** Registers and stores version 1 of a new workflow. */
  async function publishFirst(caller: Caller, id: string, now: string, checked: ReturnType<typeof check>): Promise<WorkflowView> {
    const { definition, warnings, asl, contract } = checked;
    const machine = await deps.orchestrator.register({ workflowId: id, version: 1, definition: asl });
    const head: Workflow = {
      id, ownerId: caller.userId, name: definition.name,
      ...(definition.description !== undefined ? { description: definition.description } : {}),
      visibility: definition.visibility ?? 'private', isTemplate: definition.isTemplate ?? false,
      latestVersion: 1, createdAt: now, updatedAt: now,
    };
    const version: WorkflowVersion = {
      workflowId: id, version: 1, definition, warnings, createdAt: now, createdBy: caller.userId,
      stateMachineArn: machine.stateMachineArn, stateMachineVersionArn: machine.versionArn, contract,
    };
    await deps.store.workflows.create(head, version);
    return workflowView(head, version, 'owner');
  }

  return {
    async create(caller, body) {
      const instantiate = asInstantiateRequest(body);
      if (!instantiate) rejectReadOnlyFields(body);
      const input = instantiate ? await templateDefinition(caller, instantiate.templateId, instantiate.name) : body;
      const { definition, warnings, asl, contract } = check(input);
      // The workflows it calls exist, and the creator may run them.
      await checkCallTargets(deps, caller, definition, 'publish');
      const id = newId();
      const now = clock().toISOString();
      await deps.quotas?.admitWorkflow(caller.userId);
      try {
        return await publishFirst(caller, id, now, { definition, warnings, asl, contract });
      } catch (error) {
        await deps.quotas?.releaseWorkflow(caller.userId).catch(() => undefined);
        throw error;
      }
    },

    async update(caller, workflowId, body) {
      const { workflow, role } = await deps.permissions.authorizeWorkflow(caller, workflowId, 'edit');
      rejectReadOnlyFields(body);
      // Nodes the workflow has run before keep their learned durations as the planner's weights.
      const stats = await deps.stats?.get(workflowId);
      const learned = stats && stats.runs > 0 ? medianSeconds(stats) : undefined;
      const { definition, warnings, asl, contract } = check(body, learned);
      await checkCallTargets(deps, caller, definition, 'publish');
      const next = workflow.latestVersion + 1;
      const now = clock().toISOString();
      const machine = await deps.orchestrator.register({ workflowId, version: next, definition: asl });
      const version: WorkflowVersion = {
        workflowId, version: next, definition, warnings, createdAt: now, createdBy: caller.userId,
        stateMachineArn: machine.stateMachineArn, stateMachineVersionArn: machine.versionArn, contract,
        ...(learned && stats ? { planWeights: learned, plannedAtRuns: stats.runs } : {}),
      };
      // Omitted visibility/isTemplate keep the workflow's current values: a PUT never silently unpublishes.
      const head = await deps.store.workflows.addVersion(workflow, version, {
        name: definition.name,
        ...(definition.description !== undefined ? { description: definition.description } : {}),
        visibility: definition.visibility ?? workflow.visibility,
        isTemplate: definition.isTemplate ?? workflow.isTemplate,
        updatedAt: now,
      });
      // Best effort: a failed prune is retried by the next publish (what was pruned is marked on each version).
      await deps.cleanup?.pruneVersions(workflowId).catch(() => undefined);
      return workflowView(head, version, role);
    },
  };
}

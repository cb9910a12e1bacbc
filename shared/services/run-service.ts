/**
 * The run service (the api function's run routes): start a run, list and read runs, their nodes and their
 * event log, and cancel. Runs are authorized through their workflow; a run the caller may not see is a 404.
 */
import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import { BraidError, ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../errors';
import type { Run, Workflow, WorkflowVersion } from '../model/types';
import type { Orchestrator } from '../ports/orchestrator';
import { decodeCursor, encodeCursor, type Page } from '../store/cursor';
import { EVENT_LOG_LIMITS } from '../store/events';
import { closeOutstanding, finishRun, totalCost } from './execution-close';
import { loadRun, record, type RunStores } from './execution-context';
import { roleAtLeast, type Caller, type EffectiveRole, type PermissionService, type WorkflowAction } from './permissions';
import { checkRunInput } from './run-input';
import type { QuotaService } from './quota-service';
import { isRunTerminal } from './run-status';
import { builtInGateView, gateView, NODE_PAGE_LIMITS, nodeRunView, pageOfNodes, questionView, runSummary, runView, type GateView, type NodeRunView, type RunSummary, type RunView } from './run-views';
import { InvalidCursorError } from '../store/errors';
import { zodIssues } from './zod-issues';
import { listMapItems, type MapItemView } from './map-items-view';
import { BudgetSchema } from '../definition/schema';
import { runBudget } from './budget';
import { eligibility } from './gate-policy';
import { planRerun, RerunRequestSchema, type ReusedNode } from './run-rerun';
import { createRedriver } from './run-redrive';
import { contractOfStoredDefinition } from '../compiler/contract';
import type { RunEvent } from '../model/types';
import { ERROR_NAMES } from '../contract/error-names';
import { checkCallTargets } from './workflow-call-targets';
import type { RunCaller } from '../model/types';
import { RunCallRepository } from '../store/run-calls';
import { partitionRunId } from '../store/map-items';
import { ITEM_PATH_PATTERN } from '../contract/task-payload';
import { createCallSettler } from './call-settle';

/** Body of `POST /api/v1/workflows/{id}/run`. */
export const StartRunRequestSchema = z.strictObject({
  /** The run's input, checked against the workflow's `inputSchema`. @default {} */
  input: z.unknown().optional(),
  /** The same key (per workflow and user, for 24 hours) returns the same run. */
  idempotencyKey: z.string().min(1).max(128).regex(/^[A-Za-z0-9._:-]+$/, 'letters, digits and . _ : - only').optional(),
  /** The run's budget: at most the workflow's unless the caller is the owner. @default the workflow's */
  budget: BudgetSchema.optional(),
});

const PageQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(4_096).optional(),
});

const NodesQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(NODE_PAGE_LIMITS.maxItems).default(NODE_PAGE_LIMITS.maxItems),
  cursor: z.string().max(4_096).optional(),
});

const EventsQuerySchema = z.object({
  after: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(EVENT_LOG_LIMITS.maxPageSize).default(EVENT_LOG_LIMITS.defaultPageSize),
});

/** A page of a run's event log. */
export interface EventsView {
  events: RunEvent[];
  /** The last seq of the log when read. */
  lastSeq: number;
  /** Pass as `after` for the next page; absent when the page reached `lastSeq`. */
  nextAfter?: number;
}

/** What the run service needs. */
export interface RunServiceDeps extends RunStores {
  permissions: PermissionService;
  orchestrator: Orchestrator;
  /** @default crypto.randomUUID */
  newId?: () => string;
  /** Per-user quotas on run starts; absent: none enforced (unit tests). */
  quotas?: QuotaService;
}

function parse<S extends z.ZodType>(schema: S, value: unknown, prefix: string): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new ValidationError(zodIssues(parsed.error, prefix));
  return parsed.data;
}

/** Builds the run service. */
export function createRunService(deps: RunServiceDeps) {
  const newId = deps.newId ?? randomUUID;
  const { store } = deps;

  /** Loads a run the caller may act on; anything the caller may not see is a 404 for the run. */
  const redriver = createRedriver(deps);

  async function authorizedRun(caller: Caller, runId: string, action: WorkflowAction): Promise<Run> {
    return (await authorizedRunWithRole(caller, runId, action)).run;
  }

  async function authorizedRunWithRole(caller: Caller, runId: string, action: WorkflowAction): Promise<{ run: Run; role: EffectiveRole }> {
    const run = await store.runs.get(runId);
    if (!run) throw new NotFoundError('run', runId);
    const { role } = await deps.permissions.authorizeRun(caller, run, action);
    return { run, role };
  }

  async function launch(run: Run, versionArn: string, reused: Record<string, ReusedNode> = {}): Promise<void> {
    await record(deps, run.runId, 'run.started', {
      type: 'run.started', at: run.startedAt,
      data: {
        workflowId: run.workflowId, version: run.version, ...(run.parentRunId ? { parentRunId: run.parentRunId, rerunFrom: run.rerunFrom } : {}),
        // A child run names its parent's node (never the parent's task token).
        ...(run.calledBy ? { parentRunId: run.calledBy.runId, parentNodeId: run.calledBy.nodeId, depth: run.depth ?? 1 } : {}),
      },
    });
    // A rerun's reused nodes: recorded before the execution starts, so no Task of the new run sees them pending.
    await copyReused(run, reused);
    try {
      const { executionArn } = await deps.orchestrator.start({ versionArn, runId: run.runId, input: { runId: run.runId, r: {} } });
      await store.runs.setExecutionArn(run.runId, executionArn);
    } catch (error) {
      // With an idempotency key a transient failure (throttled, or timed out after the execution may have
      // started) is left to the client's retry, which resumes the launch below instead of failing the run.
      if (run.idempotencyKey && error instanceof Error && error.name === ERROR_NAMES.transient) throw error;
      const message = error instanceof Error ? error.message : String(error);
      await finishRun(deps, run, 'failed', { error: { name: ERROR_NAMES.startFailed, message: `the execution did not start: ${message}` } });
      throw error;
    }
  }

  /**
   * The run an idempotency key points at. A first start that stored the run but failed before its execution
   * started (a store or orchestrator fault) left it `running` with no execution: launch it now. Every launch
   * step is idempotent (the event is keyed, starting the same run twice is a no-op), so racing retries are safe.
   */
  async function resume(existing: Run, workflow: Workflow, latest: WorkflowVersion): Promise<{ runId: string; status: Run['status'] }> {
    if (existing.status !== 'running' || (await store.runs.getExecutionArn(existing.runId))) return { runId: existing.runId, status: existing.status };
    const version = existing.version === latest.version ? latest : await store.workflows.getVersion(workflow, existing.version);
    if (!version?.stateMachineVersionArn) return { runId: existing.runId, status: existing.status };
    await launch(existing, version.stateMachineVersionArn);
    return { runId: existing.runId, status: (await store.runs.get(existing.runId))?.status ?? existing.status };
  }

  /**
   * Copies a rerun's reused nodes into the new run: their records (at once), then their transitions into the
   * event log in definition order, so a watcher sees them succeed (or be skipped) right after `run.started`.
   */
  async function copyReused(run: Run, reused: Record<string, ReusedNode>): Promise<void> {
    const entries = Object.entries(reused);
    await Promise.all(entries.map(([nodeId, node]) => deps.nodeRuns.transition(run.runId, nodeId, node.status, {
      reused: true, startedAt: node.startedAt ?? run.startedAt, endedAt: node.endedAt ?? run.startedAt, route: node.route,
      ...(node.output !== undefined ? { output: node.output } : {}),
    }, ['pending'])));
    for (const [nodeId, node] of entries) {
      const type = node.status === 'succeeded' ? 'node.succeeded' : 'node.skipped';
      await record(deps, run.runId, `${type}:${nodeId}`, { type, nodeId, at: run.startedAt, data: { reused: true, fromRunId: run.parentRunId } });
    }
  }

  return {
    /** `POST /api/v1/workflows/{id}/run`: starts a run of the latest version (202 `{ runId, status }`). */
    async start(caller: Caller, workflowId: string, body: unknown): Promise<{ runId: string; status: Run['status'] }> {
      const request = parse(StartRunRequestSchema, body ?? {}, '');
      const { workflow, role } = await deps.permissions.authorizeWorkflow(caller, workflowId, 'run');
      const version = await store.workflows.getVersion(workflow, workflow.latestVersion);
      if (!version) throw new NotFoundError('workflow version', `${workflowId}@${workflow.latestVersion}`);
      const input = request.input ?? {};
      checkRunInput(`${workflowId}#${version.version}`, version.definition.inputSchema, input);
      if (!version.stateMachineVersionArn) throw new BraidError('not_registered', `version ${version.version} of ${workflowId} has no state machine`);
      // Whoever starts the run may run every workflow it calls; the versions those calls run are pinned now.
      const callVersions = await checkCallTargets(deps, caller, version.definition, 'start');
      const budget = runBudget(request.budget, version.definition.budget, role === 'owner');
      const now = deps.clock?.() ?? new Date();
      let runId = newId();
      if (request.idempotencyKey) {
        runId = await store.runs.claimKey(workflowId, caller.userId, request.idempotencyKey, runId, now);
        const existing = await store.runs.get(runId);
        if (existing) return resume(existing, workflow, version);
      }
      const run: Run = {
        runId, workflowId, version: version.version, ownerId: workflow.ownerId, startedBy: caller.userId, status: 'running',
        input, startedAt: now.toISOString(), cost: { usd: 0 }, ...(request.idempotencyKey ? { idempotencyKey: request.idempotencyKey } : {}),
        ...(budget ? { budget } : {}), ...(Object.keys(callVersions).length > 0 ? { callVersions } : {}),
      };
      // Quotas are taken only by a start that creates a run (a retried start resumes its run above for free).
      const admitted = await deps.quotas?.admitRunStart(caller.userId, runId);
      try {
        await store.runs.create(run, admitted ? { quotaSlot: admitted.slot } : {});
      } catch (error) {
        if (admitted) await deps.quotas?.releaseRunSlot(caller.userId, admitted.slot).catch(() => undefined);
        // A concurrent start with the same key created it first.
        const existing = error instanceof ConflictError ? await store.runs.get(runId) : undefined;
        if (existing) return resume(existing, workflow, version);
        throw error;
      }
      await launch(run, version.stateMachineVersionArn);
      return { runId, status: 'running' };
    },

    /**
     * Starts the child run of a `workflow_call` (the executor's `workflow_call` task): a normal run of `workflowId`
     * at `version`, started by whoever started the parent, with `calledBy` (the parent's node, attempt and task
     * token, server-only) and `depth`. Idempotent on `runId` (the executor derives it from the parent's run,
     * item, node and drive): a repeated start finds the run, points it at this caller's token, and launches it
     * if its execution never started. Child runs take no run quota: the parent's nodes and the depth bound them.
     * The caller checks `run` permission and depth first.
     */
    async startChild(child: { runId: string; workflowId: string; version: number; input: unknown; startedBy: string; calledBy: RunCaller; depth: number }): Promise<Run> {
      const caller: Caller = { userId: child.startedBy };
      const { workflow } = await deps.permissions.authorizeWorkflow(caller, child.workflowId, 'run');
      const version = await store.workflows.getVersion(workflow, child.version);
      if (!version) throw new NotFoundError('workflow version', `${child.workflowId}@${child.version}`);
      if (!version.stateMachineVersionArn) throw new BraidError('not_registered', `version ${version.version} of ${child.workflowId} has no state machine`);
      const calls = new RunCallRepository(store.table);
      const existing = await store.runs.get(child.runId);
      if (existing) {
        if (existing.calledBy?.taskToken !== child.calledBy.taskToken) await calls.reattach(child.runId, child.calledBy);
        await resume(existing, workflow, version);
        return existing;
      }
      checkRunInput(`${child.workflowId}#${version.version}`, version.definition.inputSchema, child.input);
      const callVersions = await checkCallTargets(deps, caller, version.definition, 'start');
      const run: Run = {
        runId: child.runId, workflowId: child.workflowId, version: version.version, ownerId: workflow.ownerId, startedBy: child.startedBy,
        status: 'running', input: child.input, startedAt: (deps.clock?.() ?? new Date()).toISOString(), cost: { usd: 0 },
        calledBy: child.calledBy, depth: child.depth,
        ...(version.definition.budget ? { budget: version.definition.budget } : {}),
        ...(Object.keys(callVersions).length > 0 ? { callVersions } : {}),
      };
      try {
        await store.runs.create(run);
      } catch (error) {
        // A twin delivery created it first: the same run.
        const twin = error instanceof ConflictError ? await store.runs.get(run.runId) : undefined;
        if (!twin) throw error;
        if (twin.calledBy?.taskToken !== child.calledBy.taskToken) await calls.reattach(child.runId, child.calledBy);
        await resume(twin, workflow, version);
        return twin;
      }
      await launch(run, version.stateMachineVersionArn);
      return run;
    },

    /**
     * `POST /api/v1/workflows/runs/{runId}/rerun`: a new run (202 `{ runId, status }`) of the old run's workflow
     * in which every node not downstream of `fromNode` reuses the old run's record (no call, no cost), and
     * `fromNode` and everything downstream of it run. The caller must see the old run and may run the workflow.
     */
    async rerun(caller: Caller, runId: string, body: unknown): Promise<{ runId: string; status: Run['status'] }> {
      const request = parse(RerunRequestSchema, body ?? {}, '');
      const old = await authorizedRun(caller, runId, 'view');
      const { workflow } = await deps.permissions.authorizeWorkflow(caller, old.workflowId, 'run');
      if (!isRunTerminal(old.status)) throw new ConflictError('run_active', `run ${runId} is still ${old.status}: wait for it to finish or cancel it before rerunning`);
      const oldVersion = await store.workflows.getVersion(workflow, old.version);
      if (!oldVersion) throw new NotFoundError('workflow version', `${old.workflowId}@${old.version}`);
      const versionNumber = request.version ?? old.version;
      const version = versionNumber === old.version ? oldVersion : await store.workflows.getVersion(workflow, versionNumber);
      if (!version) throw new ValidationError([{ path: '/version', code: 'unknown_version', message: `workflow ${old.workflowId} has no version ${versionNumber}` }]);
      if (!version.stateMachineVersionArn) throw new BraidError('not_registered', `version ${version.version} of ${old.workflowId} has no state machine`);
      const reused = planRerun({
        fromNode: request.fromNode, oldDefinition: oldVersion.definition, newDefinition: version.definition,
        newContract: version.contract ?? contractOfStoredDefinition(version.definition), oldRuns: await deps.nodeRuns.list(runId),
      });
      const input = request.input === undefined ? old.input : request.input;
      checkRunInput(`${old.workflowId}#${version.version}`, version.definition.inputSchema, input);
      const callVersions = await checkCallTargets(deps, caller, version.definition, 'start');
      const now = deps.clock?.() ?? new Date();
      const run: Run = {
        runId: newId(), workflowId: old.workflowId, version: version.version, ownerId: workflow.ownerId, startedBy: caller.userId,
        status: 'running', input, startedAt: now.toISOString(), cost: { usd: 0 }, parentRunId: runId, rerunFrom: request.fromNode,
        reused: Object.fromEntries(Object.entries(reused).map(([id, node]) => [id, node.route])),
        ...(Object.keys(callVersions).length > 0 ? { callVersions } : {}),
      };
      await store.runs.create(run);
      await launch(run, version.stateMachineVersionArn, reused);
      return { runId: run.runId, status: 'running' };
    },

    /** `GET /api/v1/workflows/{id}/runs`: the workflow's runs, newest first. */
    async list(caller: Caller, workflowId: string, query: Record<string, string | undefined>): Promise<Page<RunSummary>> {
      const { limit, cursor } = parse(PageQuerySchema, query, '/query');
      const { publicOnly } = await deps.permissions.authorizeWorkflow(caller, workflowId, 'view');
      // Bound to the caller too: a public-only caller's pages are filtered to their own runs.
      const listing = `runs:${workflowId}:${caller.userId}`;
      const { key } = decodeCursor(listing, cursor);
      const page = await store.runs.listByWorkflow(workflowId, limit, key);
      // Public-only callers see their own runs; a page may then hold fewer than `limit` items.
      const visible = publicOnly ? page.runs.filter((r) => r.startedBy === caller.userId) : page.runs;
      return {
        items: visible.map(runSummary),
        ...(page.lastKey ? { nextCursor: encodeCursor(listing, { phase: 0, key: page.lastKey }) } : {}),
      };
    },

    /** `GET /api/v1/workflows/runs/{runId}`. */
    /**
     * `GET /api/v1/workflows/runs/{runId}/gates/{nodeId}`: one gate. A user listed in the gate's `approvers` sees
     * it without any role on the workflow (and sees nothing else of the run); anyone else needs to see the run.
     */
    async gate(caller: Caller, runId: string, nodeId: string, item?: string): Promise<GateView> {
      if (item !== undefined && !ITEM_PATH_PATTERN.test(item)) {
        throw new ValidationError([{ code: 'invalid_value', path: '/query/item', message: 'must be an item path such as 3 or 3.5' }]);
      }
      const run = await store.runs.get(runId);
      // A gate inside a map item lives in the item's partition.
      const gate = run ? await deps.gates.get(partitionRunId(runId, item), nodeId) : undefined;
      // Whoever the gate's lists make eligible (a named user, a group member, an escalation approver) may read it.
      if (!run || !gate || !eligibility(caller, gate, undefined)) {
        if (!run) throw new NotFoundError('run', runId);
        await deps.permissions.authorizeRun(caller, run, 'view');
      }
      if (!gate) throw new NotFoundError('gate', `${runId}/${nodeId}`);
      return gateView(gate);
    },

    async get(caller: Caller, runId: string): Promise<RunView> {
      return runView(await authorizedRun(caller, runId, 'view'));
    },

    /** `GET /api/v1/workflows/runs/{runId}/nodes`: every node of the run's version, in execution order. */
    async nodes(caller: Caller, runId: string, query: Record<string, string | undefined> = {}): Promise<Page<NodeRunView>> {
      const { limit, cursor } = parse(NodesQuerySchema, query, '/query');
      await authorizedRun(caller, runId, 'view');
      const listing = `nodes:${runId}`;
      const after = decodeCursor(listing, cursor).key?.SK?.replace(/^NODE#/, '');
      const loaded = await loadRun(deps, runId);
      const [runs, gates] = await Promise.all([deps.nodeRuns.list(runId), deps.gates.list(runId)]);
      const byNode = new Map(gates.map((g) => [g.nodeId, g] as const));
      // The built-in budget gate (and the earlier ones it replaced) follow the workflow's nodes.
      const order = [...loaded.contract.order, ...gates.filter((g) => !loaded.contract.nodes[g.nodeId]).map((g) => g.nodeId)];
      const start = after === undefined ? 0 : order.indexOf(after) + 1;
      if (after !== undefined && start === 0) throw new InvalidCursorError();
      // An agent waiting for a reply shows its question (one read per waiting agent).
      const asking = [...runs.values()].filter((n) => n.status === 'waiting' && loaded.contract.nodes[n.nodeId]?.type === 'agent_call').map((n) => n.nodeId);
      const questions = new Map(await Promise.all(asking.map(async (id) => [id, questionView(await deps.questions.get(runId, id))] as const)));
      const view = (id: string): NodeRunView => {
        const type = loaded.contract.nodes[id]?.type;
        const gate = byNode.get(id);
        if (type === undefined && gate) return builtInGateView(gate);
        const node = nodeRunView(id, type ?? 'unknown', runs.get(id), gate);
        const question = questions.get(id);
        return question ? { ...node, question } : node;
      };
      return pageOfNodes(runId, order.slice(start), limit, view, (last) => encodeCursor(listing, { phase: 0, key: { PK: `RUN#${runId}`, SK: `NODE#${last}` } }));
    },

    /** `GET /api/v1/workflows/runs/{runId}/nodes/{nodeId}/output`: one node's whole output (up to 256 KiB). */
    async nodeOutput(caller: Caller, runId: string, nodeId: string): Promise<{ runId: string; nodeId: string; output: unknown }> {
      await authorizedRun(caller, runId, 'view');
      const node = await deps.nodeRuns.get(runId, nodeId);
      if (!node || node.output === undefined) throw new NotFoundError('output of node', `${nodeId} in run ${runId}`);
      return { runId, nodeId, output: node.output };
    },

    /** `GET /api/v1/workflows/runs/{runId}/nodes/{nodeId}/items?limit=&cursor=&item=`: a map's items, a page at a time. */
    async items(caller: Caller, runId: string, nodeId: string, query: Record<string, string | undefined>): Promise<Page<MapItemView>> {
      return listMapItems(deps, await authorizedRun(caller, runId, 'view'), nodeId, query, caller.userId);
    },

    /** `GET /api/v1/workflows/runs/{runId}/events?after=N&limit=M`: the ordered event log after `after`. */
    async events(caller: Caller, runId: string, query: Record<string, string | undefined>): Promise<EventsView> {
      const { after, limit } = parse(EventsQuerySchema, query, '/query');
      await authorizedRun(caller, runId, 'view');
      const page = await deps.events.list(runId, { after, limit });
      const last = page.events.at(-1)?.seq;
      return { events: page.events, lastSeq: page.lastSeq, ...(last !== undefined && last < page.lastSeq ? { nextAfter: last } : {}) };
    },

    /**
     * `POST /api/v1/workflows/runs/{runId}/redrive`: the same run continues in the same execution (202, the run).
     * The starter, an editor or the owner; a run not `failed`/`timed_out`, ended more than 14 days ago, or
     * already being redriven is a 409 (`not_redrivable`, `redrive_expired`, `redrive_in_flight`).
     */
    async redrive(caller: Caller, runId: string): Promise<RunView> {
      const { run, role } = await authorizedRunWithRole(caller, runId, 'view');
      if (run.startedBy !== caller.userId && !roleAtLeast(role, 'editor')) {
        throw new ForbiddenError(`only the user who started run ${runId}, an editor or the owner may redrive it`);
      }
      redriver.checkRedrivable(run, deps.clock?.() ?? new Date());
      return runView(await redriver.redrive(run, { by: caller.userId, cause: 'user' }));
    },

    /** `POST /api/v1/workflows/runs/{runId}/cancel`: stops the execution; a finished run is a 409. Starter, editors and owner only. */
    async cancel(caller: Caller, runId: string): Promise<RunView> {
      const { run, role } = await authorizedRunWithRole(caller, runId, 'run');
      // Runners cancel their own runs; editors and the owner cancel anyone's.
      if (run.startedBy !== caller.userId && !roleAtLeast(role, 'editor')) {
        throw new ForbiddenError(`only the user who started run ${runId}, an editor or the owner may cancel it`);
      }
      if (isRunTerminal(run.status)) throw new ConflictError('run_finished', `run ${runId} has already ${run.status}`);
      // What the nodes spent so far stays on the run (a node still in flight may add to its own record later).
      const cancelled = await finishRun(deps, run, 'cancelled', { cost: totalCost(await deps.nodeRuns.list(runId)) });
      if (!cancelled) throw new ConflictError('run_finished', `run ${runId} has already finished`);
      const executionArn = await store.runs.getExecutionArn(runId);
      if (executionArn) await deps.orchestrator.stop({ executionArn, error: ERROR_NAMES.cancelled, cause: `cancelled by ${caller.userId}` });
      await closeOutstanding(deps, await loadRun(deps, runId), { pending: 'cancelled', active: 'cancelled', gate: 'cancelled' });
      // Its workflow_call children (and theirs) are cancelled now; the finalizer does it again when the execution ends.
      await createCallSettler(deps, deps.orchestrator).cascade(runId);
      return runView(cancelled);
    },
  };
}

/** The run service. */
export type RunService = ReturnType<typeof createRunService>;

/**
 * The executor's `workflow_call` task (ARCHITECTURE.md, "Workflow calls"): a `.waitForTaskToken` Task whose
 * Lambda takes the node's claim, resolves the inputs, checks the call depth and that whoever started the run may
 * still run the called workflow, records the node `running` with its `childRunId`, starts the child run through
 * the run service with the parent's token kept on the child's run item (server-side), and returns. No Lambda runs
 * while the child runs; the child's end completes the token (`call-settle.ts`).
 *
 * Idempotent start: the child's run id is derived from (run, item, node, drive), so a redelivered or retried
 * invocation of the same drive finds the child it started and points it at its own token; only a redrive (a new
 * drive) of a node whose child failed starts a fresh child.
 */
import { createHash } from 'node:crypto';
import { priorErrorsInDrive } from '../contract/attempts';
import { ERROR_NAMES } from '../contract/error-names';
import { isVirtualContract, type NodeContract } from '../contract/node-contract';
import { willRetry } from '../contract/retriers';
import { splitAttempt } from '../contract/task-payload';
import { LIMITS, type WorkflowCallNodeDef } from '../definition/schema';
import { BraidError, ForbiddenError, NotFoundError, ValidationError } from '../errors';
import { resolveInputs, toErrorInfo } from '../executors';
import type { ErrorInfo, NodeRun, RunCaller } from '../model/types';
import { RunCallRepository } from '../store/run-calls';
import { admitAttempt, releaseClaim } from './execution-claim';
import { nowIso, type LoadedRun, type RunStores } from './execution-context';
import { frameOf, frameOutputs, keyOf, recordAt, type Frame } from './execution-frame';
import type { CallSettler } from './call-settle';
import type { PermissionService } from './permissions';
import type { RunService } from './run-service';
import { isRunTerminal, NODE_ENTERED_FROM } from './run-status';
import { CallForbiddenError, ChildRunFailedError, DepthExceededError, RecordedCallFailure } from './workflow-call-errors';
import { TaskClosedError, type Orchestrator } from '../ports/orchestrator';

/** What a task returns (the Lambda's result; a token Task's output is what the token was completed with). */
interface TaskResult {
  route: string;
}

/**
 * The lease of a workflow_call's claim: the Lambda only starts the child and returns (the node's timeout is how
 * long the Task waits for the child, not how long the Lambda runs).
 */
const CALL_CLAIM_SECONDS = 60;
/** How long resolving the inputs may take. */
const BINDING_BUDGET_MS = 30_000;
/** Largest child run input: what a run started over HTTP may have (the run routes' body limit), so its item fits. */
export const MAX_CHILD_INPUT_BYTES = 256 * 1024;

/** The child run id of a call: a UUID derived from the parent run, item, node and drive (stable across retries). */
export function childRunIdOf(runId: string, item: string | undefined, nodeId: string, drive: number): string {
  const hex = createHash('sha256').update(`braid-call/${runId}/${item ?? ''}/${nodeId}/${drive}`).digest('hex');
  // Version 8 (custom) UUID layout, so it looks like every other run id.
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${((Number.parseInt(hex[16] as string, 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** What the call service needs beyond the stores. */
export interface WorkflowCallDeps {
  runs: Pick<RunService, 'startChild'>;
  permissions: PermissionService;
  settler: CallSettler;
  orchestrator: Pick<Orchestrator, 'sendTaskSuccess' | 'sendTaskFailure'>;
}

/** The executor's own steps the call reuses (they live in `execution.ts`). */
export interface CallHooks {
  /** Loads the run; throws `Braid.RunFinished` when it is final. */
  load(runId: string): Promise<LoadedRun>;
  /** Records `parallel`/`join` ancestors as succeeded before the node starts. */
  settleVirtualAncestors(f: Frame, nodeId: string, runs: Map<string, NodeRun>): Promise<void>;
  /** Counts the item as started when the node is a body root. */
  startItem(loaded: LoadedRun, f: Frame, nodeId: string, at: string): Promise<void>;
}

/** One `workflow_call` task. */
export interface CallTask {
  runId: string;
  nodeId: string;
  /** `drive × 1000 + retry count`. */
  attempt: number;
  taskToken: string;
  item?: string;
}

/** Builds the `workflow_call` action. */
export function createWorkflowCalls(stores: RunStores, deps: WorkflowCallDeps) {
  const calls = new RunCallRepository(stores.store.table);

  /**
   * Completes this task's token from the node's recorded outcome; `undefined` while the node is not settled. A
   * token already completed (a twin delivery after the child's end was delivered to it) is left as it is.
   */
  async function answerFromRecord(node: NodeRun | undefined, taskToken: string): Promise<TaskResult | undefined> {
    const ignoreClosed = (error: unknown) => {
      if (!(error instanceof TaskClosedError)) throw error;
    };
    if (node?.status === 'succeeded') {
      const route = (node as NodeRun & { route?: string }).route ?? 'ok';
      await deps.orchestrator.sendTaskSuccess({ taskToken, output: { route } }).catch(ignoreClosed);
      return { route };
    }
    if (node?.status === 'failed' && node.error) {
      await deps.orchestrator.sendTaskFailure({ taskToken, error: node.error.name, cause: node.error.message }).catch(ignoreClosed);
      return { route: 'waiting' };
    }
    return undefined;
  }

  /** The checks and the child's start; throws a named node error. */
  async function startChild(loaded: LoadedRun, f: Frame, node: WorkflowCallNodeDef, task: CallTask, runs: Map<string, NodeRun>, startedAt: string): Promise<void> {
    const { run } = loaded;
    const scope = { context: run.input, outputs: await frameOutputs(stores, loaded, node.id, f, runs) };
    const input = await resolveInputs(node.inputs, scope, { deadline: Date.now() + BINDING_BUDGET_MS });
    const inputBytes = Buffer.byteLength(JSON.stringify(input));
    if (inputBytes > MAX_CHILD_INPUT_BYTES) {
      throw new ChildRunFailedError(`the child run's input is ${inputBytes} bytes; a run's input holds at most ${MAX_CHILD_INPUT_BYTES}`, { bytes: inputBytes, limit: MAX_CHILD_INPUT_BYTES });
    }
    const depth = (run.depth ?? 0) + 1;
    if (depth > LIMITS.maxCallDepth) {
      throw new DepthExceededError(`node ${node.id} would start a run at call depth ${depth}; the limit is ${LIMITS.maxCallDepth}`, { depth, limit: LIMITS.maxCallDepth, workflowId: node.workflow.id });
    }
    // Checked again now: a grant may have been revoked (or the workflow deleted) since the run was created.
    let latest: number;
    try {
      latest = (await deps.permissions.authorizeWorkflow({ userId: run.startedBy }, node.workflow.id, 'run')).workflow.latestVersion;
    } catch (error) {
      if (error instanceof NotFoundError || error instanceof ForbiddenError) {
        throw new CallForbiddenError(`${run.startedBy}, who started run ${run.runId}, may not run workflow ${node.workflow.id}: ${error.message}`, { workflowId: node.workflow.id, userId: run.startedBy }, { cause: error });
      }
      throw error;
    }
    const version = node.workflow.version ?? run.callVersions?.[node.id] ?? latest;
    const { drive } = splitAttempt(task.attempt);
    const childRunId = childRunIdOf(run.runId, task.item, node.id, drive);
    // The pointer before the child (its id is known): a child's end always finds the node waiting for it.
    const running = await stores.nodeRuns.transition(f.rk, node.id, 'running', { startedAt, childRunId }, NODE_ENTERED_FROM.running);
    if (!running) throw new RecordedCallFailure({ name: ERROR_NAMES.runFinished, message: `run ${run.runId} has already finished` });
    await recordAt(stores, f, `node.started:${keyOf(f, node.id)}:${task.attempt}`, { type: 'node.started', nodeId: node.id, at: startedAt, data: { attempt: task.attempt, childRunId } });
    // Listed on the parent before the child exists, so the cancel cascade always finds it.
    await calls.addChild(run.runId, childRunId);
    const calledBy: RunCaller = { runId: run.runId, nodeId: node.id, ...(task.item !== undefined ? { item: task.item } : {}), attempt: task.attempt, taskToken: task.taskToken };
    try {
      await deps.runs.startChild({ runId: childRunId, workflowId: node.workflow.id, version, input, startedBy: run.startedBy, calledBy, depth });
    } catch (error) {
      if (error instanceof NotFoundError || error instanceof ForbiddenError) {
        throw new CallForbiddenError(`the child run of workflow ${node.workflow.id} could not start: ${error.message}`, { workflowId: node.workflow.id, version, ...(error instanceof ForbiddenError && error.path ? { path: error.path } : {}) }, { cause: error });
      }
      if (error instanceof ValidationError) {
        throw new ChildRunFailedError(`the child run of workflow ${node.workflow.id}@${version} could not start: its input is invalid`, { workflowId: node.workflow.id, version, issues: error.issues.slice(0, 10) }, { cause: error });
      }
      if (error instanceof BraidError && error.name !== ERROR_NAMES.transient) {
        throw new ChildRunFailedError(`the child run of workflow ${node.workflow.id}@${version} could not start: ${error.message}`, { workflowId: node.workflow.id, version, code: error.code }, { cause: error });
      }
      throw error;
    }
    // The parent ended while the child started (its cascade may have missed a child that did not exist yet).
    const status = await stores.store.runs.getStatus(run.runId);
    if (status !== undefined && isRunTerminal(status)) {
      const child = await stores.store.runs.get(childRunId);
      if (child) await deps.settler.cancelRun(child, `its parent run ${run.runId} ended`);
    }
  }

  /** Records the attempt's failure (the node `failed`, or `retrying` when the service retrier will retry it). */
  async function recordFailure(f: Frame, nodeId: string, policy: NodeContract, attempt: number, startedAt: string, info: ErrorInfo): Promise<void> {
    const endedAt = nowIso(stores);
    await stores.nodeRuns.finishAttempt(f.rk, nodeId, attempt, { status: 'failed', endedAt, error: info });
    const node = await stores.nodeRuns.get(f.rk, nodeId);
    const nk = keyOf(f, nodeId);
    if (willRetry(policy, priorErrorsInDrive(node?.attempts ?? [], attempt, policy.timeoutSeconds, Date.parse(startedAt)), info.name)) {
      if (await stores.nodeRuns.transition(f.rk, nodeId, 'retrying', { error: info }, NODE_ENTERED_FROM.retrying)) {
        await recordAt(stores, f, `node.retrying:${nk}:${attempt}`, { type: 'node.retrying', nodeId, at: endedAt, data: { attempt, error: info } });
      }
      return;
    }
    const failed = await stores.nodeRuns.transition(f.rk, nodeId, 'failed', { endedAt, error: info }, NODE_ENTERED_FROM.failed);
    if (failed || (await stores.nodeRuns.get(f.rk, nodeId))?.status === 'failed') {
      await recordAt(stores, f, `node.failed:${nk}`, { type: 'node.failed', nodeId, at: endedAt, data: { attempt, error: info } });
    }
  }

  /**
   * A node whose earlier attempt's child is still running (a redriven or resumed parent re-entering the node):
   * the child is pointed at this attempt's token instead of starting another. False when there is none.
   */
  async function reattach(f: Frame, node: NodeRun | undefined, task: CallTask, startedAt: string): Promise<boolean> {
    if (!node?.childRunId) return false;
    const child = await stores.store.runs.get(node.childRunId);
    if (!child || isRunTerminal(child.status)) return false;
    const calledBy: RunCaller = { runId: task.runId, nodeId: task.nodeId, ...(task.item !== undefined ? { item: task.item } : {}), attempt: task.attempt, taskToken: task.taskToken };
    if (!(await calls.reattach(child.runId, calledBy))) return false;
    if (!(await stores.nodeRuns.transition(f.rk, task.nodeId, 'running', { childRunId: child.runId }, NODE_ENTERED_FROM.running))) return false;
    await recordAt(stores, f, `node.started:${keyOf(f, task.nodeId)}:${task.attempt}`, { type: 'node.started', nodeId: task.nodeId, at: startedAt, data: { attempt: task.attempt, childRunId: child.runId } });
    // The child may have ended between the read and the reattach: settle it now, to this token.
    await deps.settler.deliver((await stores.store.runs.get(child.runId)) ?? child);
    return true;
  }

  return {
    /** Runs the `workflow_call` task: starts (or re-attaches to) the child run and returns; the token waits. */
    async start(task: CallTask, hooks: CallHooks): Promise<TaskResult> {
      const loaded = await hooks.load(task.runId);
      const reusedRoute = task.item === undefined ? loaded.run.reused?.[task.nodeId] : undefined;
      if (reusedRoute !== undefined) {
        // A rerun's reused call: its child ran in the old run; answer with the recorded route, start nothing.
        await deps.orchestrator.sendTaskSuccess({ taskToken: task.taskToken, output: { route: reusedRoute } });
        return { route: reusedRoute };
      }
      const { frame: f, node } = frameOf(loaded, task.nodeId, task.item);
      if (node.type !== 'workflow_call') throw new BraidError('not_a_workflow_call', `node ${task.nodeId} is not a workflow_call`);
      const contract = loaded.contract.nodes[task.nodeId];
      if (!contract || isVirtualContract(contract)) throw new BraidError('unknown_node', `run ${task.runId} has no executable node ${task.nodeId}`);
      // A node that settled (a redrive re-entering it, a retried Task after its child ended): answer from its record.
      const answered = await answerFromRecord(await stores.nodeRuns.get(f.rk, task.nodeId), task.taskToken);
      if (answered) return answered;
      const admission = await admitAttempt(stores, f.rk, task.nodeId, task.attempt, { ...contract, timeoutSeconds: CALL_CLAIM_SECONDS });
      if (admission.kind === 'replay') return { route: 'waiting' };
      try {
        const startedAt = nowIso(stores);
        const started = await stores.nodeRuns.startAttempt(f.rk, task.nodeId, task.attempt, startedAt);
        if (!started.created && started.record.status !== 'running') return { route: 'waiting' };
        const [runs] = await Promise.all([
          stores.nodeRuns.list(f.rk), hooks.startItem(loaded, f, task.nodeId, startedAt),
          // The previous attempt of this drive ended without reporting (its Task was retried): close its record.
          splitAttempt(task.attempt).retry > 0
            ? stores.nodeRuns.finishAttempt(f.rk, task.nodeId, task.attempt - 1, { status: 'failed', endedAt: startedAt, error: { name: ERROR_NAMES.transient, message: 'the attempt ended without recording its outcome', details: { closedByAttempt: task.attempt } } })
            : undefined,
        ]);
        await hooks.settleVirtualAncestors(f, task.nodeId, runs);
        if (await reattach(f, runs.get(task.nodeId), task, startedAt)) return { route: 'waiting' };
        try {
          await startChild(loaded, f, node, task, runs, startedAt);
        } catch (error) {
          const info = error instanceof BraidError && error.name === ERROR_NAMES.transient ? { name: error.name, message: error.message } : toErrorInfo(error);
          await recordFailure(f, task.nodeId, contract, task.attempt, startedAt, info);
          throw new RecordedCallFailure(info);
        }
        return { route: 'waiting' };
      } finally {
        await releaseClaim(stores, f.rk, task.nodeId, admission.owner);
      }
    },
  };
}

/** The `workflow_call` action. */
export type WorkflowCalls = ReturnType<typeof createWorkflowCalls>;

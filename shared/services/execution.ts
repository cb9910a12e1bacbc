/**
 * The executor service: what the state machine's tasks ask for (ARCHITECTURE.md, "Executor event").
 * `execute` runs one attempt of a node, `gate` opens a human gate and keeps its task token, `finalize` closes
 * the run. Idempotent per (run, node, attempt): a repeated delivery of a finished attempt returns the recorded
 * route (or error) and repeats no side effect.
 */
import { priorErrors, unfinishedAttemptError } from '../contract/attempts';
import { splitAttempt } from '../contract/task-payload';
import { createProgressSink } from './node-progress';
import { ERROR_NAMES, STATES_ERRORS } from '../contract/error-names';
import { isVirtualContract, type NodeContract } from '../contract/node-contract';
import { willRetry } from '../contract/retriers';
import type { NodeDef } from '../definition/schema';
import { BraidError } from '../errors';
import { executeNode, resolveInputs, toErrorInfo, type ExecutorDeps } from '../executors';
import type { Cost, ErrorInfo, NodeRun } from '../model/types';
import type { AttemptRecord } from '../store/node-runs';
import { admitAttempt, releaseClaim, SupersededAttemptError } from './execution-claim';
import { closeOutstanding, finishRun, totalCost } from './execution-close';
import { loadRun, nowIso, record, type LoadedRun, type RunStores } from './execution-context';
import { bindingOutputs, deadNodes, virtualOutput } from './execution-graph';
import { NODE_ENTERED_FROM } from './run-status';
import { isRunTerminal } from './run-status';
import type { Orchestrator } from '../ports/orchestrator';

/** What every task returns: the route the compiled Choice states read. */
export interface TaskResult {
  route: string;
}

import { stateErrorInfo, type StateError } from './state-error';
export type { StateError } from './state-error';

/** The run is already final; the task does nothing (the execution is being stopped). Not retried. */
export class RunFinishedError extends BraidError {
  constructor(runId: string, options?: { cause?: unknown }) {
    super('run_finished', `run ${runId} has already finished`, options);
    this.name = ERROR_NAMES.runFinished;
  }
}

/** A failure recorded earlier, thrown again on a repeated delivery with the same ASL error name. */
export class RecordedFailureError extends BraidError {
  constructor(info: ErrorInfo) {
    super('recorded_failure', info.message);
    this.name = info.name;
  }
}

/** Builds the executor service; `options.orchestrator` completes the token tasks it answers itself (a rerun's reused gates). */
export function createExecutionService(stores: RunStores, executorDeps: ExecutorDeps = {}, options: { orchestrator?: Pick<Orchestrator, 'sendTaskSuccess' | 'sendTaskFailure'> } = {}) {
  async function load(runId: string): Promise<LoadedRun> {
    const loaded = await loadRun(stores, runId);
    if (isRunTerminal(loaded.run.status)) throw new RunFinishedError(runId);
    return loaded;
  }

  /** Records `parallel`/`join` ancestors of a node about to start as succeeded, with their derived outputs. */
  async function settleVirtualAncestors(loaded: LoadedRun, nodeId: string, runs: Map<string, NodeRun>): Promise<void> {
    for (const id of contractOf(loaded, nodeId).settles) {
      if ((runs.get(id)?.status ?? 'pending') !== 'pending') continue;
      const at = nowIso(stores);
      const output = virtualOutput(loaded.contract, runs, id);
      const updated = await stores.nodeRuns.transition(loaded.run.runId, id, 'succeeded', { startedAt: at, endedAt: at, output }, ['pending']);
      if (updated) runs.set(id, { ...updated, attempts: [] });
      if (await landed(loaded.run.runId, id, updated, 'succeeded')) await record(stores, loaded.run.runId, `node.succeeded:${id}`, { type: 'node.succeeded', nodeId: id, at, data: {} });
    }
  }

  /** Marks nodes that the recorded decisions made unreachable as skipped. */
  async function skipUnreachable(loaded: LoadedRun, runs: Map<string, NodeRun>): Promise<void> {
    for (const id of deadNodes(loaded.contract, runs)) {
      if ((runs.get(id)?.status ?? 'pending') !== 'pending') continue;
      const at = nowIso(stores);
      const updated = await stores.nodeRuns.transition(loaded.run.runId, id, 'skipped', { endedAt: at }, NODE_ENTERED_FROM.skipped);
      if (updated) runs.set(id, { ...updated, attempts: [] });
      if (await landed(loaded.run.runId, id, updated, 'skipped')) await record(stores, loaded.run.runId, `node.skipped:${id}`, { type: 'node.skipped', nodeId: id, at, data: {} });
    }
  }

  /**
   * Closes attempt `attempt` if its record is still `running`. This delivery holds the node's claim, so that
   * attempt has ended: past its deadline the Task timed out (`States.Timeout`); before it, its delivery stopped
   * without recording an outcome (it threw `Braid.Transient`, which the state machine's service retrier took).
   */
  async function closeUnreported(runId: string, nodeId: string, attempt: number, policy: NodeContract, laterStartedAt: string): Promise<void> {
    const previous = await stores.nodeRuns.getAttempt(runId, nodeId, attempt);
    if (previous?.status !== 'running') return;
    const timedOut = unfinishedAttemptError(previous.startedAt, policy.timeoutSeconds, Date.parse(laterStartedAt)) === STATES_ERRORS.timeout;
    // `closedByAttempt` tells a late delivery of this attempt that a later one replaced it (it gets Braid.Superseded).
    const error = timedOut
      ? { name: STATES_ERRORS.timeout, message: 'the attempt timed out', details: { closedByAttempt: attempt + 1 } }
      : { name: ERROR_NAMES.transient, message: 'the attempt ended without recording its outcome', details: { closedByAttempt: attempt + 1 } };
    await stores.nodeRuns.finishAttempt(runId, nodeId, attempt, { status: 'failed', endedAt: laterStartedAt, error });
  }

  /**
   * The recorded outcome of a node that settled in an earlier drive: its route when it succeeded, its recorded
   * error thrown again when it failed (an `onError: continue` node, or a gate rejected while no execution
   * listened); `undefined` when it must run (a redrive put it back to `pending`, or it is still open).
   */
  async function settledOutcome(runId: string, nodeId: string): Promise<TaskResult | undefined> {
    const node = await stores.nodeRuns.get(runId, nodeId);
    if (node?.status === 'succeeded') return { route: (node as NodeRun & { route?: string }).route ?? 'ok' };
    if (node?.status === 'failed' && node.error) throw new RecordedFailureError(node.error);
    return undefined;
  }

  /** True when the node is in `status`: this call moved it there, or an earlier delivery did. */
  async function landed(runId: string, nodeId: string, updated: NodeRun | undefined, status: NodeRun['status']): Promise<boolean> {
    if (updated) return true;
    return (await stores.nodeRuns.get(runId, nodeId))?.status === status;
  }

  function nodeOf(loaded: LoadedRun, nodeId: string): NodeDef {
    const node = loaded.nodes.get(nodeId);
    if (!node) throw new BraidError('unknown_node', `run ${loaded.run.runId} has no node ${nodeId}`);
    return node;
  }

  /** The node's compiled contract: its retriers and timeout come from here, never from the definition. */
  function contractOf(loaded: LoadedRun, nodeId: string): NodeContract {
    const node = loaded.contract.nodes[nodeId];
    if (!node || isVirtualContract(node)) throw new BraidError('unknown_node', `run ${loaded.run.runId} has no executable node ${nodeId}`);
    return node;
  }

  /** Runs one admitted attempt: records it, calls the node, records the outcome and the node's transition. */
  async function runAttempt(loaded: LoadedRun, node: NodeDef, policy: NodeContract, attempt: number): Promise<TaskResult> {
    const runId = loaded.run.runId;
    const nodeId = node.id;
    const startedAt = nowIso(stores);
    const started = await stores.nodeRuns.startAttempt(runId, nodeId, attempt, startedAt);
    const raced = !started.created && replay(started.record);
    if (raced) return raced;
    const [runs] = await Promise.all([
      stores.nodeRuns.list(runId),
      // The previous attempt may have ended without reporting: close it with the error the state machine saw.
      splitAttempt(attempt).retry > 0 ? closeUnreported(runId, nodeId, attempt - 1, policy, startedAt) : undefined,
    ]);
    await settleVirtualAncestors(loaded, nodeId, runs);
    const running = await stores.nodeRuns.transition(runId, nodeId, 'running', attempt === 0 ? { startedAt } : {}, NODE_ENTERED_FROM.running);
    if (!(await landed(runId, nodeId, running, 'running'))) {
      // An earlier attempt succeeded but a fault stopped it from reporting: finish its bookkeeping and report
      // the recorded route instead of running the node again. Any other closed node (the run was cancelled
      // meanwhile) does not run.
      const done = await stores.nodeRuns.get(runId, nodeId);
      if (done?.status === 'failed' && done.error) {
        // An earlier attempt recorded the node's failure, yet the state machine retried once more (its retry
        // counts and ours can differ): report the same failure, so its Retry/Catch decide as they would have.
        await stores.nodeRuns.finishAttempt(runId, nodeId, attempt, { status: 'failed', endedAt: startedAt, error: done.error });
        throw new RecordedFailureError(done.error);
      }
      if (done?.status !== 'succeeded') {
        // The node was closed (the run was cancelled or finished meanwhile): this attempt ends here, recorded.
        await stores.nodeRuns.finishAttempt(runId, nodeId, attempt, { status: 'failed', endedAt: startedAt, error: { name: ERROR_NAMES.runFinished, message: `run ${runId} has already finished` } });
        throw new RunFinishedError(runId);
      }
      const route = (done as NodeRun & { route?: string }).route ?? 'ok';
      const endedAt = done.endedAt ?? startedAt;
      await record(stores, runId, `node.succeeded:${nodeId}`, { type: 'node.succeeded', nodeId, at: endedAt, data: node.type === 'condition' ? { attempt, route } : { attempt } });
      if (node.type === 'condition') {
        runs.set(nodeId, done);
        await skipUnreachable(loaded, runs);
      }
      await stores.nodeRuns.finishAttempt(runId, nodeId, attempt, { status: 'succeeded', endedAt, route });
      return { route };
    }
    await record(stores, runId, `node.started:${nodeId}:${attempt}`, { type: 'node.started', nodeId, at: startedAt, data: { attempt } });

    const deadline = Date.now() + policy.timeoutSeconds * 1000;
    const scope = { context: loaded.run.input, outputs: bindingOutputs(loaded.contract, runs) };
    try {
      const inputs = node.type === 'condition' ? {} : await resolveInputs('inputs' in node ? node.inputs : undefined, scope, { deadline });
      const signal = AbortSignal.timeout(Math.max(1, deadline - Date.now()));
      // Live progress (A2A streaming, MCP progress) becomes coalesced `node.progress` events, all written before
      // the node's final event.
      const sink = createProgressSink(attempt, (data, n) => record(stores, runId, `node.progress:${nodeId}:${attempt}:${n}`, { type: 'node.progress', nodeId, data: { ...data } }));
      let result;
      try {
        result = await executeNode(node, inputs, {
          runId, nodeId, attempt, signal, deadline, scope, routeKeys: policy.routeKeys ?? [], ownerId: loaded.run.ownerId, workflowId: loaded.run.workflowId,
          progress: (update) => sink.push(update),
        }, executorDeps);
      } finally {
        await sink.close();
      }
      const route = result.route ?? 'ok';
      const endedAt = nowIso(stores);
      // The node's cost: this attempt's usage plus what earlier (failed) attempts reported.
      const cost = addCosts(earlierCost(runs.get(nodeId), attempt), result.cost);
      const updated = await stores.nodeRuns.transition(runId, nodeId, 'succeeded', { endedAt, output: result.output ?? null, cost, route }, NODE_ENTERED_FROM.succeeded);
      const data: Record<string, unknown> = { attempt };
      if (cost) data.cost = cost;
      if (node.type === 'condition') data.route = route;
      if (await landed(runId, nodeId, updated, 'succeeded')) await record(stores, runId, `node.succeeded:${nodeId}`, { type: 'node.succeeded', nodeId, at: endedAt, data });
      if (node.type === 'condition' && updated) {
        runs.set(nodeId, { ...updated, attempts: [] });
        await skipUnreachable(loaded, runs);
      }
      await stores.nodeRuns.finishAttempt(runId, nodeId, attempt, { status: 'succeeded', endedAt, route, ...(result.cost ? { cost: result.cost } : {}) });
      return { route };
    } catch (error) {
      if (error instanceof RunFinishedError) {
        await stores.nodeRuns.finishAttempt(runId, nodeId, attempt, { status: 'failed', endedAt: nowIso(stores), error: { name: error.name, message: error.message } });
        throw error;
      }
      const info = error instanceof BraidError && error.name === ERROR_NAMES.transient ? { name: error.name, message: error.message } : toErrorInfo(error);
      const endedAt = nowIso(stores);
      // Superseded: a later attempt arrived while this one ran, so the state machine has already retried it.
      const supersededAt = (await stores.claims.get(runId, nodeId))?.supersededAt;
      const attemptCost = error instanceof BraidError ? (error as { cost?: Cost }).cost : undefined;
      await stores.nodeRuns.finishAttempt(runId, nodeId, attempt, { status: 'failed', endedAt, error: info, ...(supersededAt ? { supersededAt } : {}), ...(attemptCost ? { cost: attemptCost } : {}) });
      const nodeCost = addCosts(earlierCost(runs.get(nodeId), attempt), attemptCost);
      // A redrive gives the node a fresh retry budget: only this drive's attempts count.
      const { retry } = splitAttempt(attempt);
      const base = attempt - retry;
      const thisDrive = (runs.get(nodeId)?.attempts ?? []).filter((a) => a.attempt >= base).map((a) => ({ ...a, attempt: a.attempt - base }));
      const earlier = priorErrors(thisDrive, retry, policy.timeoutSeconds, Date.parse(startedAt));
      if (supersededAt !== undefined || willRetry(policy, earlier, info.name)) {
        const retrying = await stores.nodeRuns.transition(runId, nodeId, 'retrying', { error: info, ...(nodeCost ? { cost: nodeCost } : {}) }, NODE_ENTERED_FROM.retrying);
        if (await landed(runId, nodeId, retrying, 'retrying')) await record(stores, runId, `node.retrying:${nodeId}:${attempt}`, { type: 'node.retrying', nodeId, at: endedAt, data: { attempt, error: info } });
      } else {
        const updated = await stores.nodeRuns.transition(runId, nodeId, 'failed', { endedAt, error: info, ...(nodeCost ? { cost: nodeCost } : {}) }, NODE_ENTERED_FROM.failed);
        if (await landed(runId, nodeId, updated, 'failed')) await record(stores, runId, `node.failed:${nodeId}`, { type: 'node.failed', nodeId, at: endedAt, data: { attempt, error: info } });
        if (updated && node.type === 'condition') {
          runs.set(nodeId, { ...updated, attempts: [] });
          await skipUnreachable(loaded, runs);
        }
      }
      throw new RecordedFailureError(info);
    }
  }

  return {
    /** Runs attempt `attempt` of `nodeId` and returns its route; throws an error named per the ASL contract. */
    async execute(runId: string, nodeId: string, attempt: number): Promise<TaskResult> {
      // Read both at once; a finished attempt's recorded result wins over the run's state.
      const [previous, loading] = await Promise.all([
        stores.nodeRuns.getAttempt(runId, nodeId, attempt),
        load(runId).then((value) => ({ value }), (error: unknown) => ({ error })),
      ]);
      // A late delivery of an attempt that a later attempt closed (its own delivery was still evaluating, say) is
      // stale: the state machine has moved on, so it is Braid.Superseded, not the placeholder error it was closed with.
      const closedBy = previous?.status === 'failed' ? previous.error?.details?.closedByAttempt : undefined;
      if (typeof closedBy === 'number') throw new SupersededAttemptError(runId, nodeId, attempt, closedBy);
      const recorded = previous && replay(previous);
      if (recorded) return recorded;
      if ('error' in loading) throw loading.error;
      const loaded = loading.value;
      // A rerun's reused node: its record was copied from the old run; answer with its route, call nothing.
      const reusedRoute = loaded.run.reused?.[nodeId];
      if (reusedRoute !== undefined) return { route: reusedRoute };
      // A redriven (or resumed) execution re-entering a node that already settled: answer from its record.
      const settled = splitAttempt(attempt).drive > 0 ? await settledOutcome(runId, nodeId) : undefined;
      if (settled) return settled;
      const node = nodeOf(loaded, nodeId);
      const policy = contractOf(loaded, nodeId);
      // No side effect before the node's claim: twins and overlapping attempts wait here (execution-claim.ts).
      const admission = await admitAttempt(stores, runId, nodeId, attempt, policy);
      if (admission.kind === 'replay') return replay(admission.record) ?? { route: 'ok' };
      try {
        return await runAttempt(loaded, node, policy, attempt);
      } finally {
        await releaseClaim(stores, runId, nodeId, admission.owner);
      }
    },

    /** Opens the gate of `nodeId`, keeping its task token server-side; the node and the run wait. */
    async gate(runId: string, nodeId: string, attempt: number, taskToken: string): Promise<TaskResult> {
      const loaded = await load(runId);
      const reusedRoute = loaded.run.reused?.[nodeId];
      if (reusedRoute !== undefined) {
        // A rerun's reused gate was decided in the old run: complete its task at once, open nothing.
        if (!options.orchestrator) throw new BraidError('no_orchestrator', 'the executor cannot complete a reused gate without an orchestrator');
        await options.orchestrator.sendTaskSuccess({ taskToken, output: { route: reusedRoute } });
        return { route: reusedRoute };
      }
      if (splitAttempt(attempt).drive > 0) {
        // A resumed execution re-entering a gate decided while nothing listened: apply the recorded decision now.
        const decided = await settledOutcome(runId, nodeId).then((value) => ({ value }), (error: unknown) => ({ error }));
        if ('error' in decided || decided.value) {
          if (!options.orchestrator) throw new BraidError('no_orchestrator', 'the executor cannot complete a decided gate without an orchestrator');
          if ('error' in decided) {
            const error = decided.error as Error;
            await options.orchestrator.sendTaskFailure({ taskToken, error: error.name, cause: error.message });
            return { route: 'waiting' };
          }
          await options.orchestrator.sendTaskSuccess({ taskToken, output: decided.value as TaskResult });
          return decided.value as TaskResult;
        }
      }
      const node = nodeOf(loaded, nodeId);
      if (node.type !== 'human_gate') throw new BraidError('not_a_gate', `node ${nodeId} is not a human gate`);
      const openedAt = nowIso(stores);
      await stores.nodeRuns.startAttempt(runId, nodeId, attempt, openedAt);
      const runs = await stores.nodeRuns.list(runId);
      await settleVirtualAncestors(loaded, nodeId, runs);
      const scope = { context: loaded.run.input, outputs: bindingOutputs(loaded.contract, runs) };
      const inputs = await resolveInputs(node.inputs, scope);
      const timeoutAt = new Date(Date.parse(openedAt) + contractOf(loaded, nodeId).timeoutSeconds * 1000).toISOString();
      const { gate } = await stores.gates.open({
        runId, nodeId, status: 'waiting', prompt: node.prompt, approvers: node.approvers ?? [], openedAt, timeoutAt, taskToken,
        ...(Object.keys(inputs).length > 0 ? { inputs } : {}),
      }, attempt);
      const waiting = await stores.nodeRuns.transition(runId, nodeId, 'waiting', { startedAt: openedAt }, NODE_ENTERED_FROM.waiting);
      if (!(await landed(runId, nodeId, waiting, 'waiting'))) return { route: 'waiting' };
      try {
        await stores.store.runs.update(runId, { status: 'waiting' }, ['running']);
      } catch (error) {
        if (!(error instanceof BraidError && error.code === 'conflict')) throw error;
      }
      await record(stores, runId, `node.waiting:${nodeId}`, {
        type: 'node.waiting', nodeId, at: openedAt, data: { prompt: gate.prompt, approvers: gate.approvers, timeoutAt: gate.timeoutAt },
      });
      return { route: 'waiting' };
    },

    /** Closes the run: `succeeded` with its terminal nodes' outputs, or `failed` with the caught error. */
    async finalize(runId: string, error?: StateError): Promise<TaskResult> {
      const loaded = await loadRun(stores, runId);
      if (isRunTerminal(loaded.run.status)) return { route: 'ok' };
      const info = error ? stateErrorInfo(error) : undefined;
      // A node still running here timed out (its task never reported); after another failure it was stopped.
      const timedOut = !info || info.name === STATES_ERRORS.timeout;
      const runs = await closeOutstanding(stores, loaded, {
        pending: 'skipped', active: timedOut ? 'failed' : 'cancelled', error: { name: STATES_ERRORS.timeout, message: 'the node timed out' },
        gate: info?.name === STATES_ERRORS.timeout ? 'timed_out' : 'cancelled',
      });
      const cost = totalCost(runs);
      if (info) {
        await finishRun(stores, loaded.run, 'failed', { error: info, cost });
        return { route: 'ok' };
      }
      const output: Record<string, unknown> = {};
      for (const id of loaded.contract.terminal) {
        const node = runs.get(id);
        if (node?.status === 'succeeded') output[id] = node.output ?? null;
      }
      await finishRun(stores, loaded.run, 'succeeded', { output: boundedOutput(output), cost });
      return { route: 'ok' };
    },
  };
}

/** The executor service. */
export type ExecutionService = ReturnType<typeof createExecutionService>;

/** The recorded outcome of a finished attempt (a route, or its error thrown again); `undefined` while it runs. */
function replay(record: AttemptRecord): TaskResult | undefined {
  if (record.status === 'succeeded') return { route: record.route ?? 'ok' };
  if (record.status === 'failed' && record.error) throw new RecordedFailureError(record.error);
  return undefined;
}

/** What the node's attempts before `attempt` reported (failed attempts' usage counts too). */
function earlierCost(node: NodeRun | undefined, attempt: number): Cost | undefined {
  return (node?.attempts ?? []).filter((a) => a.attempt < attempt).reduce<Cost | undefined>((sum, a) => addCosts(sum, a.cost), undefined);
}

/** The sum of two costs; `undefined` when neither is known. */
function addCosts(a: Cost | undefined, b: Cost | undefined): Cost | undefined {
  if (!a) return b;
  if (!b) return a;
  const sum: Cost = { usd: Number((a.usd + b.usd).toFixed(9)) };
  if (a.inputTokens !== undefined || b.inputTokens !== undefined) sum.inputTokens = (a.inputTokens ?? 0) + (b.inputTokens ?? 0);
  if (a.outputTokens !== undefined || b.outputTokens !== undefined) sum.outputTokens = (a.outputTokens ?? 0) + (b.outputTokens ?? 0);
  return sum;
}

/** Largest run output stored on the run item (a DynamoDB item holds 400 KB); larger outputs are left to the nodes route. */
export const MAX_RUN_OUTPUT_BYTES = 256 * 1024;

/** The run output, with each terminal output replaced by `{ omitted: true, bytes }` when together they are too large. */
function boundedOutput(output: Record<string, unknown>): Record<string, unknown> {
  if (Buffer.byteLength(JSON.stringify(output)) <= MAX_RUN_OUTPUT_BYTES) return output;
  return Object.fromEntries(Object.entries(output).map(([id, value]) => [id, { omitted: true, bytes: Buffer.byteLength(JSON.stringify(value ?? null)) }]));
}

export { stateErrorInfo } from './state-error';

/**
 * The executor service: what the state machine's tasks ask for (ARCHITECTURE.md, "Executor event").
 * `execute` runs one attempt of a node, `gate` opens a human gate and keeps its task token, `finalize` closes
 * the run. Idempotent per (run, node, attempt): a repeated delivery of a finished attempt returns the recorded
 * route (or error) and repeats no side effect.
 */
import { priorErrorsInDrive, unfinishedAttemptError } from '../contract/attempts';
import { MAX_TURNS, splitAttempt } from '../contract/task-payload';
import { AskedAgainError, createAgentReplies, INPUT_REQUIRED_ROUTE, nodeDeadline } from './agent-replies';
import { createProgressSink } from './node-progress';
import { ERROR_NAMES, STATES_ERRORS } from '../contract/error-names';
import { isVirtualContract, type NodeContract } from '../contract/node-contract';
import { willRetry } from '../contract/retriers';
import type { NodeDef } from '../definition/schema';
import { BraidError } from '../errors';
import { executeNode, InputRequiredError, MapFailedError, NodeFailedError, resolveInputs, toErrorInfo, type ExecutorDeps } from '../executors';
import type { Cost, ErrorInfo, NodeRun } from '../model/types';
import type { AttemptRecord } from '../store/node-runs';
import { admitAttempt, admitStarting, releaseClaim, SupersededAttemptError } from './execution-claim';
import { readForAttempt } from './attempt-reads';
import { closeOutstanding, finishRun, recordRunEnd, totalCost } from './execution-close';
import { loadRun, nowIso, record, type LoadedRun, type RunStores } from './execution-context';
import { deadNodes, virtualAncestors, virtualOutput } from './scope-graph';
import { frameOf, frameOutputs, keyOf, recordAllAt, recordAt, type Frame } from './execution-frame';
import { deferStart, firstStartEntry, START_EVENT_DEFER_MS, type LogEntry } from './start-event';
import { itemIndex, parentPath } from './map-scope';
import { partitionRunId } from '../store/map-items';
import { createMapExecution } from './map-execution';
import { NODE_ENTERED_FROM } from './run-status';
import { isRunTerminal } from './run-status';
import { gateOpened } from './gate-lifecycle';
import { closeIfRunEnded } from './close-waits';
import { gatePolicyRecord } from './gate-policy';
import { createBudgetService, type BudgetServiceDeps } from './budget';
import type { Orchestrator } from '../ports/orchestrator';
import { createWorkflowCalls, type WorkflowCallDeps } from './workflow-call';

/** What every task returns: the route the compiled Choice states read. */
export interface TaskResult {
  route: string;
  /** `reply-wait` only: the seconds `X:reply` may wait (`TimeoutSecondsPath`). */
  wait?: number;
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

/** Builds the executor service; `options.orchestrator` completes the token tasks it answers itself (budget checks, a rerun's or redrive's reused gates). */
export function createExecutionService(stores: RunStores, executorDeps: ExecutorDeps = {}, options: BudgetServiceDeps & { calls?: WorkflowCallDeps; startEventDeferMs?: number } = {}) {
  // How long a quick first attempt's `node.started` waits to be appended with its end (start-event.ts); 0: never.
  const startDeferMs = options.startEventDeferMs ?? START_EVENT_DEFER_MS;
  const budget = createBudgetService(stores, options);
  const replies = createAgentReplies(stores, options.orchestrator);
  const calls = options.calls ? createWorkflowCalls(stores, options.calls) : undefined;
  async function load(runId: string): Promise<LoadedRun> {
    const loaded = await loadRun(stores, runId);
    if (isRunTerminal(loaded.run.status)) throw new RunFinishedError(runId);
    return loaded;
  }

  /** Records `parallel`/`join` ancestors of a node about to start as succeeded, with their derived outputs. */
  async function settleVirtualAncestors(f: Frame, nodeId: string, runs: Map<string, NodeRun>): Promise<void> {
    for (const id of virtualAncestors(f.graph, nodeId)) {
      if ((runs.get(id)?.status ?? 'pending') !== 'pending') continue;
      const at = nowIso(stores);
      const output = virtualOutput(f.graph, runs, id);
      const updated = await stores.nodeRuns.transition(f.rk, id, 'succeeded', { startedAt: at, endedAt: at, output }, ['pending']);
      if (updated) runs.set(id, { ...updated, attempts: [] });
      if (await landed(f.rk, id, updated, 'succeeded')) await recordAt(stores, f, `node.succeeded:${keyOf(f, id)}`, { type: 'node.succeeded', nodeId: id, at, data: {} });
    }
  }

  /** Marks nodes that the recorded decisions made unreachable as skipped. */
  async function skipUnreachable(f: Frame, runs: Map<string, NodeRun>): Promise<void> {
    for (const id of deadNodes(f.graph, runs)) {
      if ((runs.get(id)?.status ?? 'pending') !== 'pending') continue;
      const at = nowIso(stores);
      const updated = await stores.nodeRuns.transition(f.rk, id, 'skipped', { endedAt: at }, NODE_ENTERED_FROM.skipped);
      if (updated) runs.set(id, { ...updated, attempts: [] });
      if (await landed(f.rk, id, updated, 'skipped')) await recordAt(stores, f, `node.skipped:${keyOf(f, id)}`, { type: 'node.skipped', nodeId: id, at, data: {} });
    }
  }

  /** A body root starting is its item starting: count it once (the first root to start wins). */
  async function startItem(loaded: LoadedRun, f: Frame, nodeId: string, at: string): Promise<void> {
    if (f.item === undefined || (f.graph.inEdges.get(nodeId)?.length ?? 0) > 0) return;
    const mapId = loaded.scopes.nodes.get(nodeId)?.mapId as string;
    const parentRk = partitionRunId(f.runId, parentPath(f.item));
    const map = loaded.scopes.nodes.get(mapId)?.node;
    // A map's own timeout: no item starts after it (running items finish within their nodes' timeouts).
    if (map?.type === 'map' && map.timeoutSeconds !== undefined) {
      const startedAt = (await stores.nodeRuns.get(parentRk, mapId))?.startedAt;
      if (startedAt !== undefined && Date.parse(at) > Date.parse(startedAt) + map.timeoutSeconds * 1000) {
        throw new MapFailedError(`map ${mapId} passed its timeoutSeconds (${map.timeoutSeconds} s) before item ${f.item} started`);
      }
    }
    await stores.items.start(parentRk, mapId, itemIndex(f.item), at);
  }

  /**
   * Closes attempt `attempt` if its record is still `running`. This delivery holds the node's claim, so that
   * attempt has ended: past its deadline the Task timed out (`States.Timeout`); before it, its delivery stopped
   * without recording an outcome (it threw `Braid.Transient`, which the state machine's service retrier took).
   */
  async function closeUnreported(f: Frame, nodeId: string, attempt: number, policy: NodeContract, laterStartedAt: string): Promise<void> {
    const runId = f.rk;
    const [recorded, node] = await Promise.all([stores.nodeRuns.getAttempt(runId, nodeId, attempt), stores.nodeRuns.get(runId, nodeId)]);
    // A first attempt started with its claim has no record until it ends: its start is the node's.
    const previous = recorded ?? (attempt === 0 && node?.startedAt !== undefined && node.status !== 'pending' ? { status: 'running' as const, startedAt: node.startedAt } : undefined);
    if (previous?.status !== 'running') return;
    // The node succeeded: its claim holder released the claim with that write and this attempt was it (or found
    // it so); it is closed as succeeded, with the node's route.
    if (node?.status === 'succeeded') {
      await stores.nodeRuns.finishAttempt(runId, nodeId, attempt, { status: 'succeeded', endedAt: node.endedAt ?? laterStartedAt, route: (node as NodeRun & { route?: string }).route ?? 'ok', startedAt: previous.startedAt });
      return;
    }
    // A first attempt whose start rode on its claim may have stopped before its deferred `node.started` was
    // appended (start-event.ts): append it now (a no-op when it is in the log), so the log has every attempt's start.
    if (!recorded && attempt === 0) {
      const start = firstStartEntry(keyOf(f, nodeId), nodeId, previous.startedAt);
      await recordAt(stores, f, start.transitionKey, start.event);
    }
    const timedOut = unfinishedAttemptError(previous.startedAt, policy.timeoutSeconds, Date.parse(laterStartedAt)) === STATES_ERRORS.timeout;
    // `closedByAttempt` tells a late delivery of this attempt that a later one replaced it (it gets Braid.Superseded).
    const error = timedOut
      ? { name: STATES_ERRORS.timeout, message: 'the attempt timed out', details: { closedByAttempt: attempt + 1 } }
      : { name: ERROR_NAMES.transient, message: 'the attempt ended without recording its outcome', details: { closedByAttempt: attempt + 1 } };
    await stores.nodeRuns.finishAttempt(runId, nodeId, attempt, { status: 'failed', endedAt: laterStartedAt, error, startedAt: previous.startedAt });
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

    /** The node's compiled contract: its retriers and timeout come from here, never from the definition. */
  function contractOf(loaded: LoadedRun, nodeId: string): NodeContract {
    const node = loaded.contract.nodes[nodeId];
    if (!node || isVirtualContract(node)) throw new BraidError('unknown_node', `run ${loaded.run.runId} has no executable node ${nodeId}`);
    return node;
  }

  /**
   * A quick first attempt's record is written with the node's success, before its two events (start-event.ts): a
   * delivery replaying it appends them first, so its task never returns before its events (a no-op when logged).
   * Only top-level nodes take that path (`bindingReads`), so the run's log and keys carry no item.
   */
  async function logQuickAttempt(runId: string, record: AttemptRecord, result: TaskResult): Promise<TaskResult> {
    const { nodeId } = record;
    await stores.events.appendAll(runId, [
      firstStartEntry(nodeId, nodeId, record.startedAt),
      { transitionKey: `node.succeeded:${nodeId}`, event: { type: 'node.succeeded', nodeId, at: record.endedAt ?? record.startedAt, data: { attempt: 0, ...(record.cost ? { cost: record.cost } : {}) } } },
    ]);
    return result;
  }

  const maps = createMapExecution(stores, { load, errorInfo: stateErrorInfo });

  /** Runs one admitted attempt: records it, calls the node, records the outcome and the node's transition. */
  async function runAttempt(loaded: LoadedRun, f: Frame, node: NodeDef, policy: NodeContract, attempt: number, read?: Map<string, NodeRun>, started?: NodeRun, claim?: { owner: string; released: boolean }, watched = false): Promise<TaskResult> {
    const runId = loaded.run.runId;
    const rk = f.rk;
    const nodeId = node.id;
    const nk = keyOf(f, nodeId);
    const startedAt = started?.startedAt ?? nowIso(stores);
    // Started with its claim (`takeStarting`): no delivery has recorded this attempt, and its record is written
    // once, at its end (every `finishAttempt` below passes `startedAt`).
    if (!started) {
      const begun = await stores.nodeRuns.startAttempt(rk, nodeId, attempt, startedAt);
      const raced = !begun.created && replay(begun.record);
      if (raced) return raced;
    }
    const [runs] = await Promise.all([
      read ?? stores.nodeRuns.list(rk),
      // The previous attempt may have ended without reporting: close it with the error the state machine saw.
      splitAttempt(attempt).retry > 0 ? closeUnreported(f, nodeId, attempt - 1, policy, startedAt) : undefined,
      startItem(loaded, f, nodeId, startedAt),
    ]);
    await settleVirtualAncestors(f, nodeId, runs);
    // The first attempt moves the node only from `pending`: a redelivery of it finds `running` and is not fresh.
    const running = started ?? await stores.nodeRuns.transition(rk, nodeId, 'running', attempt === 0 ? { startedAt } : {}, attempt === 0 ? ['pending'] : NODE_ENTERED_FROM.running);
    if (!(await landed(rk, nodeId, running, 'running'))) {
      // An earlier attempt succeeded but a fault stopped it from reporting: finish its bookkeeping and report
      // the recorded route instead of running the node again. Any other closed node (the run was cancelled
      // meanwhile) does not run.
      const done = await stores.nodeRuns.get(rk, nodeId);
      if (done?.status === 'failed' && done.error) {
        // An earlier attempt recorded the node's failure, yet the state machine retried once more (its retry
        // counts and ours can differ): report the same failure, so its Retry/Catch decide as they would have.
        await stores.nodeRuns.finishAttempt(rk, nodeId, attempt, { status: 'failed', endedAt: startedAt, error: done.error, startedAt });
        throw new RecordedFailureError(done.error);
      }
      if (done?.status !== 'succeeded') {
        // The node was closed (the run was cancelled or finished meanwhile): this attempt ends here, recorded.
        await stores.nodeRuns.finishAttempt(rk, nodeId, attempt, { status: 'failed', endedAt: startedAt, error: { name: ERROR_NAMES.runFinished, message: `run ${runId} has already finished` }, startedAt });
        throw new RunFinishedError(runId);
      }
      const route = (done as NodeRun & { route?: string }).route ?? 'ok';
      const endedAt = done.endedAt ?? startedAt;
      const succeededEntry: LogEntry = { transitionKey: `node.succeeded:${nk}`, event: { type: 'node.succeeded', nodeId, at: endedAt, data: node.type === 'condition' ? { attempt, route } : { attempt } } };
      // Attempt 0 recorded its success on the node (`FirstAttempt`) and may have stopped before its events: its
      // deferred start goes first (a no-op when it is in the log).
      const first = await stores.nodeRuns.getAttempt(rk, nodeId, 0);
      const startOfFirst = first?.status === 'succeeded' && attempt > 0 ? [firstStartEntry(nk, nodeId, first.startedAt)] : [];
      await recordAllAt(stores, f, [...startOfFirst, succeededEntry]);
      if (node.type === 'condition') {
        runs.set(nodeId, done);
        await skipUnreachable(f, runs);
      }
      await stores.nodeRuns.finishAttempt(rk, nodeId, attempt, { status: 'succeeded', endedAt, route, startedAt });
      return { route };
    }
    // Fewer round trips (ARCHITECTURE.md, "Fewer round trips per node"): when this delivery just moved the node, its
    // start is fresh; appended on its own, its head entry stays until the attempt's final append clears it.
    const { turn } = splitAttempt(attempt);
    const startedEntry: LogEntry = { transitionKey: `node.started:${nk}:${attempt}`, event: { type: 'node.started', nodeId, at: startedAt, data: turn > 0 ? { attempt, turn } : { attempt } } };
    // A plain first attempt, started with its claim, appends its start with its end when its call is quick
    // (start-event.ts), unless someone watches the run live; any other attempt appends it now.
    const claimStarted = started !== undefined && claim !== undefined;
    const quick = claimStarted && startDeferMs > 0 && !watched;
    const start = deferStart(startedEntry, (fresh) => recordAt(stores, f, startedEntry.transitionKey, startedEntry.event, { fresh, keepPending: true }), { fresh: running !== undefined, deferMs: quick ? startDeferMs : 0 });
    if (!quick) await start.ensure();
    // Records the attempt's final event, with its start when that is not in the log yet (one append for both).
    const recordEnd = async (end: LogEntry, fresh: boolean): Promise<void> => {
      const taken = start.takeOver();
      if (taken) await recordAllAt(stores, f, [taken, end], { fresh: fresh && running !== undefined });
      else await recordAt(stores, f, end.transitionKey, end.event, { fresh, clears: await start.ensure() });
    };
    // Set once the node's success is written: a failure after it is the bookkeeping's, not the node's.
    let succeeded = false;

    // A later turn of an agent gets what is left of the node's timeout (its turns and waits share it).
    const deadline = Math.min(Date.now() + policy.timeoutSeconds * 1000, turn > 0 ? nodeDeadline(runs.get(nodeId), splitAttempt(attempt).drive, policy.timeoutSeconds, Date.now()) : Infinity);
    try {
      const scope = { context: loaded.run.input, outputs: await frameOutputs(stores, loaded, nodeId, f, runs) };
      // A later turn of an agent sends the reply to its question, not the node's inputs again.
      const continuation = turn > 0 ? await replies.continuation(rk, nodeId, turn) : undefined;
      const inputs = node.type === 'condition' || continuation ? {} : await resolveInputs('inputs' in node ? node.inputs : undefined, scope, { deadline });
      if (node.type === 'agent_call') await budget.beforeAgentCall(loaded, nodeId);
      const signal = AbortSignal.timeout(Math.max(1, deadline - Date.now()));
      // Live progress (A2A streaming, MCP progress) becomes coalesced `node.progress` events, all written before
      // the node's final event.
      const sink = createProgressSink(attempt, async (data, n) => {
        await start.ensure();
        await record(stores, runId, `node.progress:${nodeId}:${attempt}:${n}`, { type: 'node.progress', nodeId, data: { ...data } });
      });
      let result;
      try {
        result = await executeNode(node, inputs, {
          runId, nodeId, attempt, signal, deadline, scope, routeKeys: policy.routeKeys ?? [], ownerId: loaded.run.ownerId, workflowId: loaded.run.workflowId,
          progress: (update) => sink.push(update),
          ...(continuation ? { continuation } : {}),
        }, executorDeps);
      } finally {
        await sink.close();
      }
      const route = result.route ?? 'ok';
      await budget.charge(runId, nodeId, attempt, result.cost);
      const endedAt = nowIso(stores);
      // The node's cost: this attempt's usage plus what earlier (failed) attempts reported.
      const cost = addCosts(earlierCost(runs.get(nodeId), attempt), result.cost);
      const fields = { endedAt, output: result.output ?? null, cost, route };
      // The claim's holder releases it in the same write (a condition still has its skips to record first): a
      // delivery waiting for it finds the node succeeded (closeUnreported adopts this attempt's success).
      // A quick first attempt's record rides on the same write (`FirstAttempt`): no attempt item is written.
      const firstAttempt = claimStarted && attempt === 0 ? { attempt: 0 as const, status: 'succeeded' as const, startedAt, endedAt, route, ...(result.cost ? { cost: result.cost } : {}) } : undefined;
      const released = claim && node.type !== 'condition' ? await stores.nodeRuns.transition(rk, nodeId, 'succeeded', { ...fields, ...(firstAttempt ? { firstAttempt } : {}) }, NODE_ENTERED_FROM.succeeded, { releasing: claim.owner }) : undefined;
      if (released && claim) claim.released = true;
      const updated = released ?? await stores.nodeRuns.transition(rk, nodeId, 'succeeded', fields, NODE_ENTERED_FROM.succeeded);
      const data: Record<string, unknown> = { attempt };
      if (cost) data.cost = cost;
      if (node.type === 'condition') data.route = route;
      if (await landed(rk, nodeId, updated, 'succeeded')) {
        succeeded = true;
        await recordEnd({ transitionKey: `node.succeeded:${nk}`, event: { type: 'node.succeeded', nodeId, at: endedAt, data } }, updated !== undefined);
      } else start.stop();
      if (node.type === 'condition' && updated) {
        runs.set(nodeId, { ...updated, attempts: [] });
        await skipUnreachable(f, runs);
      }
      if (!(released && firstAttempt)) await stores.nodeRuns.finishAttempt(rk, nodeId, attempt, { status: 'succeeded', endedAt, route, startedAt, ...(result.cost ? { cost: result.cost } : {}) });
      return { route };
    } catch (caught) {
      // The node's success is written: what failed is the bookkeeping after it; the state machine's retry finds
      // the node succeeded and finishes it (the long way's "already succeeded" branch).
      if (succeeded) throw caught;
      let error = caught;
      if (error instanceof InputRequiredError) {
        // The agent asked: record the question and wait for a reply (agent-replies.ts); past MAX_TURNS it fails.
        if (turn < MAX_TURNS) {
          await start.ensure();
          return await replies.asked({
            loaded, frame: f, nodeId, attempt, startedAt, earlierCost: earlierCost(runs.get(nodeId), attempt), addCosts,
            charge: (cost) => budget.charge(runId, nodeId, attempt, cost),
          }, error);
        }
        const tooMany = new NodeFailedError(`agent ${nodeId} asked more than ${MAX_TURNS} questions`, { turn });
        if (error.cost) tooMany.cost = error.cost;
        error = tooMany;
      }
      if (error instanceof RunFinishedError) {
        start.stop();
        await stores.nodeRuns.finishAttempt(rk, nodeId, attempt, { status: 'failed', endedAt: nowIso(stores), error: { name: error.name, message: error.message }, startedAt });
        throw error;
      }
      const info = error instanceof BraidError && error.name === ERROR_NAMES.transient ? { name: error.name, message: error.message } : toErrorInfo(error);
      await budget.charge(runId, nodeId, attempt, costOfFailure(info));
      const endedAt = nowIso(stores);
      // Superseded: a later attempt arrived while this one ran, so the state machine has already retried it.
      const supersededAt = (await stores.claims.get(rk, nodeId))?.supersededAt;
      const attemptCost = error instanceof BraidError ? (error as { cost?: Cost }).cost : undefined;
      await stores.nodeRuns.finishAttempt(rk, nodeId, attempt, { status: 'failed', endedAt, error: info, startedAt, ...(supersededAt ? { supersededAt } : {}), ...(attemptCost ? { cost: attemptCost } : {}) });
      const nodeCost = addCosts(earlierCost(runs.get(nodeId), attempt), attemptCost);
      // A redrive gives the node a fresh retry budget: only this drive's attempts count.
      const earlier = priorErrorsInDrive(runs.get(nodeId)?.attempts ?? [], attempt, policy.timeoutSeconds, Date.parse(startedAt));
      if (supersededAt !== undefined || willRetry(policy, earlier, info.name)) {
        const retrying = await stores.nodeRuns.transition(rk, nodeId, 'retrying', { error: info, ...(nodeCost ? { cost: nodeCost } : {}) }, NODE_ENTERED_FROM.retrying);
        if (await landed(rk, nodeId, retrying, 'retrying')) await recordEnd({ transitionKey: `node.retrying:${nk}:${attempt}`, event: { type: 'node.retrying', nodeId, at: endedAt, data: { attempt, error: info } } }, retrying !== undefined);
        else start.stop();
      } else {
        const updated = await stores.nodeRuns.transition(rk, nodeId, 'failed', { endedAt, error: info, ...(nodeCost ? { cost: nodeCost } : {}) }, NODE_ENTERED_FROM.failed);
        if (await landed(rk, nodeId, updated, 'failed')) await recordEnd({ transitionKey: `node.failed:${nk}`, event: { type: 'node.failed', nodeId, at: endedAt, data: { attempt, error: info } } }, updated !== undefined);
        else start.stop();
        if (updated && node.type === 'condition') {
          runs.set(nodeId, { ...updated, attempts: [] });
          await skipUnreachable(f, runs);
        }
      }
      throw new RecordedFailureError(info);
    } finally {
      // A start nobody appended by now is not appended any more (the node ended without its start: a cancel won).
      start.stop();
    }
  }

  return {
    /** `map-items`: evaluates a map's items, stores them, returns their paths. */
    mapItems: maps.items,
    /** `map-item`: closes one item of a map. */
    mapItem: maps.item,
    /** `map-collect`: the map node's output from its items. */
    mapCollect: maps.collect,

    /** Runs attempt `attempt` of `nodeId` and returns its route; throws an error named per the ASL contract. */
    async execute(runId: string, nodeId: string, attempt: number, item?: string): Promise<TaskResult> {
      const rk = partitionRunId(runId, item);
      // Read both at once (with the upstream records, when that is all the node reads: attempt-reads.ts); a
      // finished attempt's recorded result wins over the run's state.
      const reads = await readForAttempt(stores, runId, rk, nodeId, attempt, item);
      const previous = reads.previous;
      const loading = 'value' in reads.loaded && isRunTerminal(reads.loaded.value.run.status) ? { error: new RunFinishedError(runId) } : reads.loaded;
      // A late delivery of an attempt that a later attempt closed (its own delivery was still evaluating, say) is
      // stale: the state machine has moved on, so it is Braid.Superseded, not the placeholder error it was closed with.
      const closedBy = previous?.status === 'failed' ? previous.error?.details?.closedByAttempt : undefined;
      if (typeof closedBy === 'number') throw new SupersededAttemptError(runId, nodeId, attempt, closedBy);
      const recorded = previous && replay(previous);
      if (recorded) return previous.onNode ? logQuickAttempt(runId, previous, recorded) : recorded;
      if ('error' in loading) throw loading.error;
      const loaded = loading.value;
      // A rerun's reused node: its record was copied from the old run; answer with its route, call nothing.
      const reusedRoute = item === undefined ? loaded.run.reused?.[nodeId] : undefined;
      if (reusedRoute !== undefined) return { route: reusedRoute };
      // A redriven (or resumed) execution re-entering a node that already settled: answer from its record.
      const settled = item === undefined && splitAttempt(attempt).drive > 0 ? await settledOutcome(runId, nodeId) : undefined;
      if (settled) return settled;
      const { frame: f, node } = frameOf(loaded, nodeId, item);
      const policy = contractOf(loaded, nodeId);
      // An agent entered again at its first turn by a later drive (a resumed execution walks the machine again)
      // that had asked a question: back to its reply loop, without calling the agent.
      const { turn, drive } = splitAttempt(attempt);
      if (node.type === 'agent_call' && turn === 0 && drive > 0 && (await replies.askedBefore(rk, nodeId, await stores.nodeRuns.get(rk, nodeId)))) {
        throw new AskedAgainError(nodeId);
      }
      // No side effect before the node's claim: twins and overlapping attempts wait here (execution-claim.ts).
      // A plain first attempt takes the claim and starts the node in one write (attempt-reads.ts, execution-claim.ts).
      const admission = reads.runs ? await admitStarting(stores, rk, nodeId, attempt, policy) : await admitAttempt(stores, rk, nodeId, attempt, policy);
      if (admission.kind === 'replay') {
        const replayed = replay(admission.record) ?? { route: 'ok' };
        return admission.record.onNode ? logQuickAttempt(runId, admission.record, replayed) : replayed;
      }
      const claim = { owner: admission.owner, released: false };
      try {
        return await runAttempt(loaded, f, node, policy, attempt, reads.runs, admission.started, claim, reads.watched === true);
      } finally {
        await releaseClaim(stores, rk, nodeId, admission.owner, claim.released);
      }
    },

    /** Opens the gate of `nodeId`, keeping its task token server-side; the node and the run wait. */
    async gate(runId: string, nodeId: string, attempt: number, taskToken: string, item?: string): Promise<TaskResult> {
      const loaded = await load(runId);
      const reusedRoute = item === undefined ? loaded.run.reused?.[nodeId] : undefined;
      if (reusedRoute !== undefined) {
        // A rerun's reused gate was decided in the old run: complete its task at once, open nothing.
        if (!options.orchestrator) throw new BraidError('no_orchestrator', 'the executor cannot complete a reused gate without an orchestrator');
        await options.orchestrator.sendTaskSuccess({ taskToken, output: { route: reusedRoute } });
        return { route: reusedRoute };
      }
      if (item === undefined && splitAttempt(attempt).drive > 0) {
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
      const { frame: f, node } = frameOf(loaded, nodeId, item);
      const rk = f.rk;
      if (node.type !== 'human_gate') throw new BraidError('not_a_gate', `node ${nodeId} is not a human gate`);
      const openedAt = nowIso(stores);
      await stores.nodeRuns.startAttempt(rk, nodeId, attempt, openedAt);
      const [runs] = await Promise.all([stores.nodeRuns.list(rk), startItem(loaded, f, nodeId, openedAt)]);
      await settleVirtualAncestors(f, nodeId, runs);
      const scope = { context: loaded.run.input, outputs: await frameOutputs(stores, loaded, nodeId, f, runs) };
      const inputs = await resolveInputs(node.inputs, scope);
      const timeoutAt = new Date(Date.parse(openedAt) + contractOf(loaded, nodeId).timeoutSeconds * 1000).toISOString();
      const opening = { ...gatePolicyRecord(node, loaded.run), runId: rk, nodeId, openedAt, timeoutAt, taskToken, ...(Object.keys(inputs).length > 0 ? { inputs } : {}) };
      const { gate, created } = await stores.gates.open(opening, attempt);
      // A redelivered open finds the gate there: the inboxes, timers and notification happen again (idempotent).
      // A gate inside a map item is keyed by its partition (`rk`): its inbox entry and timers name the item.
      if (created || gate.status === 'waiting') await gateOpened(stores, created ? opening : gate, { everySeconds: node.reminders?.everySeconds });
      const waiting = await stores.nodeRuns.transition(rk, nodeId, 'waiting', { startedAt: openedAt }, NODE_ENTERED_FROM.waiting);
      if (!(await landed(rk, nodeId, waiting, 'waiting'))) return { route: 'waiting' };
      // A gate inside a map item leaves the run running: the map's other items go on.
      if (item === undefined) {
        try {
          await stores.store.runs.update(runId, { status: 'waiting' }, ['running']);
        } catch (error) {
          if (!(error instanceof BraidError && error.code === 'conflict')) throw error;
        }
      }
      await recordAt(stores, f, `node.waiting:${keyOf(f, nodeId)}`, {
        type: 'node.waiting', nodeId, at: openedAt, data: { prompt: gate.prompt, approvers: gate.approvers, timeoutAt: gate.timeoutAt },
      });
      // The run may have ended since this task loaded it (a cancel racing it): close the gate its close did not see.
      await closeIfRunEnded(stores, { kind: 'gate', partition: rk, nodeId, openedAt: gate.openedAt, principals: [] });
      return { route: 'waiting' };
    },

    /** `X:ask`: the seconds `X:reply` may wait for a reply to agent `nodeId` (what is left of its timeout). */
    async replyWait(runId: string, nodeId: string, drive: number, item?: string): Promise<TaskResult> {
      const loaded = await load(runId);
      frameOf(loaded, nodeId, item);
      return replies.replyWait(runId, nodeId, drive, item, contractOf(loaded, nodeId));
    },

    /** `X:reply`: keeps the token of the task that waits for the reply to agent `nodeId`'s question. */
    async reply(runId: string, nodeId: string, taskToken: string, item?: string): Promise<TaskResult> {
      const loaded = await load(runId);
      const { frame: f } = frameOf(loaded, nodeId, item);
      return replies.awaitReply(f, nodeId, taskToken);
    },

    /** `workflow_call`: starts the node's child run and returns; the child's end completes `taskToken` (`workflow-call.ts`). */
    async workflowCall(runId: string, nodeId: string, attempt: number, taskToken: string, item?: string): Promise<TaskResult> {
      if (!calls) throw new BraidError('no_workflow_calls', 'this executor was built without the run service a workflow_call needs');
      return calls.start({ runId, nodeId, attempt, taskToken, ...(item !== undefined ? { item } : {}) }, { load, settleVirtualAncestors, startItem });
    },

    /** The `<node>:budget` check state of a `gate`-mode run (`budget.ts`). */
    async budget(runId: string, forNode: string, taskToken: string): Promise<TaskResult> {
      await load(runId);
      return budget.check(runId, forNode, taskToken);
    },

    /** Closes the run: `succeeded` with its terminal nodes' outputs, or `failed` with the caught error. */
    async finalize(runId: string, error?: StateError): Promise<TaskResult> {
      const loaded = await loadRun(stores, runId);
      if (isRunTerminal(loaded.run.status)) {
        // A retried finalize whose first try made the run final but failed before its event: append it now.
        await recordRunEnd(stores, loaded.run);
        return { route: 'ok' };
      }
      const info = error ? stateErrorInfo(error) : undefined;
      // A node still running here timed out (its task never reported); after another failure it was stopped.
      const timedOut = !info || info.name === STATES_ERRORS.timeout;
      const runs = await closeOutstanding(stores, loaded, {
        pending: 'skipped', active: timedOut ? 'failed' : 'cancelled', error: { name: STATES_ERRORS.timeout, message: 'the node timed out' },
        gate: info?.name === STATES_ERRORS.timeout ? 'timed_out' : 'cancelled', succeeding: !info,
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
  // An attempt that asked a question ends its Task with `Braid.InputRequired` every time it is delivered.
  if (record.status === 'succeeded' && record.route === INPUT_REQUIRED_ROUTE) throw new AskedAgainError(record.nodeId);
  if (record.status === 'succeeded') return { route: record.route ?? 'ok' };
  if (record.status === 'failed' && record.error) throw new RecordedFailureError(record.error);
  return undefined;
}

/** The usage a failed attempt reported (`details.cost`), if any. */
function costOfFailure(info: ErrorInfo): Cost | undefined {
  const cost = info.details?.cost as Cost | undefined;
  return cost && typeof cost.usd === 'number' ? cost : undefined;
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

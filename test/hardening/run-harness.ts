/**
 * A service-level harness for the race and exactly-once suites: dynalite, the real run, gate and execution
 * services on one table, a strict orchestrator, a movable clock, and a hook on every DynamoDB call (so a
 * fast-check scheduler can interleave concurrent operations at store-call granularity, or faults can be injected).
 */
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { WorkflowDefinition } from '../../shared/definition/schema';
import { startDynamo, type LocalDynamo } from '../../infra/local/dynamo';
import { TERMINAL_NODE_STATUSES, TERMINAL_RUN_STATUSES, type Run, type RunEvent, type Workflow } from '../../shared/model/types';
import { createRunStores, type RunStores } from '../../shared/services/execution-context';
import { createExecutionService, type ExecutionService } from '../../shared/services/execution';
import { createGateService, type GateService } from '../../shared/services/gate-service';
import { createPermissionService } from '../../shared/services/permissions';
import { createRunService, type RunService } from '../../shared/services/run-service';
import { createStore } from '../../shared/store/store';
import { createStrictOrchestrator, type StrictOrchestrator } from '../support/fault-orchestrator';

/** Called before every DynamoDB command; may delay or throw. */
export type StoreHook = (command: string) => Promise<void> | void;

/** The harness. */
export interface RunHarness {
  table: LocalDynamo;
  stores: RunStores;
  orchestrator: StrictOrchestrator;
  execution: ExecutionService;
  gates: GateService;
  runs: RunService;
  /** Current fake time (ms since epoch); move it with `advance`. */
  now(): number;
  advance(ms: number): void;
  /** Replaces the hook run before each DynamoDB command (`undefined` removes it). */
  setHook(hook: StoreHook | undefined): void;
  /** Seeds a workflow (owner `alice`, `bob` approver, `carol` viewer) and a running run of it; returns the run id. */
  seedRun(definition: WorkflowDefinition): Promise<{ runId: string; workflowId: string }>;
  close(): Promise<void>;
}

/** Starts the harness. */
export async function startRunHarness(): Promise<RunHarness> {
  const table = await startDynamo({ tableName: `h7-${randomUUID().slice(0, 8)}` });
  let hook: StoreHook | undefined;
  table.client.middlewareStack.add(
    (next, context) => async (args) => {
      if (hook) await hook(String(context.commandName ?? 'command'));
      return next(args);
    },
    { step: 'initialize', name: 'h7StoreHook' },
  );
  let now = Date.parse('2030-01-01T00:00:00.000Z');
  const clock = () => new Date(now);
  const store = createStore(table);
  const stores = createRunStores(store, clock);
  const orchestrator = createStrictOrchestrator();
  const permissions = createPermissionService({ store, clock });
  return {
    table,
    stores,
    orchestrator,
    execution: createExecutionService(stores),
    gates: createGateService({ ...stores, permissions, orchestrator }),
    runs: createRunService({ ...stores, permissions, orchestrator }),
    now: () => now,
    advance: (ms) => { now += ms; },
    setHook: (h) => { hook = h; },
    async seedRun(definition) {
      const workflowId = `wf-${randomUUID()}`;
      const runId = `run-${randomUUID()}`;
      const at = clock().toISOString();
      const workflow: Workflow = { id: workflowId, ownerId: 'alice', name: definition.name, visibility: 'private', isTemplate: false, latestVersion: 1, createdAt: at, updatedAt: at };
      await store.workflows.create(workflow, { workflowId, version: 1, definition, warnings: [], createdAt: at, createdBy: 'alice' });
      await store.grants.put({ workflowId, userId: 'bob', role: 'approver', grantedBy: 'alice', grantedAt: at });
      await store.grants.put({ workflowId, userId: 'carol', role: 'viewer', grantedBy: 'alice', grantedAt: at });
      const run: Run = { runId, workflowId, version: 1, ownerId: 'alice', startedBy: 'alice', status: 'running', input: { q: 1 }, startedAt: at, cost: { usd: 0 } };
      await store.runs.create(run);
      await store.runs.setExecutionArn(runId, `arn:aws:states:local:000000000000:execution:strict:${runId}`);
      await stores.events.append(runId, 'run.started', { type: 'run.started', at, data: {} });
      return { runId, workflowId };
    },
    async close() {
      hook = undefined;
      await table.close();
    },
  };
}

/** Event types that end a node, and that end a run. */
const NODE_END = new Set(['node.succeeded', 'node.failed', 'node.skipped', 'node.cancelled']);
const RUN_END = new Set(['run.succeeded', 'run.failed', 'run.cancelled', 'run.timed_out']);

/**
 * Checks the run's records agree with its log: `seq` is 1..n without gaps, each node ends at most once, logs
 * nothing of its own after it ended (statuses never go backwards), and its record shows the status its end event announced, the run ends at most once and shows that status,
 * every node or run whose record is final has its end in the log, each (node, attempt) started at most once, and a node that ran
 * has a start before its success. Returns the events.
 */
export async function assertConsistentRun(stores: RunStores, runId: string): Promise<RunEvent[]> {
  const { events } = await stores.events.list(runId, { limit: 1_000 });
  expect(events.map((e) => e.seq), 'seq has a gap').toStrictEqual(events.map((_, i) => i + 1));
  const nodes = await stores.nodeRuns.list(runId);
  const ended = new Map<string, string>();
  const started = new Set<string>();
  const waited = new Set<string>();
  // Nodes that ran an attempt (not a parallel/join, not a node skipped or closed before it started).
  const executed = new Set([...nodes.values()].filter((n) => n.attempts.length > 0).map((n) => n.nodeId));
  for (const e of events) {
    if ((e.type === 'node.started' || e.type === 'node.retrying' || e.type === 'node.waiting') && ended.has(e.nodeId ?? '')) {
      throw new Error(`node ${e.nodeId} moved on after it ended (${ended.get(e.nodeId ?? '')} then ${e.type} at seq ${e.seq})`);
    }
    if (e.type === 'node.started') {
      const key = `${e.nodeId}:${String(e.data.attempt)}`;
      expect(started.has(key), `node.started twice for ${key}`).toBe(false);
      started.add(key);
    }
    if (e.type === 'node.succeeded' && executed.has(e.nodeId ?? '')) {
      // A node that ran has its start in the log before its success (a quick attempt appends both together, and
      // every path that finishes a stopped one appends the start it left out).
      expect(started.has(`${e.nodeId}:0`) || [...started].some((k) => k.startsWith(`${e.nodeId}:`)) || waited.has(e.nodeId ?? ''), `node ${e.nodeId} succeeded without a node.started`).toBe(true);
    }
    if (e.type === 'node.waiting') waited.add(e.nodeId ?? '');
    if (!NODE_END.has(e.type)) continue;
    expect(ended.has(e.nodeId ?? ''), `node ${e.nodeId} ended twice: ${ended.get(e.nodeId ?? '')} then ${e.type}`).toBe(false);
    ended.set(e.nodeId ?? '', e.type);
  }
  for (const [nodeId, type] of ended) {
    expect(nodes.get(nodeId)?.status, `node ${nodeId}: log says ${type}`).toBe(type.slice('node.'.length));
  }
  // And the other way: a record that says a node (or the run) ended has that end in the log (a close that failed
  // between the two writes and was retried must not leave it out).
  for (const node of nodes.values()) {
    if ((TERMINAL_NODE_STATUSES as readonly string[]).includes(node.status)) expect(ended.get(node.nodeId), `node ${node.nodeId} is ${node.status} but the log has no end for it`).toBe(`node.${node.status}`);
  }
  const runEnds = events.filter((e) => RUN_END.has(e.type));
  expect(runEnds.length, 'run ended more than once').toBeLessThanOrEqual(1);
  const run = await stores.store.runs.get(runId);
  if (runEnds[0]) expect(run?.status).toBe(runEnds[0].type.slice('run.'.length));
  if (run && (TERMINAL_RUN_STATUSES as readonly string[]).includes(run.status)) expect(runEnds.length, `run is ${run.status} but the log has no end for it`).toBe(1);
  for (const node of nodes.values()) {
    const numbers = node.attempts.map((a) => a.attempt);
    expect(new Set(numbers).size, `duplicate attempts of ${node.nodeId}`).toBe(numbers.length);
  }
  return events;
}

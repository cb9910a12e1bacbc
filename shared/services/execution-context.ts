/**
 * What every run-side service shares: the repositories it writes through, the clock, and loading a run with
 * the definition of the version it runs (versions are immutable, so definitions are cached per process).
 */
import { contractOfStoredDefinition } from '../compiler/contract';
import type { WorkflowContract } from '../contract/node-contract';
import type { NodeDef, WorkflowDefinition } from '../definition/schema';
import { BraidError, NotFoundError } from '../errors';
import type { Run } from '../model/types';
import { withEventMetrics } from '../observability/event-metrics';
import type { MetricSink } from '../observability/metrics';
import { createEventLogRepository, type AppendOptions, type AppendResult, type EventLogRepository, type NewRunEvent } from '../store/events';
import { GateRepository } from '../store/gates';
import { MapItemRepository } from '../store/map-items';
import { NodeClaimRepository } from '../store/node-claims';
import { NodeRunRepository } from '../store/node-runs';
import { NodeQuestionRepository } from '../store/node-questions';
import { InboxRepository } from '../store/inbox';
import type { Notifier } from '../ports/notifier';
import type { GateTimers } from '../ports/gate-timers';
import type { Store } from '../store/store';
import { buildScopeIndex, type ScopeIndex } from './map-scope';

/** The repositories and clock the run services use, built once per function. */
export interface RunStores {
  store: Store;
  nodeRuns: NodeRunRepository;
  /** The per-node claims attempts take before their side effect. */
  claims: NodeClaimRepository;
  gates: GateRepository;
  /** Questions of agents waiting for a reply. */
  questions: NodeQuestionRepository;
  events: EventLogRepository;
  /** Map items and progress. */
  items: MapItemRepository;
  inbox: InboxRepository;
  /** Where gate and run notifications go. @default none */
  notifier?: Notifier;
  /** Reminder and escalation timers of gates. @default none (no reminders, no escalation) */
  timers?: GateTimers;
  /** @default () => new Date() */
  clock?: () => Date;
}

/** Notification and timer ports of the run services. */
export interface GovernancePorts {
  notifier?: Notifier;
  timers?: GateTimers;
}

/**
 * Builds the run-side repositories over the store's table. With a metric sink, every event recorded for the
 * first time is also measured (`shared/observability/event-metrics.ts`).
 */
export function createRunStores(store: Store, clock?: () => Date, metrics?: MetricSink, ports: GovernancePorts = {}): RunStores {
  const events = createEventLogRepository(store.table);
  return {
    store, nodeRuns: new NodeRunRepository(store.table), claims: new NodeClaimRepository(store.table), gates: new GateRepository(store.table),
    questions: new NodeQuestionRepository(store.table),
    events: metrics ? withEventMetrics(events, metrics) : events, items: new MapItemRepository(store.table), inbox: new InboxRepository(store.table),
    ...(clock ? { clock } : {}),
    ...(ports.notifier ? { notifier: ports.notifier } : {}), ...(ports.timers ? { timers: ports.timers } : {}),
  };
}

/** A run together with its version's definition (node configuration) and compiled contract (everything else). */
export interface LoadedRun {
  run: Run;
  definition: WorkflowDefinition;
  /** The definition's nodes by id (inputs, tool, prompt, expression). */
  nodes: ReadonlyMap<string, NodeDef>;
  /** What the compiler decided for each node; the executor's only source of policy. */
  contract: WorkflowContract;
  /** Every scope (the top level and map bodies) and where each node sits. */
  scopes: ScopeIndex;
}

/** The run's workflow version is missing: the store is inconsistent (a programming or data error). */
export class RunDefinitionMissingError extends BraidError {
  constructor(runId: string, options?: { cause?: unknown }) {
    super('run_definition_missing', `the workflow version of run ${runId} is missing`, options);
    this.name = 'RunDefinitionMissingError';
  }
}

/** What a version brings to a loaded run; immutable once published, so kept per process. */
export type VersionDefinition = Pick<LoadedRun, 'definition' | 'nodes' | 'contract' | 'scopes'>;

/** Versions kept per process (least recently used first out). */
const MAX_CACHED_VERSIONS = 500;
const definitions = new Map<string, VersionDefinition>();

/** The cached definition of a version, if this process has loaded it (and marks it recently used). */
export function cachedDefinition(workflowId: string, version: number): VersionDefinition | undefined {
  const key = `${workflowId}#${version}`;
  const hit = definitions.get(key);
  if (hit) {
    definitions.delete(key);
    definitions.set(key, hit);
  }
  return hit;
}

/** The definition of the run's version: from the per-process cache, else read (two round trips) and cached. */
export async function definitionOf(stores: RunStores, run: Pick<Run, 'runId' | 'workflowId' | 'version'>): Promise<VersionDefinition> {
  const hit = cachedDefinition(run.workflowId, run.version);
  if (hit) return hit;
  const head = await stores.store.workflows.get(run.workflowId);
  const version = head ? await stores.store.workflows.getVersion(head, run.version) : undefined;
  if (!version) throw new RunDefinitionMissingError(run.runId);
  // A version stored before contracts existed gets its contract from the same (pure) compiler code.
  const contract = version.contract ?? contractOfStoredDefinition(version.definition);
  const loaded: VersionDefinition = { definition: version.definition, nodes: new Map(version.definition.nodes.map((n) => [n.id, n])), contract, scopes: buildScopeIndex(version.definition) };
  if (definitions.size >= MAX_CACHED_VERSIONS) definitions.delete(definitions.keys().next().value as string);
  definitions.set(`${run.workflowId}#${run.version}`, loaded);
  return loaded;
}

/** Loads a run and its definition; `NotFoundError` when the run does not exist. */
export async function loadRun(stores: RunStores, runId: string): Promise<LoadedRun> {
  const run = await stores.store.runs.get(runId);
  if (!run) throw new NotFoundError('run', runId);
  return { run, ...(await definitionOf(stores, run)) };
}

/** Current time as an ISO string. */
export function nowIso(stores: RunStores): string {
  return (stores.clock?.() ?? new Date()).toISOString();
}

/** Appends an event once per transition key (`options`: the round-trip savings of `AppendOptions`). */
export async function record(stores: RunStores, runId: string, transitionKey: string, event: Omit<NewRunEvent, 'at'> & { at?: string }, options?: AppendOptions): Promise<AppendResult> {
  return stores.events.append(runId, transitionKey, { ...event, at: event.at ?? nowIso(stores), data: event.data ?? {} }, options);
}

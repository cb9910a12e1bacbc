/**
 * The executor's map tasks (ARCHITECTURE.md, "Map"): `map-items` evaluates a map's `items` and stores each element,
 * `map-item` closes one item (its output, or its failure and whether the map still tolerates it), `map-collect`
 * assembles the map node's `{ results, failed }` from the store. Each is idempotent: a repeated delivery changes
 * nothing and returns what the first returned.
 */
import { LIMITS, type MapNodeDef } from '../definition/schema';
import { ERROR_NAMES } from '../contract/error-names';
import { BraidError } from '../errors';
import { BindingFailedError, evaluateExpression, MapFailedError, MAX_OUTPUT_BYTES, OutputTooLargeError, toErrorInfo } from '../executors';
import type { ErrorInfo, NodeRun } from '../model/types';
import { partitionRunId, type MapProgress } from '../store/map-items';
import { nowIso, type LoadedRun, type RunStores } from './execution-context';
import { frameOf, frameOutputs, keyOf, recordAt, type Frame } from './execution-frame';
import { virtualAncestors, virtualOutput } from './scope-graph';
import { itemIndex, itemOutput, itemPaths, parentPath, type MapOutput } from './map-scope';
import { NODE_ENTERED_FROM } from './run-status';

/** Largest stored element of a map's list, in bytes (a DynamoDB item holds 400 KB). */
export const MAX_ITEM_BYTES = 350 * 1024;

/** What `map-items` returns: the route and the item paths the Map state iterates over. */
export interface MapItemsResult {
  route: string;
  items: string[];
}

/** The error an ASL `Catch` hands to `map-item` (`$.error`). */
export interface CaughtError {
  Error?: string;
  Cause?: string;
}

/** What the map tasks need besides the stores. */
export interface MapExecutionHelpers {
  /** Loads a run that is not final (else throws `Braid.RunFinished`). */
  load(runId: string): Promise<LoadedRun>;
  /** Reads an ASL error into an `ErrorInfo`. */
  errorInfo(error: CaughtError): ErrorInfo;
}

/** Builds the map tasks. */
export function createMapExecution(stores: RunStores, helpers: MapExecutionHelpers) {
  async function landed(rk: string, nodeId: string, updated: NodeRun | undefined, status: NodeRun['status']): Promise<boolean> {
    if (updated) return true;
    return (await stores.nodeRuns.get(rk, nodeId))?.status === status;
  }

  function mapOf(loaded: LoadedRun, nodeId: string, item: string | undefined): { f: Frame; map: MapNodeDef } {
    const { frame, node } = frameOf(loaded, nodeId, item);
    if (node.type !== 'map') throw new BraidError('not_a_map', `node ${nodeId} is not a map`);
    return { f: frame, map: node };
  }

  /** Fails the map node once (its event with it) and throws the error that fails the Map state. */
  async function failMap(f: Frame, mapId: string, error: ErrorInfo): Promise<never> {
    const endedAt = nowIso(stores);
    const updated = await stores.nodeRuns.transition(f.rk, mapId, 'failed', { endedAt, error }, NODE_ENTERED_FROM.failed);
    if (await landed(f.rk, mapId, updated, 'failed')) await recordAt(stores, f, `node.failed:${keyOf(f, mapId)}`, { type: 'node.failed', nodeId: mapId, at: endedAt, data: { error } });
    const thrown = new BraidError('map_failed', error.message);
    thrown.name = error.name;
    throw thrown;
  }

  /** True when `failed` items are more than the map tolerates out of `total`. */
  function intolerable(map: MapNodeDef, failed: number, total: number): boolean {
    const t = map.toleratedFailures;
    if (t === undefined) return failed > 0;
    if ('count' in t) return failed > t.count;
    return total > 0 && (failed * 100) / total > t.percent;
  }

  function tolerance(map: MapNodeDef): string {
    const t = map.toleratedFailures;
    return t === undefined ? 'none' : 'count' in t ? `${t.count}` : `${t.percent}%`;
  }

  return {
    /** Evaluates the map's `items`, stores each element, and returns the item paths (`"0"`…, or `"<item>.0"`…). */
    async items(runId: string, nodeId: string, attempt: number, item?: string): Promise<MapItemsResult> {
      const rk = partitionRunId(runId, item);
      const previous = await stores.nodeRuns.getAttempt(rk, nodeId, attempt);
      if (previous?.status === 'succeeded') {
        const node = await stores.nodeRuns.get(rk, nodeId);
        return { route: 'ok', items: itemPaths(item, node?.progress?.total ?? 0) };
      }
      if (previous?.status === 'failed' && previous.error) return failMapTask(previous.error);
      const loaded = await helpers.load(runId);
      const { f, map } = mapOf(loaded, nodeId, item);
      const startedAt = nowIso(stores);
      await stores.nodeRuns.startAttempt(rk, nodeId, attempt, startedAt);
      const runs = await stores.nodeRuns.list(rk);
      for (const id of virtualAncestors(f.graph, nodeId)) {
        if ((runs.get(id)?.status ?? 'pending') !== 'pending') continue;
        const updated = await stores.nodeRuns.transition(rk, id, 'succeeded', { startedAt, endedAt: startedAt, output: virtualOutput(f.graph, runs, id) }, ['pending']);
        if (updated) runs.set(id, { ...updated, attempts: [] });
        if (await landed(rk, id, updated, 'succeeded')) await recordAt(stores, f, `node.succeeded:${keyOf(f, id)}`, { type: 'node.succeeded', nodeId: id, at: startedAt, data: {} });
      }
      const running = await stores.nodeRuns.transition(rk, nodeId, 'running', { startedAt }, NODE_ENTERED_FROM.running);
      if (!(await landed(rk, nodeId, running, 'running'))) throw new BraidError('map_closed', `map ${nodeId} is no longer running`);
      let values: unknown[];
      try {
        const outputs = await frameOutputs(stores, loaded, nodeId, f, runs);
        let value: unknown;
        try {
          value = await evaluateExpression(map.items, { context: loaded.run.input, outputs });
        } catch (error) {
          throw new BindingFailedError('/items', error instanceof Error ? error.message : String(error), { cause: error });
        }
        if (!Array.isArray(value)) throw new BindingFailedError('/items', `must evaluate to an array; it gave ${value === undefined ? 'nothing' : typeof value}`);
        const limit = map.maxItems ?? LIMITS.maxMapItems;
        if (value.length > limit) throw new BindingFailedError('/items', `gave ${value.length} items; the map takes at most ${limit}`);
        value.forEach((v, i) => {
          const bytes = Buffer.byteLength(JSON.stringify(v ?? null));
          if (bytes > MAX_ITEM_BYTES) throw new BindingFailedError(`/items/${i}`, `item ${i} is ${bytes} bytes; an item holds at most ${MAX_ITEM_BYTES}`);
        });
        values = value;
      } catch (error) {
        const info = toErrorInfo(error);
        const endedAt = nowIso(stores);
        await stores.nodeRuns.finishAttempt(rk, nodeId, attempt, { status: 'failed', endedAt, error: info });
        const updated = await stores.nodeRuns.transition(rk, nodeId, 'failed', { endedAt, error: info }, NODE_ENTERED_FROM.failed);
        if (await landed(rk, nodeId, updated, 'failed')) await recordAt(stores, f, `node.failed:${keyOf(f, nodeId)}`, { type: 'node.failed', nodeId, at: endedAt, data: { attempt, error: info } });
        return failMapTask(info);
      }
      await stores.items.putItems(rk, nodeId, values);
      const progress: MapProgress = { total: values.length, succeeded: 0, failed: 0, running: 0 };
      await stores.nodeRuns.transition(rk, nodeId, 'running', { progress, cost: { usd: 0 } }, ['running']);
      await recordAt(stores, f, `node.started:${keyOf(f, nodeId)}:${attempt}`, { type: 'node.started', nodeId, at: startedAt, data: { attempt, total: values.length } });
      await stores.nodeRuns.finishAttempt(rk, nodeId, attempt, { status: 'succeeded', endedAt: nowIso(stores), route: 'ok' });
      return { route: 'ok', items: itemPaths(item, values.length) };
    },

    /**
     * Closes item `item` of map `nodeId`: succeeded with its body's output, or failed with `error`. Throws (failing
     * the Map state) when the map can no longer tolerate its failures, or its deadline passed.
     */
    async item(runId: string, nodeId: string, item: string, error?: CaughtError): Promise<{ route: string }> {
      const loaded = await helpers.load(runId);
      const parent = parentPath(item);
      const { f, map } = mapOf(loaded, nodeId, parent);
      const index = itemIndex(item);
      const itemRk = partitionRunId(runId, item);
      const endedAt = nowIso(stores);
      let failure = error ? helpers.errorInfo(error) : undefined;
      let output: unknown = null;
      let cost: NodeRun['cost'] | undefined;
      if (!failure) {
        const body = loaded.scopes.bodies.get(nodeId)!;
        const runs = await stores.nodeRuns.list(itemRk);
        output = itemOutput(body.graph, runs);
        cost = sumCost(runs);
        const bytes = Buffer.byteLength(JSON.stringify(output));
        if (bytes > MAX_OUTPUT_BYTES) failure = toErrorInfo(new OutputTooLargeError(bytes, MAX_OUTPUT_BYTES));
      }
      const progress = failure
        ? await stores.items.finish(f.rk, nodeId, index, { status: 'failed', endedAt, error: failure })
        : await stores.items.finish(f.rk, nodeId, index, { status: 'succeeded', endedAt, output });
      if (progress) {
        if (cost && cost.usd > 0) await stores.items.addCost(f.rk, nodeId, cost);
        await recordAt(stores, { runId, item }, `item.${failure ? 'failed' : 'succeeded'}:${nodeId}@${item}`, {
          type: failure ? 'item.failed' : 'item.succeeded', nodeId, at: endedAt, data: failure ? { error: failure } : {},
        });
      }
      if (!failure) return { route: 'ok' };
      if (failure.name === ERROR_NAMES.mapFailed) return failMap(f, nodeId, failure);
      const now = progress ?? (await stores.nodeRuns.get(f.rk, nodeId))?.progress;
      if (now && intolerable(map, now.failed, now.total)) {
        return failMap(f, nodeId, { name: ERROR_NAMES.mapFailed, message: `${now.failed} of ${now.total} items failed (tolerated: ${tolerance(map)}); item ${index}: ${failure.name}: ${failure.message}` });
      }
      return { route: 'failed' };
    },

    /** Assembles the map node's output from its items and records its success (or its failure, when intolerable). */
    async collect(runId: string, nodeId: string, item?: string): Promise<{ route: string }> {
      const loaded = await helpers.load(runId);
      const { f, map } = mapOf(loaded, nodeId, item);
      const current = await stores.nodeRuns.get(f.rk, nodeId);
      if (current?.status === 'succeeded') return { route: 'ok' };
      if (current?.status === 'failed' && current.error) return failMapTask(current.error);
      const items = await stores.items.all(f.rk, nodeId);
      const out: MapOutput = { results: [], failed: [] };
      for (const it of items) {
        out.results[it.index] = it.status === 'succeeded' ? (it.output ?? null) : null;
        if (it.status === 'failed') out.failed.push({ index: it.index, error: it.error ?? null });
      }
      for (let i = 0; i < out.results.length; i += 1) if (out.results[i] === undefined) out.results[i] = null;
      if (intolerable(map, out.failed.length, items.length)) {
        return failMap(f, nodeId, { name: ERROR_NAMES.mapFailed, message: `${out.failed.length} of ${items.length} items failed (tolerated: ${tolerance(map)})` });
      }
      const bytes = Buffer.byteLength(JSON.stringify(out));
      if (bytes > MAX_OUTPUT_BYTES) return failMap(f, nodeId, toErrorInfo(new OutputTooLargeError(bytes, MAX_OUTPUT_BYTES)));
      const endedAt = nowIso(stores);
      const updated = await stores.nodeRuns.transition(f.rk, nodeId, 'succeeded', { endedAt, output: out, route: 'ok' }, NODE_ENTERED_FROM.succeeded);
      if (await landed(f.rk, nodeId, updated, 'succeeded')) {
        await recordAt(stores, f, `node.succeeded:${keyOf(f, nodeId)}`, {
          type: 'node.succeeded', nodeId, at: endedAt, data: { total: items.length, succeeded: items.length - out.failed.length, failed: out.failed.length },
        });
      }
      return { route: 'ok' };
    },
  };
}

/** The map tasks. */
export type MapExecution = ReturnType<typeof createMapExecution>;

/** Throws a recorded failure again under its ASL error name. */
function failMapTask(info: ErrorInfo): never {
  const error = info.name === ERROR_NAMES.mapFailed ? new MapFailedError(info.message) : new BraidError('recorded_failure', info.message);
  error.name = info.name;
  throw error;
}

function sumCost(runs: ReadonlyMap<string, NodeRun>): NodeRun['cost'] {
  let usd = 0;
  for (const r of runs.values()) usd += r.cost?.usd ?? 0;
  return { usd };
}

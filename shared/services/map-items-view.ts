/**
 * `GET /api/v1/workflows/runs/{runId}/nodes/{nodeId}/items`: a map's items in index order, a page at a time, each with
 * its status, output or error, and the records of its body nodes (the same view as the run's nodes).
 */
import * as z from 'zod';
import { NotFoundError, ValidationError } from '../errors';
import type { Gate, Run } from '../model/types';
import { decodeCursor, encodeCursor, type Page } from '../store/cursor';
import { partitionRunId, type MapItem } from '../store/map-items';
import { loadRun, type RunStores } from './execution-context';
import { enclosingMaps, ITEM_PATH_PATTERN, pathParts } from './map-scope';
import { isRunTerminal } from './run-status';
import { nodeRunView, questionView, type NodeRunView } from './run-views';
import { zodIssues } from './zod-issues';

/** Query of the items route. */
export const MapItemsQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(4_096).optional(),
  /** For a map inside another map's body: the path of the enclosing item (`3`, or `3.5` two maps deep). */
  item: z.string().regex(ITEM_PATH_PATTERN, 'must be an item path such as 3 or 3.5').optional(),
});

/** One item as the API returns it. */
export interface MapItemView {
  index: number;
  /** The item's path (`"3"`, or `"3.5"` for a nested map). */
  path: string;
  /** `cancelled` when the run ended before the item did. */
  status: MapItem['status'] | 'cancelled';
  startedAt?: string;
  endedAt?: string;
  output?: unknown;
  error?: MapItem['error'];
  /** The item's body nodes, in execution order. */
  nodes: NodeRunView[];
}

/** Lists a page of a map node's items (`callerId` is already authorized to view `run`; cursors are bound to them). */
export async function listMapItems(stores: RunStores, run: Run, nodeId: string, query: Record<string, string | undefined>, callerId: string): Promise<Page<MapItemView>> {
  const parsed = MapItemsQuerySchema.safeParse(query);
  if (!parsed.success) throw new ValidationError(zodIssues(parsed.error, '/query'));
  const { limit, cursor, item } = parsed.data;
  const loaded = await loadRun(stores, run.runId);
  const entry = loaded.scopes.nodes.get(nodeId);
  if (entry?.node.type !== 'map') throw new NotFoundError('map node', `${run.runId}/${nodeId}`);
  const depth = enclosingMaps(loaded.scopes, nodeId).length;
  if ((item === undefined ? 0 : pathParts(item).length) !== depth) {
    throw new ValidationError([{ code: 'invalid_value', path: '/query/item', message: depth === 0 ? `map ${nodeId} is at the top level: leave out item` : `map ${nodeId} sits in ${depth} map(s): item must name the enclosing item path` }]);
  }
  const listing = `items:${run.runId}:${nodeId}:${item ?? ''}:${callerId}`;
  const { key } = decodeCursor(listing, cursor);
  const page = await stores.items.page(partitionRunId(run.runId, item), nodeId, limit, key);
  const body = loaded.scopes.bodies.get(nodeId)!.graph;
  const final = isRunTerminal(run.status);
  const items = await Promise.all(page.items.map(async (it): Promise<MapItemView> => {
    const path = item === undefined ? String(it.index) : `${item}.${it.index}`;
    const rk = partitionRunId(run.runId, path);
    const [runs, gates] = await Promise.all([stores.nodeRuns.list(rk), stores.gates.list(rk)]);
    const byNode = new Map(gates.map((g) => [g.nodeId, { ...g, runId: run.runId } as Gate] as const));
    // An agent of the item waiting for a reply shows its question (one read per waiting agent).
    const asking = body.order.filter((id) => runs.get(id)?.status === 'waiting' && body.nodes.get(id)?.type === 'agent_call');
    const questions = new Map(await Promise.all(asking.map(async (id) => [id, questionView(await stores.questions.get(rk, id))] as const)));
    const view: MapItemView = {
      index: it.index, path,
      status: final && (it.status === 'pending' || it.status === 'running') ? 'cancelled' : it.status,
      nodes: body.order.map((id) => {
        const node = nodeRunView(id, body.nodes.get(id)?.type ?? 'unknown', runs.get(id), byNode.get(id));
        const question = questions.get(id);
        return question ? { ...node, question } : { ...node };
      }),
    };
    if (it.startedAt !== undefined) view.startedAt = it.startedAt;
    if (it.endedAt !== undefined) view.endedAt = it.endedAt;
    if (it.output !== undefined) view.output = it.output;
    if (it.error !== undefined) view.error = it.error;
    return view;
  }));
  return { items, ...(page.lastKey ? { nextCursor: encodeCursor(listing, { phase: 0, key: page.lastKey }) } : {}) };
}

/**
 * How events and transition keys carry a map item (ARCHITECTURE.md, "Map"): kept apart from `execution-frame.ts`
 * so the gate function records item events without bundling the binding parser.
 */
import type { AppendOptions, AppendResult, NewRunEvent } from '../store/events';
import { record, type RunStores } from './execution-context';
import { itemIndex } from './map-scope';

/** The node id as transition keys spell it: `x`, or `x@3.5` inside item `3.5`. */
export function keyOf(frame: { item?: string }, nodeId: string): string {
  return frame.item === undefined ? nodeId : `${nodeId}@${frame.item}`;
}

/** The item fields of an event at `item`. */
export function itemFields(item: string | undefined): Pick<NewRunEvent, 'item' | 'itemPath'> {
  if (item === undefined) return {};
  return { item: itemIndex(item), ...(item.includes('.') ? { itemPath: item } : {}) };
}

/** Records an event of the frame's run, carrying the frame's item. */
export async function recordAt(stores: RunStores, frame: { runId: string; item?: string }, transitionKey: string, event: Omit<NewRunEvent, 'at'> & { at?: string }, options?: AppendOptions): Promise<AppendResult> {
  return record(stores, frame.runId, transitionKey, { ...event, ...itemFields(frame.item) }, options);
}


/** Records several events of the frame's run together (`EventLogRepository.appendAll`), each carrying the frame's item. */
export async function recordAllAt(stores: RunStores, frame: { runId: string; item?: string }, entries: ReadonlyArray<{ transitionKey: string; event: NewRunEvent }>, options?: AppendOptions): Promise<AppendResult[]> {
  return stores.events.appendAll(frame.runId, entries.map((e) => ({ transitionKey: e.transitionKey, event: { ...e.event, ...itemFields(frame.item) } })), options);
}

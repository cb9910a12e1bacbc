/** The run's event log as a timeline, newest last; rows are appended as events arrive. */
import type { RunEvent } from '../../../shared/model/types';
import { h, time } from '../dom';

function summary(event: RunEvent): string {
  const item = (event as { item?: unknown; itemPath?: unknown }).itemPath ?? (event as { item?: unknown }).item;
  const text = detail(event);
  return item !== undefined ? `item ${String(item)}${text ? ` · ${text}` : ''}` : text;
}

function detail(event: RunEvent): string {
  const d = event.data ?? {};
  if (typeof d.text === 'string') return `“${d.text.length > 60 ? `${d.text.slice(0, 60)}…` : d.text}”`;
  const error = d.error as { name?: string; message?: string } | undefined;
  if (error?.name) return `${error.name}: ${error.message ?? ''}`;
  if (typeof d.by === 'string') return `by ${d.by}${typeof d.comment === 'string' && d.comment ? `: ${d.comment}` : ''}`;
  if (typeof d.attempt === 'number') return `attempt ${d.attempt + 1}`;
  const p = d.progress as { total?: number; succeeded?: number } | undefined;
  if (p?.total !== undefined) return `items ${p.succeeded ?? 0}/${p.total}`;
  return '';
}

/** The timeline; `add` appends one event (callers pass each event once, in order). */
export function timeline(onSelect?: (nodeId: string) => void): { el: HTMLElement; add(event: RunEvent): void } {
  const list = h('ol', { class: 'timeline', 'aria-label': 'events' });
  const el = h('section', { class: 'card timeline-card' }, h('h3', null, 'Events'), list);
  return {
    el,
    add(event) {
      const kind = event.type.split('.')[1] ?? event.type;
      const row = h('li', { class: `ev ev-${kind}`, 'data-seq': event.seq },
        h('span', { class: 'seq' }, `#${event.seq}`),
        h('span', { class: 'at' }, time(event.at)),
        h('span', { class: 'type' }, event.type),
        event.nodeId ? h('button', { class: 'link node-link', onclick: () => onSelect?.(event.nodeId!) }, event.nodeId) : h('span'),
        h('span', { class: 'detail' }, summary(event)),
      );
      const stick = list.scrollTop + list.clientHeight >= list.scrollHeight - 8;
      list.append(row);
      if (stick) list.scrollTop = list.scrollHeight;
    },
  };
}

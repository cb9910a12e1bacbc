/** A coloured status badge (`running`, `waiting`, `succeeded`...), and the live connection pill. */
import type { LiveStatus } from '../../../client/live-client';
import { h } from '../dom';

/** A status badge. */
export function statusBadge(status: string): HTMLSpanElement {
  return h('span', { class: `badge status-${status}`, 'data-status': status }, status.replace('_', ' '));
}

const LIVE_TEXT: Record<LiveStatus, string> = { connecting: 'connecting…', open: 'live', reconnecting: 'reconnecting…', closed: 'offline' };

/** The live connection pill; `set` updates it. */
export function livePill(): { el: HTMLSpanElement; set(status: LiveStatus): void } {
  const el = h('span', { class: 'live-pill', 'data-live': 'connecting', title: 'WebSocket connection' }, LIVE_TEXT.connecting);
  return {
    el,
    set(status) {
      el.dataset.live = status;
      el.textContent = LIVE_TEXT[status];
    },
  };
}

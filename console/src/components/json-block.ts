/** A labelled, collapsible JSON value. */
import { h, pretty } from '../dom';

/** A `<details>` with the value pretty-printed; nothing when the value is undefined. */
export function jsonBlock(label: string, value: unknown, open = true): HTMLElement | undefined {
  if (value === undefined) return undefined;
  return h('details', { class: 'json', open }, h('summary', null, label), h('pre', null, pretty(value)));
}

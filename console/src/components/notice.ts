/** A dismissible message line: an API error (with its code), or a confirmation. */
import { h, replace } from '../dom';

/** A notice area; `error`/`info` show a message, `clear` hides it. */
export function notice(): { el: HTMLDivElement; error(text: string): void; info(text: string): void; clear(): void } {
  const el = h('div', { class: 'notice', role: 'status', hidden: true });
  const show = (kind: string, text: string) => {
    el.className = `notice ${kind}`;
    el.hidden = false;
    replace(el, h('span', null, text), h('button', { class: 'link', 'aria-label': 'dismiss', onclick: () => (el.hidden = true) }, '×'));
  };
  return { el, error: (text) => show('error', text), info: (text) => show('info', text), clear: () => void (el.hidden = true) };
}

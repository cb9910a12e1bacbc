/**
 * The inbox: every gate waiting for the signed-in user's decision and every agent's question they may answer
 * (`GET /api/v1/gates?status=waiting`); a gate card decides, a question card replies (with `?item=` inside a map item).
 */
import type { GateInboxItem, GateView, InboxItem, QuestionInboxItem } from '../../../client/http-client';
import type { App } from '../app';
import { errorText } from '../app';
import { gateForm } from '../components/gate-form';
import { notice } from '../components/notice';
import { replyForm } from '../components/reply-form';
import { dateTime, h, replace } from '../dom';
import { href, type Page } from '../router';

/** The card's header: node (and item), run, workflow, since when. */
function cardHead(w: InboxItem, since: string): HTMLElement {
  return h('header', { class: 'panel-head' },
    h('div', null, h('h3', null, w.nodeId, typeof w.item === 'number' ? h('span', { class: 'muted small item-index' }, ` item ${w.itemPath ?? w.item}`) : undefined), h('a', { href: href.run(w.runId), class: 'mono small' }, `run ${w.runId.slice(0, 13)}`),
      w.workflowId ? [' · ', h('a', { href: href.workflow(w.workflowId), class: 'small' }, w.workflowName ?? 'workflow')] : undefined),
    h('span', { class: 'muted small' }, since),
  );
}

function gateCard(app: App, gate: GateInboxItem, reload: () => void): HTMLElement {
  // After a decision the gate leaves the inbox.
  const form = gateForm(app, gate.runId, gate.nodeId, gate as unknown as GateView, reload);
  return h('section', { class: 'card gate-card', 'data-kind': 'gate', 'data-run': gate.runId, 'data-node': gate.nodeId, ...(gate.itemPath !== undefined ? { 'data-item': gate.itemPath } : {}) },
    cardHead(gate, `opened ${dateTime(gate.openedAt)}`),
    form,
  );
}

function questionCard(app: App, q: QuestionInboxItem, reload: () => void): HTMLElement {
  // After the reply the question leaves the inbox; an agent inside a map item is answered with its item path.
  const form = replyForm(app, q.runId, q.nodeId, q.question, { ...(q.itemPath !== undefined ? { item: q.itemPath } : {}), onReplied: reload });
  return h('section', { class: 'card question-card', 'data-kind': 'question', 'data-run': q.runId, 'data-node': q.nodeId, ...(q.itemPath !== undefined ? { 'data-item': q.itemPath } : {}) },
    cardHead(q, `asked ${dateTime(q.askedAt)}`),
    h('p', { class: 'muted small' }, 'An agent asks:'),
    form,
  );
}

/** The page. */
export function inboxPage(app: App): Page {
  const messages = notice();
  const list = h('div', { class: 'stack' }, h('p', { class: 'muted' }, 'Loading…'));
  const load = async () => {
    try {
      const page = await app.http.listGateInbox();
      const reload = () => void load();
      // Entries written before kinds existed are gates.
      replace(list, page.items.length
        ? page.items.map((w) => (w.kind === 'question' ? questionCard(app, w, reload) : gateCard(app, w as GateInboxItem, reload)))
        : h('p', { class: 'muted empty' }, 'Nothing waiting for you.'));
    } catch (error) {
      replace(list);
      messages.error(errorText(error));
    }
  };
  void load();
  return { el: h('main', { class: 'page' }, h('div', { class: 'page-head' }, h('h1', null, 'Inbox'), h('button', { class: 'secondary', onclick: () => void load() }, 'Refresh')), messages.el, list) };
}

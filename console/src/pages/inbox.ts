/** The approvals inbox: every gate waiting for the signed-in user's decision (`GET /api/v1/gates?status=waiting`). */
import type { GateView } from '../../../client/http-client';
import type { App } from '../app';
import { errorText } from '../app';
import { gateForm } from '../components/gate-form';
import { notice } from '../components/notice';
import { dateTime, h, replace } from '../dom';
import { href, type Page } from '../router';

function gateCard(app: App, gate: GateView, reload: () => void): HTMLElement {
  // After a decision the gate leaves the inbox.
  const form = gateForm(app, gate.runId, gate.nodeId, gate, reload);
  return h('section', { class: 'card gate-card', 'data-run': gate.runId, 'data-node': gate.nodeId },
    h('header', { class: 'panel-head' },
      h('div', null, h('h3', null, gate.nodeId, typeof gate.item === 'number' ? h('span', { class: 'muted small item-index' }, ` item ${gate.item}`) : undefined), h('a', { href: href.run(gate.runId), class: 'mono small' }, `run ${gate.runId.slice(0, 13)}`),
        gate.workflowId ? [' · ', h('a', { href: href.workflow(gate.workflowId), class: 'small' }, gate.workflowName ?? 'workflow')] : undefined),
      h('span', { class: 'muted small' }, `opened ${dateTime(gate.openedAt)}`),
    ),
    form,
  );
}

/** The page. */
export function inboxPage(app: App): Page {
  const messages = notice();
  const list = h('div', { class: 'stack' }, h('p', { class: 'muted' }, 'Loading…'));
  const load = async () => {
    try {
      const page = await app.http.listGates({ status: 'waiting' });
      replace(list, page.items.length ? page.items.map((g) => gateCard(app, g, () => void load())) : h('p', { class: 'muted empty' }, 'Nothing waiting for you.'));
    } catch (error) {
      replace(list);
      messages.error(errorText(error));
    }
  };
  void load();
  return { el: h('main', { class: 'page' }, h('div', { class: 'page-head' }, h('h1', null, 'Approvals'), h('button', { class: 'secondary', onclick: () => void load() }, 'Refresh')), messages.el, list) };
}

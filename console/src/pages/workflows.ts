/**
 * The workflows list: mine, shared with me, public, and templates, one tab each; create one from JSON (or, on
 * the local stack, add the demo workflow with one click).
 */
import type { WorkflowSummary } from '../../../client/http-client';
import type { App } from '../app';
import { errorText } from '../app';
import { notice } from '../components/notice';
import { dateTime, h, replace } from '../dom';
import { href, type Page } from '../router';

const TABS = [
  { id: 'mine', label: 'Mine' }, { id: 'shared', label: 'Shared with me' }, { id: 'public', label: 'Public' }, { id: 'templates', label: 'Templates' },
] as const;

function table(items: WorkflowSummary[], use?: (template: WorkflowSummary) => void): HTMLElement {
  return h('table', { class: 'list' },
    h('thead', null, h('tr', null, h('th', null, 'Name'), h('th', null, 'Owner'), h('th', null, 'Visibility'), h('th', null, 'Version'), h('th', null, 'Your role'), h('th', null, 'Updated'), use ? h('th', null, '') : undefined)),
    h('tbody', null, items.map((w) => h('tr', null,
      h('td', null, h('a', { href: href.workflow(w.id), class: 'strong' }, w.name), w.description ? h('div', { class: 'muted small clamp' }, w.description) : undefined),
      h('td', null, w.ownerId),
      h('td', null, w.isTemplate ? 'template' : w.visibility),
      h('td', null, `v${w.latestVersion}`),
      h('td', null, w.role),
      h('td', { class: 'muted' }, dateTime(w.updatedAt)),
      use ? h('td', null, h('button', { class: 'secondary', onclick: () => use(w) }, 'Use template')) : undefined,
    ))),
  );
}

/** The page. */
export function workflowsPage(app: App, tab: string): Page {
  const messages = notice();
  const listArea = h('div', { class: 'list-area' }, h('p', { class: 'muted' }, 'Loading…'));
  let cursor: string | undefined;
  const items: WorkflowSummary[] = [];
  const more = h('button', { class: 'secondary', hidden: true, onclick: () => void load() }, 'Load more');

  async function load(): Promise<void> {
    try {
      const page = tab === 'templates' ? await app.http.listTemplates({ cursor }) : await app.http.listWorkflows(tab as 'mine', { cursor });
      items.push(...page.items);
      cursor = page.nextCursor;
      more.hidden = cursor === undefined;
      replace(listArea, items.length ? table(items, tab === 'templates' ? useTemplate : undefined) : emptyState());
    } catch (error) {
      replace(listArea);
      messages.error(errorText(error));
    }
  }

  async function create(definition: unknown): Promise<void> {
    try {
      const created = await app.http.createWorkflow(definition);
      app.navigate(href.workflow(created.id));
    } catch (error) {
      messages.error(errorText(error));
    }
  }

  /** Instantiates a template as a new private workflow of the caller's (`POST /api/v1/workflows` with `templateId`). */
  function useTemplate(template: WorkflowSummary): void {
    const name = window.prompt(`Name of your copy of ${template.name}`, `${template.name}-copy`);
    if (name) void create({ templateId: template.id, name });
  }

  function emptyState(): HTMLElement {
    const demo = app.config.demoWorkflow;
    return h('div', { class: 'empty' },
      h('p', null, tab === 'mine' ? 'You have no workflows yet.' : 'Nothing here yet.'),
      tab === 'mine' && demo !== undefined ? h('button', { class: 'primary', onclick: () => void create(demo) }, 'Add the demo workflow (hotel booking)') : undefined,
    );
  }

  const json = h('textarea', { class: 'mono', rows: 10, placeholder: '{ "name": "...", "nodes": [...], "edges": [...] }', 'aria-label': 'definition' });
  const createBox = h('details', { class: 'card create' }, h('summary', null, 'New workflow from JSON'), json, h('div', { class: 'row' },
    h('button', {
      class: 'primary',
      onclick: () => {
        try {
          void create(JSON.parse(json.value));
        } catch (error) {
          messages.error(`not JSON: ${(error as Error).message}`);
        }
      },
    }, 'Create'),
  ));

  void load();
  return {
    el: h('main', { class: 'page' },
      h('div', { class: 'page-head' }, h('h1', null, 'Workflows'), app.config.demoWorkflow !== undefined && tab === 'mine' ? h('button', { class: 'secondary', onclick: () => void create(app.config.demoWorkflow) }, 'Add the demo workflow') : undefined),
      h('nav', { class: 'tabs' }, TABS.map((t) => h('a', { href: href.workflows(t.id), class: t.id === tab ? 'active' : '' }, t.label))),
      messages.el, listArea, h('div', { class: 'row' }, more), createBox,
    ),
  };
}

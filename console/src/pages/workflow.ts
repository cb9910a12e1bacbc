/**
 * One workflow: its DAG at the chosen version, a Run button with an input editor checked against
 * `inputSchema`, its runs (newest first) and its version history.
 */
import type { RunSummary, VersionSummary, WorkflowDetail } from '../../../client/http-client';
import type { App } from '../app';
import { errorText } from '../app';
import { drawDag } from '../components/dag';
import { inputEditor } from '../components/input-editor';
import { notice } from '../components/notice';
import { statusBadge } from '../components/status';
import { dateTime, h, replace } from '../dom';
import { href, type Page } from '../router';

function runsTable(runs: RunSummary[]): HTMLElement {
  if (runs.length === 0) return h('p', { class: 'muted' }, 'No runs yet.');
  return h('table', { class: 'list runs' },
    h('thead', null, h('tr', null, h('th', null, 'Run'), h('th', null, 'Status'), h('th', null, 'Version'), h('th', null, 'Started by'), h('th', null, 'Started'), h('th', null, 'Cost'))),
    h('tbody', null, runs.map((r) => h('tr', null,
      h('td', null, h('a', { href: href.run(r.runId), class: 'mono' }, r.runId.slice(0, 13))),
      h('td', null, statusBadge(r.status)),
      h('td', null, `v${r.version}`),
      h('td', null, r.startedBy),
      h('td', { class: 'muted' }, dateTime(r.startedAt)),
      h('td', null, `$${(r.cost?.usd ?? 0).toFixed(4)}`),
    ))),
  );
}

function versionsList(id: string, versions: VersionSummary[], shown: number): HTMLElement {
  return h('ol', { class: 'versions' }, versions.map((v) => h('li', { class: v.version === shown ? 'active' : '' },
    h('a', { href: href.workflow(id, v.version) }, `v${v.version}`), ' ', h('span', { class: 'muted small' }, `${dateTime(v.createdAt)} by ${v.createdBy}${v.warnings ? ` · ${v.warnings} warning(s)` : ''}`),
  )));
}

/** The page. */
export function workflowPage(app: App, id: string, version?: number): Page {
  const messages = notice();
  const head = h('div', { class: 'page-head' }, h('h1', null, 'Loading…'));
  const graph = h('section', { class: 'card graph-card' });
  const runCard = h('section', { class: 'card run-card' }, h('h3', null, 'Run'));
  const runsCard = h('section', { class: 'card' }, h('h3', null, 'Runs'));
  const versionsCard = h('section', { class: 'card' }, h('h3', null, 'Versions'));

  async function start(workflow: WorkflowDetail, input: unknown): Promise<void> {
    try {
      const started = await app.http.startRun(workflow.id, input);
      app.navigate(href.run(started.runId));
    } catch (error) {
      messages.error(errorText(error));
    }
  }

  async function remove(workflow: WorkflowDetail): Promise<void> {
    if (!window.confirm(`Delete workflow ${workflow.name}? Its runs stay readable.`)) return;
    try {
      await app.http.deleteWorkflow(workflow.id);
      app.navigate(href.workflows());
    } catch (error) {
      messages.error(errorText(error));
    }
  }

  async function load(): Promise<void> {
    try {
      const workflow = await app.http.getWorkflow(id, version);
      const def = workflow.definition;
      replace(head,
        h('div', null,
          h('nav', { class: 'crumbs' }, h('a', { href: href.workflows() }, 'Workflows'), ' / '),
          h('h1', null, workflow.name, h('span', { class: 'version-tag' }, `v${workflow.version}`)),
          workflow.description ? h('p', { class: 'muted' }, workflow.description) : undefined,
          h('p', { class: 'small muted' }, `owner ${workflow.ownerId} · ${workflow.isTemplate ? 'template' : workflow.visibility} · your role: ${workflow.role}${workflow.version !== workflow.latestVersion ? ` · latest is v${workflow.latestVersion}` : ''}`),
        ),
        workflow.role === 'owner' ? h('button', { class: 'secondary danger', onclick: () => void remove(workflow) }, 'Delete') : undefined,
      );
      const dag = drawDag(def);
      dag.update(new Map());
      replace(graph, h('h3', null, 'Graph'), h('div', { class: 'dag-wrap' }, dag.el),
        workflow.warnings.length ? h('ul', { class: 'warnings' }, workflow.warnings.map((w) => h('li', null, `${w.path}: ${w.message} (${w.code})`))) : undefined);
      replace(runCard, h('h3', null, 'Run'), inputEditor((def as { inputSchema?: unknown }).inputSchema, undefined, (input) => start(workflow, input)));
    } catch (error) {
      replace(head, h('h1', null, 'Workflow'));
      messages.error(errorText(error));
      return;
    }
    app.http.listRuns(id).then((page) => replace(runsCard, h('h3', null, 'Runs'), runsTable(page.items)), (error) => replace(runsCard, h('h3', null, 'Runs'), h('p', { class: 'form-error' }, errorText(error))));
    app.http.listVersions(id).then(
      (page) => replace(versionsCard, h('h3', null, 'Versions'), versionsList(id, page.items, version ?? Math.max(...page.items.map((v) => v.version)))),
      (error) => replace(versionsCard, h('h3', null, 'Versions'), h('p', { class: 'form-error' }, errorText(error))),
    );
  }

  void load();
  return {
    el: h('main', { class: 'page workflow-page' }, head, messages.el,
      graph,
      h('div', { class: 'grid-2' }, runCard, versionsCard),
      runsCard,
    ),
  };
}

/**
 * The live run view: the DAG with each node's status as events arrive, the selected node's details (streamed
 * text, map progress, gate or reply form, attempts, inputs, output, cost), the event timeline, and the run's
 * actions: Cancel, Redrive, Rerun from a node.
 */
import type { App } from '../app';
import { errorText } from '../app';
import { drawDag, type DagView } from '../components/dag';
import { jsonBlock } from '../components/json-block';
import { nodePanel } from '../components/node-panel';
import { notice } from '../components/notice';
import { livePill, statusBadge } from '../components/status';
import { timeline } from '../components/timeline';
import { dateTime, h, replace } from '../dom';
import { href, type Page } from '../router';
import { createRunStore } from '../run-store';
import { formatDuration } from '../../../client/live-view';

/** The page. */
export function runPage(app: App, runId: string): Page {
  const store = createRunStore(app, runId);
  const messages = notice();
  const pill = livePill();
  pill.set(app.liveStatus.current);
  const onLive = pill.set;
  app.liveStatus.listeners.add(onLive);

  let selected: string | undefined;
  // Until the user picks a node, the panel follows the run: a waiting node first, else a running or failed one.
  let userSelected = false;
  let dag: DagView | undefined;
  const select = (nodeId: string) => {
    selected = nodeId;
    userSelected = true;
    dag?.select(nodeId);
    render();
  };
  const events = timeline(select);
  store.onEvent((event) => events.add(event));

  const head = h('div', { class: 'page-head' });
  const banner = h('div', { class: 'gate-banner', hidden: true });
  const graph = h('section', { class: 'card graph-card' }, h('h3', null, 'Graph'), h('p', { class: 'muted' }, 'Loading…'));
  const panel = h('div', { class: 'panel-slot' });
  const io = h('section', { class: 'card' });

  const act = async (label: string, call: () => Promise<{ runId?: string } | unknown>) => {
    messages.clear();
    try {
      const result = (await call()) as { runId?: string } | undefined;
      if (result && typeof result === 'object' && result.runId && result.runId !== runId) {
        app.navigate(href.run(result.runId));
        return;
      }
      messages.info(`${label}: done`);
      await store.refresh();
    } catch (error) {
      messages.error(`${label} failed: ${errorText(error)}`);
    }
  };
  const rerun = (fromNode: string) => void act(`Rerun from ${fromNode}`, () => app.http.rerunRun(runId, { fromNode }));

  function render(): void {
    const { run, workflow, view, records, error } = store.state;
    if (error) messages.error(error);
    if (!run) return;
    const status = view.status === 'unknown' ? run.status : view.status;
    const finished = ['succeeded', 'failed', 'cancelled', 'timed_out'].includes(status);
    const ended = run.endedAt ?? view.endedAt;
    replace(head,
      h('div', null,
        h('nav', { class: 'crumbs' }, h('a', { href: href.workflows() }, 'Workflows'), ' / ', h('a', { href: href.workflow(run.workflowId, run.version) }, workflow?.name ?? run.workflowId), ` v${run.version} / run`),
        h('h1', null, h('span', { class: 'mono' }, runId.slice(0, 13)), statusBadge(status), pill.el),
        h('p', { class: 'small muted' },
          `started by ${run.startedBy} · ${dateTime(run.startedAt)}${ended ? ` · took ${formatDuration(Date.parse(ended) - Date.parse(run.startedAt))}` : ''} · cost $${(run.cost?.usd ?? 0).toFixed(4)}`,
          run.parentRunId && !run.parentNodeId ? [' · rerun of ', h('a', { href: href.run(run.parentRunId) }, run.parentRunId.slice(0, 13))] : undefined,
          // A child run of a workflow_call links back to the run (and node) that started it.
          run.parentRunId && run.parentNodeId ? [' · called by ', h('a', { href: href.run(run.parentRunId), class: 'parent-run' }, `${run.parentRunId.slice(0, 13)} / ${run.parentNodeId}`)] : undefined,
          run.redriveCount ? ` · redriven ${run.redriveCount}×` : undefined),
      ),
      h('div', { class: 'row actions' },
        !finished ? h('button', { class: 'danger', onclick: () => void act('Cancel', () => app.http.cancelRun(runId)) }, 'Cancel') : undefined,
        status === 'failed' || status === 'timed_out' ? h('button', { class: 'primary', onclick: () => void act('Redrive', () => app.http.redriveRun(runId)) }, 'Redrive') : undefined,
      ),
    );

    const waiting = [...view.nodes.values()].filter((n) => n.status === 'waiting');
    banner.hidden = waiting.length === 0;
    replace(banner, waiting.length ? [h('strong', null, 'Waiting for you: '), waiting.map((n) => h('button', { class: 'link', onclick: () => select(n.nodeId) }, n.nodeId))] : []);

    if (!dag && workflow) {
      dag = drawDag(workflow.definition, select);
      replace(graph, h('h3', null, 'Graph'), h('div', { class: 'dag-wrap' }, dag.el), legend());
    } else if (!dag && !workflow) {
      // Without the definition (an approver who only sees the gate), the nodes are listed instead of drawn.
      replace(graph, h('h3', null, 'Nodes'), h('ul', { class: 'node-list' }, [...view.nodes.values()].map((n) =>
        h('li', null, h('button', { class: 'link', onclick: () => select(n.nodeId) }, n.nodeId), ' ', statusBadge(n.status)))));
    }
    dag?.update(view.nodes);
    if (!userSelected) {
      const nodes = [...view.nodes.values()];
      const follow = waiting[0] ?? nodes.find((n) => n.status === 'running' || n.status === 'retrying') ?? nodes.find((n) => n.status === 'failed');
      if (follow) selected = follow.nodeId;
    }
    dag?.select(selected);
    const defNode = (workflow?.definition.nodes ?? []).find((n) => n.id === selected) as { type?: string } | undefined;
    replace(panel, selected
      ? nodePanel({ app, runId, nodeId: selected, record: records.get(selected), live: view.nodes.get(selected), type: defNode?.type, onRerun: rerun })
      : h('section', { class: 'card node-panel muted' }, h('p', null, 'Select a node to see its inputs, output, attempts and cost.')));
    replace(io, h('h3', null, 'Run'), jsonBlock('Input', run.input, false), jsonBlock('Output', run.output), run.error ? h('p', { class: 'error-line' }, `${run.error.name}: ${run.error.message}`) : undefined);
  }

  store.onChange(render);
  return {
    el: h('main', { class: 'page run-page', 'data-run': runId }, head, messages.el, banner,
      graph,
      h('div', { class: 'grid-run' }, panel, h('div', { class: 'stack' }, events.el, io)),
    ),
    dispose() {
      app.liveStatus.listeners.delete(onLive);
      store.dispose();
    },
  };
}

function legend(): HTMLElement {
  const states = ['pending', 'running', 'retrying', 'waiting', 'succeeded', 'failed', 'skipped', 'cancelled'];
  return h('ul', { class: 'legend' }, states.map((s) => h('li', null, h('span', { class: `dot status-${s}` }), s)));
}

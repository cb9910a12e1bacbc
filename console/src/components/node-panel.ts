/**
 * One node of a run: status, map progress, streamed text, the gate or reply form when it waits, its attempts
 * (with errors), inputs, output, error and cost, and "Rerun from here".
 */
import type { NodeRunView } from '../../../client/http-client';
import { formatDuration, progressText, type NodeView } from '../../../client/live-view';
import type { App } from '../app';
import { dateTime, h, time } from '../dom';
import { gateForm } from './gate-form';
import { jsonBlock } from './json-block';
import { replyForm } from './reply-form';
import { statusBadge } from './status';
import { href } from '../router';

/** What the panel shows. */
export interface NodePanelInput {
  app: App;
  runId: string;
  nodeId: string;
  /** The item path when the node is shown inside a map item (replies and decisions then carry `?item=`). @default none */
  item?: string;
  /** From the nodes route (outputs, attempts, gate). */
  record: NodeRunView | undefined;
  /** From the event log (live status, streamed text, progress). */
  live: NodeView | undefined;
  type: string | undefined;
  onRerun(nodeId: string): void;
}

function attemptsTable(record: NodeRunView): HTMLElement | undefined {
  if (!record.attempts?.length) return undefined;
  return h('table', { class: 'attempts' },
    h('thead', null, h('tr', null, h('th', null, '#'), h('th', null, 'status'), h('th', null, 'started'), h('th', null, 'took'), h('th', null, 'error'))),
    h('tbody', null, record.attempts.map((a) => h('tr', null,
      h('td', null, String(a.attempt + 1)),
      h('td', null, statusBadge(a.status)),
      h('td', null, time(a.startedAt)),
      h('td', null, a.endedAt ? formatDuration(Date.parse(a.endedAt) - Date.parse(a.startedAt)) : '…'),
      h('td', { class: 'err' }, a.error ? `${a.error.name}: ${a.error.message}` : ''),
    ))),
  );
}

/** Renders the panel. */
export function nodePanel(input: NodePanelInput): HTMLElement {
  const { app, runId, nodeId, record, live } = input;
  const type = record?.type ?? input.type ?? '';
  const status = live?.status ?? record?.status ?? 'pending';
  const progress = live?.progress ?? record?.progress;
  const waitingGate = type === 'human_gate' && status === 'waiting' && (record?.gate === undefined || record.gate.status === 'waiting');
  const waitingAgent = type === 'agent_call' && status === 'waiting';
  const cost = record?.cost;
  const text = live?.text;
  return h('section', { class: 'card node-panel', 'data-node': nodeId },
    h('header', { class: 'panel-head' },
      h('div', null, h('h3', null, nodeId), h('span', { class: 'muted' }, type.replace('_', ' '))),
      statusBadge(status),
    ),
    h('dl', { class: 'facts' },
      h('dt', null, 'Attempts'), h('dd', null, String(Math.max(live?.attempts ?? 0, record?.attempts?.length ?? 0))),
      record?.startedAt ? [h('dt', null, 'Started'), h('dd', null, dateTime(record.startedAt))] : undefined,
      record?.startedAt && record.endedAt ? [h('dt', null, 'Took'), h('dd', null, formatDuration(Date.parse(record.endedAt) - Date.parse(record.startedAt)))] : undefined,
      cost ? [h('dt', null, 'Cost'), h('dd', null, `$${cost.usd.toFixed(4)}${cost.inputTokens !== undefined ? ` · ${cost.inputTokens} in / ${cost.outputTokens ?? 0} out tokens` : ''}`)] : undefined,
      record?.reused ? [h('dt', null, 'Reused'), h('dd', null, 'output reused from the parent run')] : undefined,
      // A workflow_call links its child run (from the nodes route, or live from its node.started event).
      (record?.childRunId ?? live?.childRunId) ? [h('dt', null, 'Child run'), h('dd', null, h('a', { href: href.run((record?.childRunId ?? live?.childRunId) as string), class: 'child-run mono' }, ((record?.childRunId ?? live?.childRunId) as string).slice(0, 13)))] : undefined,
    ),
    progress ? h('div', { class: 'progress', 'aria-label': 'map progress' },
      h('div', { class: 'progress-bar' },
        h('span', { class: 'ok', style: `width:${progress.total ? (100 * progress.succeeded) / progress.total : 0}%` }),
        h('span', { class: 'bad', style: `width:${progress.total ? (100 * progress.failed) / progress.total : 0}%` }),
      ),
      h('span', { class: 'small' }, progressText(progress)),
    ) : undefined,
    text ? h('div', { class: 'stream' }, h('h4', null, status === 'running' ? 'Streaming…' : 'Streamed text'), h('pre', { class: 'stream-text' }, text)) : undefined,
    waitingGate ? gateForm(app, runId, nodeId, record?.gate) : undefined,
    waitingAgent ? replyForm(app, runId, nodeId, record?.question, input.item !== undefined ? { item: input.item } : {}) : undefined,
    record?.gate && record.gate.status !== 'waiting'
      ? h('p', { class: 'decision' }, `Gate ${record.gate.status}${record.gate.decidedBy ? ` by ${record.gate.decidedBy}` : ''}${record.gate.comment ? `: “${record.gate.comment}”` : ''}`)
      : undefined,
    record?.error ? h('p', { class: 'error-line' }, `${record.error.name}: ${record.error.message}`) : undefined,
    record ? attemptsTable(record) : undefined,
    jsonBlock('Inputs', record?.inputs, false),
    jsonBlock('Output', record?.output, status === 'succeeded'),
    h('div', { class: 'row' }, h('button', { class: 'secondary', title: 'Start a new run from this node, reusing the outputs before it', onclick: () => input.onRerun(nodeId) }, 'Rerun from here')),
  );
}

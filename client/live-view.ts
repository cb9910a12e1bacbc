/**
 * The live view of a run, shared by the CLI and the web console: a state folded from run events (each node's
 * status, attempts, duration, streamed text and map progress) and a plain-text rendering with a progress bar.
 */
import type { NodeRun, NodeStatus, RunEvent, RunStatus } from '../shared/model/types';

/** Longest streamed text kept per node (the head is dropped first). */
export const MAX_STREAM_CHARS = 20_000;

/** Progress of a map node's items. */
export interface ItemProgress {
  total: number;
  succeeded: number;
  failed: number;
  running: number;
}

/** One node as the view shows it. */
export interface NodeView {
  nodeId: string;
  status: NodeStatus;
  attempts: number;
  startedAt?: string;
  endedAt?: string;
  /** Text streamed by `node.progress` events (`data.text` deltas), latest attempt. */
  text?: string;
  /** A map node's item progress. */
  progress?: ItemProgress;
  /** An agent waiting for a reply: what it asked (`node.input_required`), until the reply. */
  question?: string;
  /** A `workflow_call` node's child run (from its `node.started` event or the nodes route). */
  childRunId?: string;
}

/** What seeds a node: a node run, or the nodes route's view (which may carry map progress). */
export type NodeSeed = Pick<NodeRun, 'nodeId' | 'status'> & Partial<Pick<NodeRun, 'attempts' | 'startedAt' | 'endedAt' | 'childRunId'>> & { progress?: ItemProgress };

/** A run as the view shows it. */
export interface RunView {
  runId: string;
  status: RunStatus | 'unknown';
  nodes: Map<string, NodeView>;
  lastSeq: number;
  startedAt?: string;
  endedAt?: string;
}

const DONE: readonly NodeStatus[] = ['succeeded', 'failed', 'skipped', 'cancelled'];

const NODE_STATUS_BY_EVENT: Partial<Record<RunEvent['type'], NodeStatus>> = {
  'node.started': 'running',
  'node.retrying': 'retrying',
  'node.succeeded': 'succeeded',
  'node.failed': 'failed',
  'node.skipped': 'skipped',
  'node.waiting': 'waiting',
  'node.cancelled': 'cancelled',
};

const RUN_STATUS_BY_EVENT: Partial<Record<RunEvent['type'], RunStatus>> = {
  'run.started': 'running',
  'run.succeeded': 'succeeded',
  'run.failed': 'failed',
  'run.cancelled': 'cancelled',
  'run.timed_out': 'timed_out',
  'run.redriven': 'running',
};

/** A view seeded with the run's node list (from the nodes route), when known. */
export function createRunView(runId: string, nodes: readonly NodeSeed[] = []): RunView {
  const view: RunView = { runId, status: 'unknown', nodes: new Map(), lastSeq: 0 };
  for (const node of nodes) {
    view.nodes.set(node.nodeId, {
      nodeId: node.nodeId,
      status: node.status,
      attempts: node.attempts?.length ?? 0,
      ...(node.startedAt ? { startedAt: node.startedAt } : {}),
      ...(node.endedAt ? { endedAt: node.endedAt } : {}),
      ...(isProgress(node.progress) ? { progress: { ...node.progress } } : {}),
      ...(typeof node.childRunId === 'string' ? { childRunId: node.childRunId } : {}),
    });
  }
  return view;
}

function isProgress(value: unknown): value is ItemProgress {
  const p = value as Partial<ItemProgress> | undefined;
  return typeof p === 'object' && p !== null && typeof p.total === 'number' && typeof p.succeeded === 'number';
}

/** Folds a `node.progress` event: text deltas append, map progress replaces, a state changes nothing else. */
function applyProgress(node: NodeView, data: Record<string, unknown>): void {
  if (typeof data.text === 'string') {
    const text = (node.text ?? '') + data.text;
    node.text = text.length > MAX_STREAM_CHARS ? text.slice(text.length - MAX_STREAM_CHARS) : text;
  }
  const progress = data.progress ?? (isProgress(data) ? data : undefined);
  if (isProgress(progress)) node.progress = { total: progress.total, succeeded: progress.succeeded, failed: progress.failed ?? 0, running: progress.running ?? 0 };
}

/** Folds one event into the view. */
export function applyEvent(view: RunView, event: RunEvent): void {
  view.lastSeq = Math.max(view.lastSeq, event.seq);
  const runStatus = RUN_STATUS_BY_EVENT[event.type];
  if (runStatus) {
    view.status = runStatus;
    if (event.type === 'run.started') view.startedAt = event.at;
    else if (event.type === 'run.redriven') delete view.endedAt;
    else view.endedAt = event.at;
    return;
  }
  if (event.nodeId === undefined) return;
  const type = event.type as string;
  const item = (event as { item?: unknown }).item;
  // Events of one map item's body nodes (`item` set) describe that item, not the node as a whole.
  if (item !== undefined && type !== 'item.succeeded' && type !== 'item.failed') return;
  // An item of a map nested in another map's item (`itemPath` set) is counted by that inner map's own view.
  if ((event as { itemPath?: unknown }).itemPath !== undefined) return;
  const node = view.nodes.get(event.nodeId) ?? { nodeId: event.nodeId, status: 'pending' as NodeStatus, attempts: 0 };
  view.nodes.set(event.nodeId, node);
  if (view.status === 'unknown') view.status = 'running';
  if (type === 'node.progress') return applyProgress(node, event.data);
  if (type === 'item.succeeded' || type === 'item.failed') {
    const p = node.progress ?? { total: 0, succeeded: 0, failed: 0, running: 0 };
    node.progress = { ...p, [type === 'item.succeeded' ? 'succeeded' : 'failed']: p[type === 'item.succeeded' ? 'succeeded' : 'failed'] + 1, running: Math.max(0, p.running - 1) };
    return;
  }
  if (type === 'node.input_required') {
    node.status = 'waiting';
    node.question = questionText(event.data.question);
    return;
  }
  if (type === 'node.replied') {
    delete node.question;
    return;
  }
  const status = NODE_STATUS_BY_EVENT[event.type];
  if (!status) return;
  node.status = status;
  if (event.type === 'node.started') {
    // Attempt numbers count drives and an agent's turns in their thousands (README, "Agents that ask"): the
    // retry within them is what a person counts.
    const attempt = typeof event.data.attempt === 'number' ? (event.data.attempt % 1000) + 1 : node.attempts + 1;
    delete node.question;
    node.attempts = Math.max(node.attempts, attempt);
    node.startedAt ??= event.at;
    delete node.endedAt;
    // A map node's start names how many items it has; the item events after it count from zero (a view seeded
    // from the nodes route and then fed the log from seq 0 would otherwise count every item twice).
    if (typeof event.data.total === 'number') node.progress = { total: event.data.total, succeeded: 0, failed: 0, running: 0 };
    // A new attempt streams afresh.
    delete node.text;
    if (typeof event.data.childRunId === 'string') node.childRunId = event.data.childRunId;
  }
  if (event.type === 'node.waiting') node.startedAt ??= event.at;
  if (DONE.includes(status)) node.endedAt = event.at;
}

/** Nodes done and total. */
export function progress(view: RunView): { done: number; total: number } {
  const nodes = [...view.nodes.values()];
  return { done: nodes.filter((n) => DONE.includes(n.status)).length, total: nodes.length };
}

/** Renders the view as lines of text. `nowMs` dates the running nodes' durations. */
export function renderRunView(view: RunView, nowMs: number = Date.now(), barWidth = 24): string {
  const { done, total } = progress(view);
  const filled = total === 0 ? 0 : Math.round((done / total) * barWidth);
  const lines = [
    `run ${view.runId}  ${view.status}  (seq ${view.lastSeq})`,
    `[${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}] ${done}/${total} nodes done`,
  ];
  const width = Math.max(4, ...[...view.nodes.keys()].map((id) => id.length));
  for (const node of [...view.nodes.values()].sort(byStart)) {
    const duration = node.startedAt ? formatDuration((node.endedAt ? Date.parse(node.endedAt) : nowMs) - Date.parse(node.startedAt)) : '';
    const items = node.progress ? `  ${progressText(node.progress)}` : node.childRunId ? `  child run ${node.childRunId}` : '';
    lines.push(`  ${node.nodeId.padEnd(width)}  ${node.status.padEnd(9)}  attempts ${node.attempts}  ${duration}${items}`.trimEnd());
    if (node.text && node.status !== 'succeeded') lines.push(...streamTail(node.text, width + 4));
    if (node.question !== undefined && node.status === 'waiting') lines.push(`${' '.repeat(width + 4)}? ${node.question.length > 200 ? `${node.question.slice(0, 199)}…` : node.question}  (braid reply ${view.runId} ${node.nodeId} <text>)`);
  }
  return lines.join('\n');
}

/** A map node's progress: `items 12/30 (1 failed, 3 running)`. */
export function progressText(p: ItemProgress): string {
  const done = p.succeeded + p.failed;
  const extra = [p.failed > 0 ? `${p.failed} failed` : '', p.running > 0 ? `${p.running} running` : ''].filter(Boolean).join(', ');
  return `items ${done}/${p.total}${extra ? ` (${extra})` : ''}`;
}

/** The last two lines of streamed text, indented under the node. */
function streamTail(text: string, indent: number): string[] {
  return text.trimEnd().split('\n').slice(-2).map((line) => `${' '.repeat(indent)}> ${line.length > 100 ? `…${line.slice(-99)}` : line}`);
}

/** Started nodes first, in start order; then the rest by id. */
function byStart(a: NodeView, b: NodeView): number {
  if (a.startedAt && b.startedAt && a.startedAt !== b.startedAt) return a.startedAt < b.startedAt ? -1 : 1;
  if (a.startedAt && !b.startedAt) return -1;
  if (!a.startedAt && b.startedAt) return 1;
  return a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0;
}

/** An agent's question as one line: its text, else its data as JSON. */
function questionText(question: unknown): string {
  const q = question as { text?: unknown; data?: unknown } | undefined;
  const text = typeof q?.text === 'string' ? q.text.replace(/\s+/g, ' ').trim() : '';
  if (text) return text;
  return q?.data === undefined || q.data === null ? '(the agent is waiting for input)' : JSON.stringify(q.data);
}

/** `1.2s`, `3m04s`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '';
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes}m${String(Math.floor((ms % 60_000) / 1000)).padStart(2, '0')}s`;
}

/**
 * The CLI's live view of a run: a state folded from run events (each node's status, attempts and duration)
 * and a plain-text rendering with a progress bar of nodes done.
 */
import type { NodeRun, NodeStatus, RunEvent, RunStatus } from '../shared/model/types';

/** One node as the view shows it. */
export interface NodeView {
  nodeId: string;
  status: NodeStatus;
  attempts: number;
  startedAt?: string;
  endedAt?: string;
  /** The text an agent streamed in the current attempt (`node.progress`), its tail. */
  text?: string;
}

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

/** Streamed text kept per node, and shown on its line under the node. */
const STREAM_TAIL_CHARS = 2_000;
const STREAM_LINE_CHARS = 100;

/** A view seeded with the run's node list (from the nodes route), when known. */
export function createRunView(runId: string, nodes: readonly NodeRun[] = []): RunView {
  const view: RunView = { runId, status: 'unknown', nodes: new Map(), lastSeq: 0 };
  for (const node of nodes) {
    view.nodes.set(node.nodeId, {
      nodeId: node.nodeId,
      status: node.status,
      attempts: node.attempts?.length ?? 0,
      ...(node.startedAt ? { startedAt: node.startedAt } : {}),
      ...(node.endedAt ? { endedAt: node.endedAt } : {}),
    });
  }
  return view;
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
  const node = view.nodes.get(event.nodeId) ?? { nodeId: event.nodeId, status: 'pending' as NodeStatus, attempts: 0 };
  view.nodes.set(event.nodeId, node);
  if (view.status === 'unknown') view.status = 'running';
  if (event.type === 'gate.approved' || event.type === 'gate.rejected') return;
  if (event.type === 'node.progress') {
    // Streamed agent text of the current attempt (kept to its tail: the view shows the last line).
    if (typeof event.data.text === 'string') node.text = ((node.text ?? '') + event.data.text).slice(-STREAM_TAIL_CHARS);
    return;
  }
  const status = NODE_STATUS_BY_EVENT[event.type];
  if (!status) return;
  node.status = status;
  if (event.type === 'node.started') {
    const attempt = typeof event.data.attempt === 'number' ? event.data.attempt + 1 : node.attempts + 1;
    node.attempts = Math.max(node.attempts, attempt);
    node.startedAt ??= event.at;
    delete node.endedAt;
    delete node.text;
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
    lines.push(`  ${node.nodeId.padEnd(width)}  ${node.status.padEnd(9)}  attempts ${node.attempts}  ${duration}`.trimEnd());
    const streamed = node.text?.replace(/\s+/g, ' ').trim();
    if (streamed) lines.push(`  ${' '.repeat(width)}  > ${streamed.length > STREAM_LINE_CHARS ? `…${streamed.slice(-STREAM_LINE_CHARS)}` : streamed}`);
  }
  return lines.join('\n');
}

/** Started nodes first, in start order; then the rest by id. */
function byStart(a: NodeView, b: NodeView): number {
  if (a.startedAt && b.startedAt && a.startedAt !== b.startedAt) return a.startedAt < b.startedAt ? -1 : 1;
  if (a.startedAt && !b.startedAt) return -1;
  if (!a.startedAt && b.startedAt) return 1;
  return a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0;
}

/** `1.2s`, `3m04s`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '';
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes}m${String(Math.floor((ms % 60_000) / 1000)).padStart(2, '0')}s`;
}

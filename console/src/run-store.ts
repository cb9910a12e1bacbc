/**
 * A run's state in the console: the run record, its workflow version, the nodes route's records, and the
 * live view folded from the event log, which arrives over the WebSocket (catch-up from seq 0, then live,
 * resumed by seq after a reconnect: each event once, in order). Node records (outputs, attempts, gates) are
 * re-read when an event says a node changed; nothing is polled.
 */
import type { NodeRunView, RunDetail, WorkflowDetail } from '../../client/http-client';
import type { RunSubscription } from '../../client/live-client';
import { TERMINAL_EVENT_TYPES } from '../../client/live-client';
import { applyEvent, createRunView, type RunView } from '../../client/live-view';
import type { RunEvent } from '../../shared/model/types';
import type { App } from './app';
import { errorText } from './app';

/** Everything the run page draws. */
export interface RunState {
  run?: RunDetail;
  workflow?: WorkflowDetail;
  records: Map<string, NodeRunView>;
  view: RunView;
  events: RunEvent[];
  error?: string;
}

/** A store: `state`, change listeners (`onChange`, `onEvent`) and `dispose`. */
export interface RunStore {
  state: RunState;
  onChange(listener: () => void): void;
  onEvent(listener: (event: RunEvent) => void): void;
  /** Re-reads the run and its nodes (after an action). */
  refresh(): Promise<void>;
  dispose(): void;
}

/** Events after which a node's record (output, attempts, gate) is worth re-reading. */
const NODE_CHANGES = new Set(['node.started', 'node.retrying', 'node.succeeded', 'node.failed', 'node.skipped', 'node.waiting', 'node.cancelled', 'node.input_required', 'gate.approved', 'gate.rejected', 'gate.voted']);

/** Opens the store for `runId`. */
export function createRunStore(app: App, runId: string): RunStore {
  const state: RunState = { records: new Map(), view: createRunView(runId), events: [] };
  const changeListeners = new Set<() => void>();
  const eventListeners = new Set<(event: RunEvent) => void>();
  let frame = 0;
  let disposed = false;
  let subscription: RunSubscription | undefined;
  let refreshTimer: ReturnType<typeof setTimeout> | undefined;

  const changed = () => {
    if (frame || disposed) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      for (const listener of changeListeners) listener();
    });
  };

  async function readNodes(): Promise<void> {
    const nodes = await app.http.listNodeRuns(runId);
    state.records = new Map(nodes.map((n) => [n.nodeId, n]));
    // Map progress is a field of the node record; it wins over an older value from events.
    for (const n of nodes) {
      const live = state.view.nodes.get(n.nodeId);
      if (live && n.progress) live.progress = n.progress;
      if (!live) state.view.nodes.set(n.nodeId, { nodeId: n.nodeId, status: n.status, attempts: n.attempts?.length ?? 0, ...(n.progress ? { progress: n.progress } : {}) });
    }
  }

  async function refresh(): Promise<void> {
    try {
      const [run] = await Promise.all([app.http.getRun(runId), readNodes()]);
      state.run = run;
      delete state.error;
    } catch (error) {
      state.error = errorText(error);
    }
    changed();
  }

  const scheduleRefresh = () => {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(() => void refresh(), 150);
  };

  async function open(): Promise<void> {
    try {
      const [run] = await Promise.all([app.http.getRun(runId), readNodes()]);
      state.run = run;
      state.view = createRunView(runId, [...state.records.values()]);
      state.workflow = await app.http.getWorkflow(run.workflowId, run.version).catch(() => undefined);
    } catch (error) {
      state.error = errorText(error);
      changed();
      return;
    }
    changed();
    if (disposed) return;
    subscription = app.live().subscribe(runId, {
      after: 0,
      onEvent: (event) => {
        state.events.push(event);
        applyEvent(state.view, event);
        for (const listener of eventListeners) listener(event);
        if (TERMINAL_EVENT_TYPES.includes(event.type) || (event.nodeId !== undefined && NODE_CHANGES.has(event.type))) scheduleRefresh();
        changed();
      },
      onError: (error) => {
        state.error = `live updates stopped: ${error.message} [${error.code}]`;
        changed();
      },
    });
  }

  void open();
  return {
    state,
    onChange: (listener) => void changeListeners.add(listener),
    onEvent: (listener) => void eventListeners.add(listener),
    refresh,
    dispose() {
      disposed = true;
      clearTimeout(refreshTimer);
      cancelAnimationFrame(frame);
      subscription?.unsubscribe();
    },
  };
}

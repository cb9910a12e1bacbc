/**
 * `node.progress` events: live progress of a node attempt (A2A streaming text deltas, artifact updates, task
 * states; MCP progress notifications) coalesced to at most `maxPerSecond` events a second per attempt, each cut to
 * fit one WebSocket frame (text beyond the cut waits for the next event, so nothing is lost). `close()` writes what
 * is left and resolves once every event is in the log, before the node's final event.
 */
import type { NodeProgress } from '../executors/types';

/** At most this many `node.progress` events a second per node attempt. */
export const PROGRESS_EVENTS_PER_SECOND = 5;
/** Text bytes carried by one event: a 32 KB frame less room for the envelope, the artifact and the state. */
export const PROGRESS_TEXT_BYTES = 24 * 1024;

/** The `data` of a `node.progress` event. */
export interface ProgressData {
  attempt: number;
  text?: string;
  artifact?: NodeProgress['artifact'];
  state?: string;
  progress?: NodeProgress['progress'];
}

/** A coalescing sink for one attempt. */
export interface ProgressSink {
  push(update: NodeProgress): void;
  /** Writes what is buffered and waits for every write. */
  close(): Promise<void>;
}

/** Builds the sink; `emit(data, n)` writes the `n`-th event (0-based) of the attempt. */
export function createProgressSink(attempt: number, emit: (data: ProgressData, n: number) => Promise<void>, options: { perSecond?: number; onError?: (error: unknown) => void } = {}): ProgressSink {
  const gapMs = 1000 / (options.perSecond ?? PROGRESS_EVENTS_PER_SECOND);
  let text = '';
  let pending: Omit<ProgressData, 'attempt' | 'text'> = {};
  let lastEmit = -Infinity;
  let timer: NodeJS.Timeout | undefined;
  let n = 0;
  let writes: Promise<void> = Promise.resolve();
  let closed = false;

  const hasPending = () => text.length > 0 || Object.keys(pending).length > 0;

  function flushOne(): void {
    timer = undefined;
    if (!hasPending()) return;
    const [head, rest] = cutText(text, PROGRESS_TEXT_BYTES);
    text = rest;
    const data: ProgressData = { attempt, ...(head ? { text: head } : {}), ...pending };
    pending = {};
    lastEmit = Date.now();
    const index = n++;
    writes = writes.then(() => emit(data, index)).catch((error: unknown) => options.onError?.(error));
    if (!closed && hasPending()) schedule();
  }

  function schedule(): void {
    if (timer || closed) return;
    const wait = Math.max(0, lastEmit + gapMs - Date.now());
    if (wait === 0) flushOne();
    else timer = setTimeout(flushOne, wait);
  }

  return {
    push(update) {
      if (closed) return;
      if (update.text) text += update.text;
      if (update.artifact) pending.artifact = update.artifact;
      if (update.state) pending.state = update.state;
      if (update.progress) pending.progress = update.progress;
      schedule();
    },
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      while (hasPending()) flushOne();
      await writes;
    },
  };
}

/** The longest prefix of `text` of at most `maxBytes` UTF-8 bytes (never splitting a character), and the rest. */
function cutText(text: string, maxBytes: number): [string, string] {
  if (Buffer.byteLength(text) <= maxBytes) return [text, ''];
  let end = Math.min(text.length, maxBytes);
  while (end > 0 && Buffer.byteLength(text.slice(0, end)) > maxBytes) end = Math.floor(end * 0.9);
  if (end > 0 && /[\uD800-\uDBFF]/.test(text[end - 1] ?? '')) end -= 1;
  return [text.slice(0, end), text.slice(end)];
}

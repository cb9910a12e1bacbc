/**
 * `braid watch <runId>`: follows a run live over the WebSocket until it ends (exit 0 when it succeeded, 1 when
 * not). On a terminal it redraws a progress view in place (nodes, attempts, durations, map progress `items
 * 12/30`, the tail of streamed agent text) and ticks while it waits; elsewhere it prints one line per event.
 */
import type { Command } from 'commander';
import type { RunEvent } from '../../shared/model/types';
import { applyEvent, createRunView, renderRunView, type RunView } from '../live-view';
import type { LiveStatus } from '../live-client';
import { watchRun } from '../ws-client';
import { EXIT, type CommandContext, type Connection } from './context';
import type { Action } from './program';

/** Watches `runId` to its end; resolves with the exit code. */
export async function watchToEnd(ctx: CommandContext, conn: Connection, runId: string): Promise<number> {
  const { io } = ctx;
  let view: RunView;
  try {
    view = createRunView(runId, await conn.http.listNodeRuns(runId));
  } catch (error) {
    // The node list only pre-fills nodes that have not started yet; events alone still draw the run.
    io.stderr.write(`braid: could not list nodes (${(error as Error).message}); showing nodes as they start\n`);
    view = createRunView(runId);
  }
  const tty = io.stdout.isTTY === true && !ctx.json;
  let drawnLines = 0;
  const draw = (): void => {
    const text = renderRunView(view);
    if (drawnLines > 0) io.stdout.write(`\x1b[${drawnLines}F\x1b[J`);
    io.stdout.write(`${text}\n`);
    drawnLines = text.split('\n').length;
  };
  const onEvent = (event: RunEvent): void => {
    applyEvent(view, event);
    if (ctx.json) io.stdout.write(`${JSON.stringify(event)}\n`);
    else if (tty) draw();
    else if ((event.type as string) === 'node.progress') {
      const d = event.data;
      const detail = typeof d.text === 'string' ? JSON.stringify(d.text) : d.progress ? JSON.stringify(d.progress) : '';
      io.stdout.write(`${event.seq} node.progress ${event.nodeId ?? ''} ${detail}\n`);
    } else {
      // A workflow_call's start names its child run, so it can be watched too.
      const child = event.type === 'node.started' && typeof event.data.childRunId === 'string' ? ` child run ${event.data.childRunId}` : '';
      io.stdout.write(`${event.seq} ${event.type}${event.nodeId ? ` ${event.nodeId}` : ''}${child}\n`);
    }
  };
  const onStatus = (status: LiveStatus, detail?: string): void => {
    if (status === 'reconnecting') io.stderr.write(`braid: connection lost; resuming after seq ${view.lastSeq}\n`);
    if (detail) io.stderr.write(`braid: ${detail}\n`);
  };
  // A long wait (a gate, a slow agent) keeps its durations ticking on a terminal.
  const ticker = tty ? setInterval(draw, 1_000) : undefined;
  try {
    const watcher = watchRun({ url: conn.wsUrl, token: conn.token, runId, onEvent, onStatus });
    const { terminal } = await watcher.done;
    if (!tty && !ctx.json) io.stdout.write(`${renderRunView(view)}\n`);
    if (tty) draw();
    return terminal.type === 'run.succeeded' ? EXIT.ok : EXIT.runNotSucceeded;
  } finally {
    clearInterval(ticker);
  }
}

/** Registers `watch`. */
export function registerWatch(program: Command, action: Action): void {
  program.command('watch <runId>')
    .description('follow a run live until it ends (exit 0 succeeded, 1 otherwise); --json prints each event')
    .action(action(async (ctx, runId: string) => watchToEnd(ctx, await ctx.connect(), runId)));
}

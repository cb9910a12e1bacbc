/** `braid run` and `braid runs list|status|nodes|events|cancel|redrive|rerun`. */
import type { Command } from 'commander';
import type { NodeRunView, RunDetail } from '../http-client';
import { formatDuration, progressText } from '../live-view';
import { UsageError } from './context';
import { intOption, readJson } from './input';
import type { Action } from './program';
import { formatTable, terminalWidth } from './table';
import { watchToEnd } from './watch';

function took(startedAt?: string, endedAt?: string): string {
  return startedAt && endedAt ? formatDuration(Date.parse(endedAt) - Date.parse(startedAt)) : '';
}

function runText(run: RunDetail): string {
  return [
    `run ${run.runId}  ${run.status}`,
    `workflow ${run.workflowId} v${run.version}  started by ${run.startedBy} at ${run.startedAt}${run.endedAt ? `  took ${took(run.startedAt, run.endedAt)}` : ''}`,
    `cost $${(run.cost?.usd ?? 0).toFixed(4)}${run.parentRunId && !run.parentNodeId ? `  rerun of ${run.parentRunId}` : ''}${run.redriveCount ? `  redriven ${run.redriveCount}x` : ''}`,
    // A child run of a workflow_call names the run and node that started it.
    ...(run.parentNodeId ? [`child of run ${run.parentRunId} (node ${run.parentNodeId}${run.parentItem !== undefined ? `, item ${run.parentItem}` : ''})`] : []),
    ...(run.error ? [`error ${run.error.name}: ${run.error.message}`] : []),
    ...(run.output !== undefined ? [`output ${JSON.stringify(run.output)}`] : []),
  ].join('\n');
}

function nodeRow(n: NodeRunView): string[] {
  const detail = n.error ? `${n.error.name}: ${n.error.message}` : n.progress ? progressText(n.progress) : n.gate?.status === 'waiting' ? `gate: ${n.gate.prompt}`
    : n.question && n.status === 'waiting' ? `asks: ${n.question.text || JSON.stringify(n.question.data)}`
    : n.childRunId ? `child run ${n.childRunId}` : '';
  return [n.nodeId, n.type, n.status, String(n.attempts?.length ?? 0), took(n.startedAt, n.endedAt), n.cost ? `$${n.cost.usd.toFixed(4)}` : '', detail];
}

/** Registers the run commands. */
export function registerRuns(program: Command, action: Action): void {
  program.command('run <workflowId>')
    .description('start a run (--watch follows it to the end)')
    .option('--input <file>', 'input JSON file (- = stdin)')
    .option('--idempotency-key <key>', 'the same key returns the same run')
    .option('--watch', 'follow the run live until it ends')
    .action(action(async (ctx, workflowId: string, opts: { input?: string; idempotencyKey?: string; watch?: boolean }) => {
      const conn = await ctx.connect();
      const input = opts.input ? await readJson(ctx.io, opts.input) : {};
      const started = await conn.http.startRun(workflowId, input, opts.idempotencyKey);
      if (!opts.watch || !ctx.json) ctx.print(started, () => `run ${started.runId} ${started.status}`);
      return opts.watch ? watchToEnd(ctx, conn, started.runId) : undefined;
    }));

  const runs = program.command('runs').description('list and inspect runs; cancel, redrive, rerun');

  runs.command('list <workflowId>')
    .description("a workflow's runs, newest first")
    .option('--limit <n>', 'page size (1-100)')
    .option('--cursor <cursor>', 'next page')
    .action(action(async (ctx, workflowId: string, opts: { limit?: string; cursor?: string }) => {
      const { http } = await ctx.connect();
      const page = await http.listRuns(workflowId, { limit: intOption('limit', opts.limit), ...(opts.cursor ? { cursor: opts.cursor } : {}) });
      // Child runs (workflow_call) name their parent in a last column, shown only when the page has one.
      const children = page.items.some((r) => r.parentNodeId !== undefined);
      ctx.print(page, () => formatTable(
        ['RUN', 'STATUS', 'VERSION', 'STARTED BY', 'STARTED', 'TOOK', 'COST', ...(children ? ['PARENT'] : [])],
        page.items.map((r) => [r.runId, r.status, `v${r.version}`, r.startedBy, r.startedAt.slice(0, 19), took(r.startedAt, r.endedAt), `$${(r.cost?.usd ?? 0).toFixed(4)}`,
          ...(children ? [r.parentNodeId ? `${r.parentRunId}/${r.parentNodeId}` : ''] : [])]),
        terminalWidth(ctx.io.stdout, ctx.io.env),
        { keep: [0, 1] },
      ) + (page.nextCursor ? `\nmore: --cursor ${page.nextCursor}` : ''));
    }));

  runs.command('status <runId>')
    .alias('show')
    .description("a run's status, cost, error and output (a child run: the run and node that started it)")
    .action(action(async (ctx, runId: string) => {
      const { http } = await ctx.connect();
      const run = await http.getRun(runId);
      ctx.print(run, () => runText(run));
    }));

  runs.command('nodes <runId>')
    .description("every node of a run: status, attempts, duration, cost, error or map progress")
    .action(action(async (ctx, runId: string) => {
      const { http } = await ctx.connect();
      const nodes = await http.listNodeRuns(runId);
      ctx.print({ items: nodes }, () => formatTable(['NODE', 'TYPE', 'STATUS', 'ATTEMPTS', 'TOOK', 'COST', 'DETAIL'], nodes.map(nodeRow), terminalWidth(ctx.io.stdout, ctx.io.env), { keep: [0, 2] }));
    }));

  runs.command('events <runId>')
    .description("a run's event log (every page), from --after")
    .option('--after <seq>', 'events after this seq', '0')
    .action(action(async (ctx, runId: string, opts: { after: string }) => {
      const after = Number(opts.after);
      if (!Number.isInteger(after) || after < 0) throw new UsageError('--after must be a non-negative integer');
      const { http } = await ctx.connect();
      const events = await http.allRunEvents(runId, after);
      ctx.print({ events }, () => formatTable(
        ['SEQ', 'AT', 'TYPE', 'NODE', 'DATA'],
        events.map((e) => [String(e.seq), e.at.slice(11, 23), e.type, e.nodeId ?? '', JSON.stringify(e.data)]),
        terminalWidth(ctx.io.stdout, ctx.io.env),
        { keep: [0, 2] },
      ));
    }));

  runs.command('cancel <runId>')
    .description('cancel a running or waiting run')
    .action(action(async (ctx, runId: string) => {
      const { http } = await ctx.connect();
      const run = await http.cancelRun(runId);
      ctx.print(run, () => `run ${runId} ${run.status}`);
    }));

  runs.command('redrive <runId>')
    .description('continue a failed or timed-out run (succeeded nodes are not run again)')
    .option('--watch', 'follow the run live until it ends')
    .action(action(async (ctx, runId: string, opts: { watch?: boolean }) => {
      const conn = await ctx.connect();
      const run = await conn.http.redriveRun(runId);
      if (!opts.watch || !ctx.json) ctx.print(run, () => `run ${runId} redriven: ${run.status}`);
      return opts.watch ? watchToEnd(ctx, conn, runId) : undefined;
    }));

  runs.command('rerun <runId>')
    .description('start a new run from a node, reusing the outputs of the nodes before it')
    .requiredOption('--from <nodeId>', 'the node to run again (and everything after it)')
    .option('--version <n>', 'run this version of the workflow')
    .option('--input <file>', 'a new input JSON file (- = stdin)')
    .option('--watch', 'follow the new run live until it ends')
    .action(action(async (ctx, runId: string, opts: { from: string; version?: string; input?: string; watch?: boolean }) => {
      const conn = await ctx.connect();
      const version = intOption('version', opts.version);
      const started = await conn.http.rerunRun(runId, {
        fromNode: opts.from, ...(version !== undefined ? { version } : {}), ...(opts.input ? { input: await readJson(ctx.io, opts.input) } : {}),
      });
      if (!opts.watch || !ctx.json) ctx.print(started, () => `run ${started.runId} ${started.status} (rerun of ${runId} from ${opts.from})`);
      return opts.watch ? watchToEnd(ctx, conn, started.runId) : undefined;
    }));
}

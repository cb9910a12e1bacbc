/**
 * `braid inbox` (gates and agents' questions waiting for you), `braid gates` (the same listing in the columns of a
 * gate), `braid approve|reject`, and `braid reply` (an agent waiting for input).
 */
import type { Command } from 'commander';
import type { GateView, InboxItem } from '../http-client';
import { UsageError } from './context';
import { intOption, parseJsonOption } from './input';
import type { Action } from './program';
import { formatTable, terminalWidth } from './table';

/** The NODE cell: a wait inside a map item shows as `<node> --item <path>`, what `approve` and `reply` take. */
function nodeCell(w: { nodeId: string; itemPath?: unknown }): string {
  return typeof w.itemPath === 'string' ? `${w.nodeId} --item ${w.itemPath}` : w.nodeId;
}

/** What an inbox row waits for: a gate's prompt, or the agent's question (its first line). */
function waitsFor(w: InboxItem): string {
  return w.kind === 'question' ? (w.question.text.split('\n')[0] || '(data only)') : String(w.prompt ?? '');
}

/** Registers the gate commands. */
export function registerGates(program: Command, action: Action): void {
  program.command('inbox')
    .description('everything waiting for you: gates to decide and agents\' questions to answer')
    .option('--kind <kind>', 'only gate or question')
    .option('--limit <n>', 'page size (1-100)')
    .option('--cursor <cursor>', 'next page')
    .action(action(async (ctx, opts: { kind?: string; limit?: string; cursor?: string }) => {
      if (opts.kind !== undefined && opts.kind !== 'gate' && opts.kind !== 'question') throw new UsageError('--kind must be gate or question');
      const { http } = await ctx.connect();
      const page = await http.listGateInbox({ ...(opts.kind ? { kind: opts.kind as InboxItem['kind'] } : {}), limit: intOption('limit', opts.limit), ...(opts.cursor ? { cursor: opts.cursor } : {}) });
      const kinds = new Set(page.items.map((w) => w.kind ?? 'gate'));
      ctx.print(page, () => [
        formatTable(
          ['KIND', 'RUN', 'NODE', 'WORKFLOW', 'SINCE', 'TIMES OUT', 'WAITS FOR'],
          page.items.map((w) => w.kind === 'question'
            ? ['question', w.runId, nodeCell(w), w.workflowName ?? w.workflowId, w.askedAt.slice(0, 16), '', waitsFor(w)]
            : ['gate', w.runId, nodeCell(w), w.workflowName ?? w.workflowId ?? '', String(w.openedAt).slice(0, 16), String(w.timeoutAt).slice(0, 16), waitsFor(w)]),
          terminalWidth(ctx.io.stdout, ctx.io.env),
          { keep: [0, 1, 2] },
        ),
        ...(page.items.length === 0 ? ['nothing waits for you'] : []),
        ...(kinds.has('gate') ? ['decide a gate:      braid approve|reject <RUN> <NODE> [--comment text] [--data json]'] : []),
        ...(kinds.has('question') ? ['answer a question:  braid reply <RUN> <NODE> "<your answer>" [--data json]'] : []),
        ...(page.nextCursor ? [`more: --cursor ${page.nextCursor}`] : []),
      ].join('\n'));
    }));

  program.command('gates')
    .description('the approvals inbox in gate columns (braid inbox shows kinds and how to answer)')
    .option('--status <status>', 'gate status', 'waiting')
    .option('--limit <n>', 'page size (1-100)')
    .option('--cursor <cursor>', 'next page')
    .action(action(async (ctx, opts: { status: string; limit?: string; cursor?: string }) => {
      const { http } = await ctx.connect();
      const page = await http.listGates({ status: opts.status, limit: intOption('limit', opts.limit), ...(opts.cursor ? { cursor: opts.cursor } : {}) });
      ctx.print(page, () => formatTable(
        ['RUN', 'NODE', 'WORKFLOW', 'OPENED', 'TIMES OUT', 'PROMPT'],
        // An agent's question (`braid inbox` shows kinds) reads `asks: …`, answered with `braid reply`.
        page.items.map((g) => (g as unknown as InboxItem).kind === 'question'
          ? [g.runId, nodeCell(g), g.workflowName ?? g.workflowId ?? '', String(g.askedAt ?? '').slice(0, 16), '', `asks: ${waitsFor(g as unknown as InboxItem)}`]
          : [g.runId, nodeCell(g), g.workflowName ?? g.workflowId ?? '', g.openedAt.slice(0, 16), g.timeoutAt.slice(0, 16), g.prompt]),
        terminalWidth(ctx.io.stdout, ctx.io.env),
        { keep: [0, 1] },
      ) + (page.nextCursor ? `\nmore: --cursor ${page.nextCursor}` : ''));
    }));

  program.command('gate <runId> <nodeId>')
    .description('one gate: prompt, approvers, status, inputs (approvers named on it need no role on the workflow)')
    .option('--item <path>', 'a gate inside a map item: the item\'s index (nested maps: the item path)')
    .action(action(async (ctx, runId: string, nodeId: string, opts: { item?: string }) => {
      const { http } = await ctx.connect();
      const gate = (await http.getGate(runId, nodeId, opts.item)) as GateView;
      ctx.print(gate, () => [
        `gate ${gate.nodeId} of run ${gate.runId}${typeof gate.itemPath === 'string' ? ` item ${gate.itemPath}` : ''}  ${gate.status}`,
        gate.prompt,
        `approvers ${gate.approvers?.length ? gate.approvers.join(', ') : '(anyone with the approver role)'}  opened ${gate.openedAt}  times out ${gate.timeoutAt}`,
        ...(gate.decidedBy ? [`decided by ${gate.decidedBy} at ${gate.decidedAt ?? ''}${gate.comment ? `: ${gate.comment}` : ''}`] : []),
        ...(gate.inputs !== undefined ? [`inputs ${JSON.stringify(gate.inputs)}`] : []),
      ].join('\n'));
    }));

  for (const decision of ['approve', 'reject'] as const) {
    program.command(`${decision} <runId> <nodeId>`)
      .description(`${decision} a waiting gate`)
      .option('--comment <text>', 'a comment recorded with the decision')
      .option('--data <json>', 'data recorded with the decision (JSON)')
      .option('--item <path>', 'a gate inside a map item: the item\'s index (nested maps: the item path)')
      .action(action(async (ctx, runId: string, nodeId: string, opts: { comment?: string; data?: string; item?: string }) => {
        const data = parseJsonOption('data', opts.data);
        const { http } = await ctx.connect();
        const result = await http.decideGate(runId, nodeId, decision, { ...(opts.comment !== undefined ? { comment: opts.comment } : {}), ...(data !== undefined ? { data } : {}) }, opts.item);
        ctx.print(result, () => `${decision === 'approve' ? 'approved' : 'rejected'} ${nodeId} of run ${runId}`);
      }));
  }

  program.command('reply <runId> <nodeId> [text]')
    .description('answer an agent that asked a question (node waiting for input)')
    .option('--data <json>', 'structured data for the agent (a JSON object)')
    .option('--item <path>', 'an agent inside a map item: the item\'s index (nested maps: the item path)')
    .action(action(async (ctx, runId: string, nodeId: string, text: string | undefined, opts: { data?: string; item?: string }) => {
      const data = parseJsonOption('data', opts.data);
      if (text === undefined && data === undefined) throw new UsageError('reply needs <text> or --data');
      if (data !== undefined && (data === null || typeof data !== 'object' || Array.isArray(data))) throw new UsageError('--data must be a JSON object');
      const { http } = await ctx.connect();
      const result = await http.replyToNode(runId, nodeId, { ...(text !== undefined ? { text } : {}), ...(data !== undefined ? { data: data as Record<string, unknown> } : {}) }, opts.item);
      ctx.print(result, () => `replied to ${nodeId} of run ${runId} (question ${result.turn + 1})`);
    }));
}

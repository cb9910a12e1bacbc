/** `braid gates` (the approvals inbox), `braid approve|reject`, and `braid reply` (an agent waiting for input). */
import type { Command } from 'commander';
import type { GateView } from '../http-client';
import { UsageError } from './context';
import { intOption, parseJsonOption } from './input';
import type { Action } from './program';
import { formatTable, terminalWidth } from './table';

/** Registers the gate commands. */
export function registerGates(program: Command, action: Action): void {
  program.command('gates')
    .description('the approvals inbox: gates waiting for your decision')
    .option('--status <status>', 'gate status', 'waiting')
    .option('--limit <n>', 'page size (1-100)')
    .option('--cursor <cursor>', 'next page')
    .action(action(async (ctx, opts: { status: string; limit?: string; cursor?: string }) => {
      const { http } = await ctx.connect();
      const page = await http.listGates({ status: opts.status, limit: intOption('limit', opts.limit), ...(opts.cursor ? { cursor: opts.cursor } : {}) });
      ctx.print(page, () => formatTable(
        ['RUN', 'NODE', 'WORKFLOW', 'OPENED', 'TIMES OUT', 'PROMPT'],
        // A gate inside a map item shows as `<node> --item <path>`: what `approve` takes.
        page.items.map((g) => [g.runId, typeof g.itemPath === 'string' ? `${g.nodeId} --item ${g.itemPath}` : g.nodeId, g.workflowName ?? g.workflowId ?? '', g.openedAt.slice(0, 16), g.timeoutAt.slice(0, 16), g.prompt]),
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

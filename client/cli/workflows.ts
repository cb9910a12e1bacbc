/** `braid workflows list|get|create|validate|diagram|publish|delete|versions|runs`. */
import type { Command } from 'commander';
import type { ValidationIssue } from '../../shared/model/types';
import { EXIT, UsageError } from './context';
import { intOption, readJson } from './input';
import type { Action } from './program';
import { formatTable, terminalWidth } from './table';

const SCOPES = ['mine', 'shared', 'public', 'all', 'templates'] as const;

function issues(list: ValidationIssue[] | undefined, kind: string): string[] {
  return (list ?? []).map((i) => `${kind} ${i.code} at ${i.path || '/'}: ${i.message}`);
}

/** Registers the workflow commands. */
export function registerWorkflows(program: Command, action: Action): void {
  const workflows = program.command('workflows').alias('wf').description('list, read, create, validate and publish workflows');

  workflows.command('list')
    .description('list workflows: mine, shared (with me), public, all, or templates')
    .option('--scope <scope>', `one of ${SCOPES.join(', ')}`, 'all')
    .option('--limit <n>', 'page size (1-100)')
    .option('--cursor <cursor>', 'next page (from the previous --json output)')
    .action(action(async (ctx, opts: { scope: string; limit?: string; cursor?: string }) => {
      if (!(SCOPES as readonly string[]).includes(opts.scope)) throw new UsageError(`--scope must be one of ${SCOPES.join(', ')}`);
      const { http } = await ctx.connect();
      const page = { limit: intOption('limit', opts.limit), ...(opts.cursor ? { cursor: opts.cursor } : {}) };
      const result = opts.scope === 'templates' ? await http.listTemplates(page) : await http.listWorkflows(opts.scope as 'all', page);
      ctx.print(result, () => formatTable(
        ['ID', 'NAME', 'OWNER', 'VISIBILITY', 'VERSION', 'ROLE', 'UPDATED'],
        result.items.map((w) => [w.id, w.name, w.ownerId, w.isTemplate ? 'template' : w.visibility, `v${w.latestVersion}`, w.role, w.updatedAt.slice(0, 16)]),
        terminalWidth(ctx.io.stdout, ctx.io.env),
      ) + (result.nextCursor ? `\nmore: --cursor ${result.nextCursor}` : ''));
    }));

  workflows.command('get <workflowId>')
    .description('show a workflow (latest version, or --version)')
    .option('--version <n>', 'a version')
    .action(action(async (ctx, id: string, opts: { version?: string }) => {
      const { http } = await ctx.connect();
      const w = await http.getWorkflow(id, intOption('version', opts.version));
      const nodes = w.definition.nodes.map((n) => `  ${String(n.id)} (${String(n.type)})`);
      ctx.print(w, () => [
        `${w.name}  v${w.version} of ${w.latestVersion}  ${w.isTemplate ? 'template' : w.visibility}  owner ${w.ownerId}  your role ${w.role}`,
        ...(w.description ? [w.description] : []),
        `nodes:`, ...nodes, ...issues(w.warnings, 'warning'),
      ].join('\n'));
    }));

  workflows.command('create [file]')
    .description('create a workflow from a definition file (- = stdin), or from a template with --template and --name')
    .option('--template <workflowId>', 'instantiate this template')
    .option('--name <name>', 'the new workflow\'s name (with --template)')
    .action(action(async (ctx, file: string | undefined, opts: { template?: string; name?: string }) => {
      if (opts.template ? !opts.name || file !== undefined : file === undefined) throw new UsageError('workflows create needs <file>, or --template <id> --name <name>');
      const body = opts.template ? { templateId: opts.template, name: opts.name } : await readJson(ctx.io, file!);
      const { http } = await ctx.connect();
      const created = await http.createWorkflow(body);
      for (const line of issues(created.warnings, 'warning')) ctx.io.stderr.write(`${line}\n`);
      ctx.print(created, () => `workflow ${created.id} version ${created.version ?? 1}`);
    }));

  workflows.command('validate <file>')
    .description('check a definition without storing it (exit 1 when invalid)')
    .action(action(async (ctx, file: string) => {
      const { http } = await ctx.connect();
      const result = await http.validateWorkflow(await readJson(ctx.io, file));
      ctx.print(result, () => [result.valid ? 'valid' : 'invalid', ...issues(result.errors, 'error'), ...issues(result.warnings, 'warning')].join('\n'));
      return result.valid ? EXIT.ok : EXIT.runNotSucceeded;
    }));

  workflows.command('diagram <workflowId>')
    .description('print the Mermaid diagram of a version')
    .option('--version <n>', 'a version')
    .action(action(async (ctx, id: string, opts: { version?: string }) => {
      const { http } = await ctx.connect();
      const diagram = await http.getDiagram(id, intOption('version', opts.version));
      ctx.print(diagram, () => diagram.mermaid);
    }));

  workflows.command('publish <workflowId> <file>')
    .description('publish a new version from a definition file (- = stdin)')
    .action(action(async (ctx, id: string, file: string) => {
      const { http } = await ctx.connect();
      const published = await http.publishWorkflow(id, await readJson(ctx.io, file));
      for (const line of issues(published.warnings, 'warning')) ctx.io.stderr.write(`${line}\n`);
      ctx.print(published, () => `workflow ${published.id} version ${published.version ?? '?'}`);
    }));

  workflows.command('delete <workflowId>')
    .description('delete a workflow (its runs stay readable)')
    .action(action(async (ctx, id: string) => {
      const { http } = await ctx.connect();
      await http.deleteWorkflow(id);
      ctx.print({ id, deleted: true }, () => `deleted workflow ${id}`);
    }));

  workflows.command('versions <workflowId>')
    .description('list the versions of a workflow')
    .action(action(async (ctx, id: string) => {
      const { http } = await ctx.connect();
      const page = await http.listVersions(id);
      ctx.print(page, () => formatTable(['VERSION', 'NAME', 'CREATED', 'BY', 'WARNINGS'], page.items.map((v) => [`v${v.version}`, v.name, v.createdAt.slice(0, 16), v.createdBy, String(v.warnings)]), terminalWidth(ctx.io.stdout, ctx.io.env)));
    }));
}

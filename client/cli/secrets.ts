/** `braid secrets put|list|delete`: your write-only secrets (values never come back). */
import type { Command } from 'commander';
import { UsageError } from './context';
import { readStdin } from './input';
import type { Action } from './program';
import { formatTable, terminalWidth } from './table';

/** Registers the secret commands. */
export function registerSecrets(program: Command, action: Action): void {
  const secrets = program.command('secrets').description('store, list and delete your secrets (values are write-only)');

  secrets.command('put <name> [value]')
    .description('store a secret; omit the value (or pass -) to read it from stdin, keeping it out of shell history')
    .action(action(async (ctx, name: string, value: string | undefined) => {
      const secret = value === undefined || value === '-' ? (await readStdin(ctx.io)).replace(/\r?\n$/, '') : value;
      if (secret.length === 0) throw new UsageError('the secret value is empty');
      const { http } = await ctx.connect();
      const result = await http.putSecret(name, secret);
      ctx.print(result ?? { name }, () => `stored secret ${name}`);
    }));

  secrets.command('list')
    .description('your secrets: names and dates, never values')
    .action(action(async (ctx) => {
      const { http } = await ctx.connect();
      const items = await http.listSecrets();
      ctx.print({ items }, () => formatTable(['NAME', 'CREATED', 'UPDATED'], items.map((s) => [s.name, s.createdAt?.slice(0, 16) ?? '', s.updatedAt?.slice(0, 16) ?? '']), terminalWidth(ctx.io.stdout, ctx.io.env)));
    }));

  secrets.command('delete <name>')
    .description('delete a secret')
    .action(action(async (ctx, name: string) => {
      const { http } = await ctx.connect();
      await http.deleteSecret(name);
      ctx.print({ name, deleted: true }, () => `deleted secret ${name}`);
    }));
}

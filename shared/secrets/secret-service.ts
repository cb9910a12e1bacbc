/**
 * The secrets API's service: a write-only store per user. `put` and `remove` change the caller's own secrets;
 * `list` returns names and dates only. No call returns a value; the executor alone reads them (`SecretReader`).
 */
import * as z from 'zod';
import { ConflictError, ValidationError } from '../errors';
import type { Caller } from '../services/permissions';
import type { TableRef } from '../store/table';
import { SecretMissingError } from './errors';
import { MAX_SECRET_BYTES, MAX_SECRETS_PER_OWNER, SECRET_NAME_PATTERN } from './names';
import { SecretRepository, type SecretMeta } from './secret-repository';
import type { SecretVault } from './vault';
import type { QuotaService } from '../services/quota-service';

const PutBodySchema = z.strictObject({ value: z.string().min(1) });

/** What the secrets service is built from. */
export interface SecretServiceDeps {
  table: TableRef;
  vault: SecretVault;
  /** @default () => new Date() */
  clock?: () => Date;
  /** The per-user secrets quota (atomic counter; README, "Quotas"); absent: only `MAX_SECRETS_PER_OWNER`, checked by listing. */
  quotas?: Pick<QuotaService, 'admitSecret' | 'releaseSecret'>;
}

/** Builds the service. */
export function createSecretService(deps: SecretServiceDeps) {
  const repo = new SecretRepository(deps.table);
  const now = () => (deps.clock?.() ?? new Date()).toISOString();

  function checkName(name: string): void {
    if (!SECRET_NAME_PATTERN.test(name)) {
      throw new ValidationError([{ code: 'invalid_secret_name', path: '/path/name', message: 'must be 1-128 letters, digits, "_", "-" or ".", starting with a letter or digit' }]);
    }
  }

  return {
    /** Creates or replaces `name` with `body.value`; answers the metadata and whether it was created. */
    async put(caller: Caller, name: string, body: unknown): Promise<{ meta: SecretMeta; created: boolean }> {
      checkName(name);
      const parsed = PutBodySchema.safeParse(body);
      if (!parsed.success) {
        // Never echo the body: it is the secret.
        const issues = parsed.error.issues.flatMap((issue) =>
          issue.code === 'unrecognized_keys'
            ? issue.keys.map((key) => ({ code: 'unrecognized_key', path: `/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`, message: 'only "value" is accepted' }))
            : [{ code: issue.code, path: '/value', message: 'must be a non-empty string' }],
        );
        throw new ValidationError(issues);
      }
      const { value } = parsed.data;
      if (Buffer.byteLength(value, 'utf8') > MAX_SECRET_BYTES) {
        throw new ValidationError([{ code: 'too_big', path: '/value', message: `must be at most ${MAX_SECRET_BYTES} bytes` }]);
      }
      const existing = await repo.list(caller.userId);
      const isNew = !existing.some((s) => s.name === name);
      // With the quota service the quota decides (429); without it, the listing's cap (409).
      if (isNew && !deps.quotas && existing.length >= MAX_SECRETS_PER_OWNER) {
        throw new ConflictError('too_many_secrets', `at most ${MAX_SECRETS_PER_OWNER} secrets per user`);
      }
      // A new secret takes one from the user's quota (a conditional counter: concurrent puts never pass it).
      if (isNew) await deps.quotas?.admitSecret(caller.userId, async () => (await repo.list(caller.userId)).length);
      let stored: { meta: SecretMeta; created: boolean };
      try {
        // The value first: metadata never names a secret whose value was not stored.
        await deps.vault.put(caller.userId, name, value);
        stored = await repo.upsert(caller.userId, name, now());
      } catch (error) {
        if (isNew) await deps.quotas?.releaseSecret(caller.userId).catch(() => undefined);
        throw error;
      }
      // Another put created the same name meanwhile: only one of them counts.
      if (isNew && !stored.created) await deps.quotas?.releaseSecret(caller.userId);
      return stored;
    },

    /** The caller's secrets: names and dates. */
    async list(caller: Caller): Promise<{ items: SecretMeta[] }> {
      return { items: await repo.list(caller.userId) };
    },

    /** Deletes the caller's secret; 404 when there is none. */
    async remove(caller: Caller, name: string): Promise<void> {
      checkName(name);
      await deps.vault.delete(caller.userId, name);
      if (!(await repo.delete(caller.userId, name))) throw new SecretMissingError(name);
      await deps.quotas?.releaseSecret(caller.userId);
    },
  };
}

/** The secrets service. */
export type SecretService = ReturnType<typeof createSecretService>;

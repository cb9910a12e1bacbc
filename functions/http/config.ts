/**
 * Function configuration from environment variables, validated with zod at cold start: a missing or
 * malformed variable fails the function's initialisation loudly, naming every problem.
 */
import * as z from 'zod';

/** A configuration variable that is missing or malformed. */
export class ConfigError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConfigError';
  }
}

/** Parses `env` with `schema`; throws a `ConfigError` listing every bad variable. */
export function readConfig<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`).join('; ');
    throw new ConfigError(`invalid function configuration: ${problems}`, { cause: parsed.error });
  }
  return parsed.data;
}

/** Variables every HTTP function reads. */
export const BaseConfigSchema = z.object({
  /** The single DynamoDB table. */
  TABLE_NAME: z.string().min(1),
  /** Overrides the DynamoDB endpoint (local runs). */
  DYNAMODB_ENDPOINT: z.url().optional(),
});

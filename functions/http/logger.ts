/**
 * Structured JSON logs (Powertools Logger), one logger per function, built at cold start.
 */
import { Logger } from '@aws-lambda-powertools/logger';

/** Log levels Powertools accepts. */
export type LogLevel = 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'CRITICAL' | 'SILENT';

/** Builds the logger of one function; the level comes from `POWERTOOLS_LOG_LEVEL` unless given. */
export function createLogger(serviceName: string, logLevel?: LogLevel): Logger {
  return new Logger({ serviceName, ...(logLevel ? { logLevel } : {}) });
}

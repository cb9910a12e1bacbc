/**
 * The local stack: dynalite (in a Worker thread or in-process, `store`), the HTTP API server invoking the real Lambda handlers through
 * payload v2 events, the WebSocket API, and the runs wiring (orchestrator, executor, run and gate routes).
 * `npm run dev` starts it; tests start it in memory on port 0.
 */
import { join } from 'node:path';
import type { Logger } from '@aws-lambda-powertools/logger';
import { createHandler as createApiHandler } from '../../functions/api/handler';
import { createHandler as createCompileHandler } from '../../functions/compile/handler';
import { createLogger, type LogLevel } from '../../functions/http/logger';
import type { MetricSink } from '../../shared/observability/metrics';
import { generateSigningKey, loadOrCreateSigningKey, type LocalSigningKey } from '../../shared/auth/local-key';
import { BRAID_AUDIENCE, LOCAL_ISSUER, signLocalToken } from '../../shared/auth/tokens';
import { createTokenVerifier } from '../../shared/auth/verify-token';
import type { Orchestrator } from '../../shared/ports/orchestrator';
import { createStore, type Store } from '../../shared/store/store';
import { createConsoleHandler } from './console-server';
import { DEV_QUOTAS, quotasFromEnv, type QuotaLimits } from '../../shared/quotas/config';
import { createEgressGuard, type EgressAllowlist, type EgressGuard } from '../../shared/egress';
import { createLocalVault, loadOrCreateSecretsKey } from '../../shared/secrets/local-vault';
import { setCursorKey } from '../../shared/store/cursor';
import { hkdfSync } from 'node:crypto';
import { lockDataDir } from './data-dir-lock';
import { startDynamo, type LocalDynamo, type LocalStoreMode } from './dynamo';
import { startHttpServer } from './http-server';
import { wireLive, type LocalPosterMode } from './live-wiring';
import { wireRuns, type ExecutorWrapper } from './runs-wiring';
import { createHandler as createNotifyHandler } from '../../functions/notify/handler';
import { LocalGateTimers } from './local-gate-timers';
import type { GateTimerEvent } from '../../shared/ports/gate-timers';
import { LocalNotifier } from './local-notifier';

/** Default data folder of `npm run dev`. */
export const DEFAULT_DATA_DIR = '.braid';
/** The executor "ARN" compiled into local state machines. */
export const LOCAL_EXECUTOR_ARN = 'arn:aws:lambda:local:000000000000:function:braid-executor';

/** Options of `createLocalStack`. */
export interface LocalStackOptions {
  /** HTTP port on 127.0.0.1. @default 0 (any free port) */
  port?: number;
  /** WebSocket port on 127.0.0.1. @default 0 */
  wsPort?: number;
  /** Where dynalite and the signing key persist. @default ".braid" */
  dataDir?: string;
  /** Keep everything in memory (tests); `dataDir` is ignored. @default false */
  inMemory?: boolean;
  /**
   * Where the DynamoDB emulator (dynalite) runs. `worker`: a Worker thread with its own event loop, so the
   * emulator's CPU runs beside Braid's functions on a second core (more nodes per second, and closer to AWS,
   * where DynamoDB is a remote service), for about 90 ms more per start. `in-process`: on this event loop, the
   * cheapest start (the tests). `npm run dev` (`BRAID_LOCAL_STORE`) and `bench/per-node.ts` use `worker`.
   * @default "in-process"
   */
  store?: LocalStoreMode;
  /** Replaces the runs wiring's orchestrator (tests). */
  orchestrator?: Orchestrator;
  /** Start the WebSocket API. @default true */
  live?: boolean;
  /**
   * How the live fan-out posts to local connections (see `LocalPosterMode`): `sockets` in-process, or
   * `management-api` through the AWS SDK and the local Management API, as on AWS. @default "sockets"
   */
  livePoster?: LocalPosterMode;
  /** Handler log level. @default POWERTOOLS_LOG_LEVEL, else INFO */
  logLevel?: LogLevel;
  /** @default "braid" */
  tableName?: string;
  /** @default () => new Date() */
  clock?: () => Date;
  /** Divides gate reminder and escalation delays (tests). @default 1 */
  timerSpeedup?: number;
  /** Gate timers held until `gateTimers.releaseHeld()` (tests). @default none */
  holdGateTimers?: (event: GateTimerEvent) => boolean;
  /** Webhook retry policy. @default 4 attempts from 1 s, doubling */
  webhookRetry?: { attempts?: number; baseDelayMs?: number };
  /** Serve the web console (built assets, `config.json`, local sign-in) on the HTTP port. @default undefined (off) */
  console?: { distDir?: string; demoWorkflow?: unknown };
  /** Quotas of the API and compile functions. @default the `BRAID_QUOTA_*` variables, else `DEV_QUOTAS` */
  quotas?: QuotaLimits;
  /**
   * What the executor may reach besides public addresses (`BRAID_EGRESS_ALLOW` syntax, or a parsed list the
   * caller keeps adding to). @default nothing: loopback and private addresses are refused
   */
  egressAllow?: EgressAllowlist | string | readonly string[];
  /** Milliseconds before each retry, by state name, instead of the ASL intervals (tests). @default the ASL's */
  retryIntervalOverrides?: Record<string, number | number[]>;
  /** Where run, node and gate metrics go (AWS writes EMF; locally a test may collect them). @default none */
  metrics?: MetricSink;
  /**
   * How long a quick node's `node.started` waits to be logged with its end (ms; 0: at once). Tests that count
   * round trips fix it. @default BRAID_START_EVENT_DEFER_MS, else 200
   */
  startEventDeferMs?: number;
  /** Wraps the executor as the local orchestrator invokes it (tests: duplicate or overlapping deliveries). */
  wrapExecutor?: ExecutorWrapper;
  /** Every how many ms the finalizer's sweep of active runs runs, as the CDK stack's 15-minute rule; 0: never. @default 900000 */
  sweepIntervalMs?: number;
  /** Retries of a finalizer call that threw, as EventBridge retries its target. @default 4 retries from 1 s, doubling */
  finalizerRetry?: { retries?: number; firstDelayMs?: number };
}

/** A running local stack. */
export interface LocalStack {
  httpUrl: string;
  /** The WebSocket URL, or `undefined` with `live: false`. */
  wsUrl?: string;
  jwksUrl: string;
  store: Store;
  table: LocalDynamo;
  orchestrator: Orchestrator;
  signingKey: LocalSigningKey;
  /** The in-process notifier (what the EventBridge bus does in AWS). */
  notifier: LocalNotifier;
  /** The in-process gate timers (what EventBridge Scheduler does in AWS). */
  gateTimers: LocalGateTimers;
  /** Drops every open WebSocket connection abruptly (tests); returns how many. */
  dropLiveConnections(): number;
  /** The executor's egress guard; `egress.allowlist.add(...)` lets it reach more (the dev command adds its demo servers). */
  egress: EgressGuard;
  /** Signs a token the stack accepts for `userId`. */
  token(userId: string, options?: { expiresIn?: string; groups?: string[] }): Promise<string>;
  close(): Promise<void>;
}

/** Starts the stack; `close()` stops everything it started, in reverse order. */
export async function createLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const closers: (() => Promise<void>)[] = [];
  let closed = false;
  const closeAll = async () => {
    if (closed) return;
    closed = true;
    for (const close of closers.reverse()) await close().catch((error: unknown) => console.error('close failed', error));
  };
  try {
    const dataDir = options.dataDir ?? DEFAULT_DATA_DIR;
    if (!options.inMemory) {
      const lock = await lockDataDir(dataDir);
      closers.push(() => lock.release());
    }
    const table = await startDynamo({
      tableName: options.tableName ?? 'braid', ...(options.inMemory ? {} : { path: join(dataDir, 'dynamodb') }), ...(options.store ? { store: options.store } : {}),
    });
    closers.push(() => table.close());
    const signingKey = options.inMemory ? await generateSigningKey() : await loadOrCreateSigningKey(dataDir);
    const verifyToken = createTokenVerifier({ issuer: LOCAL_ISSUER, audience: BRAID_AUDIENCE, jwks: signingKey.jwks });
    const store = createStore(table);
    const logger = (name: string): Logger => createLogger(name, options.logLevel);
    // Secrets: sealed in the table with a key under the data directory (in memory for in-memory stacks).
    const secretsKey = options.inMemory ? undefined : await loadOrCreateSecretsKey(dataDir);
    const vault = createLocalVault(table, secretsKey);
    // Cursors signed with a key derived from the data directory's stay valid across restarts of `npm run dev`.
    if (secretsKey) setCursorKey(Buffer.from(hkdfSync('sha256', secretsKey, '', 'braid-cursor-key', 32)));
    const egress = createEgressGuard({ ...(options.egressAllow !== undefined ? { allow: options.egressAllow } : {}) });
    closers.push(() => egress.close());

    const notifier = new LocalNotifier();
    const gateTimers = new LocalGateTimers({
      speedup: options.timerSpeedup ?? 1, ...(options.clock ? { clock: options.clock } : {}), ...(options.holdGateTimers ? { hold: options.holdGateTimers } : {}),
    });
    closers.push(async () => { await gateTimers.close(); await notifier.idle(); });
    const ports = { notifier, timers: gateTimers };
    const notify = createNotifyHandler({ store, logger: logger('braid-notify'), ports, egress, clock: options.clock, ...(options.metrics ? { metrics: options.metrics } : {}), ...(options.webhookRetry ? { retry: options.webhookRetry } : {}) });
    notifier.bind(notify);
    gateTimers.bind(notify);

    const runs = await wireRuns({
      store, orchestrator: options.orchestrator, ports, executorArn: LOCAL_EXECUTOR_ARN, clock: options.clock,
      executors: { egress, secrets: (ownerId, name) => vault.get(ownerId, name) },
      ...(options.retryIntervalOverrides ? { retryIntervalOverrides: options.retryIntervalOverrides } : {}),
      ...(options.wrapExecutor ? { wrapExecutor: options.wrapExecutor } : {}),
      ...(options.sweepIntervalMs !== undefined ? { sweepIntervalMs: options.sweepIntervalMs } : {}),
      ...(options.finalizerRetry ? { finalizerRetry: options.finalizerRetry } : {}),
      ...startEventDefer(options.startEventDeferMs),
      ...(options.inMemory ? {} : { dataDir }), ...(options.logLevel ? { logLevel: options.logLevel } : {}),
      ...(options.metrics ? { metrics: options.metrics } : {}),
    });
    if (runs.close) closers.push(runs.close);
    const quotas = options.quotas ?? quotasFromEnv(process.env, DEV_QUOTAS);
    const api = createApiHandler({ store, logger: logger('braid-api'), orchestrator: runs.orchestrator, clock: options.clock, routes: runs.apiRoutes, vault, ports, quotas, ...(options.metrics ? { metrics: options.metrics } : {}) });
    const compile = createCompileHandler({ store, orchestrator: runs.orchestrator, logger: logger('braid-compile'), executorArn: LOCAL_EXECUTOR_ARN, clock: options.clock, quotas });

    // The WebSocket API starts first: the console's config names its URL.
    const live = options.live === false ? undefined : await wireLive({ table, verifyToken, port: options.wsPort ?? 0, ...(options.livePoster ? { poster: options.livePoster } : {}) });
    if (live) closers.push(() => live.close());
    const fallback = options.console
      ? createConsoleHandler({ ...options.console, wsUrl: live?.wsUrl, signToken: (userId) => signLocalToken(signingKey, userId) })
      : undefined;
    const http = await startHttpServer({ port: options.port ?? 0, verifyToken, jwks: signingKey.jwks, functions: { ...runs.functions, api, compile }, ...(fallback ? { fallback } : {}) });
    closers.push(() => http.close());

    return {
      httpUrl: http.url,
      ...(live ? { wsUrl: live.wsUrl } : {}),
      jwksUrl: `${http.url}/.well-known/jwks.json`,
      store,
      table,
      orchestrator: runs.orchestrator,
      signingKey,
      dropLiveConnections: () => live?.dropConnections() ?? 0,
      egress,
      notifier,
      gateTimers,
      token: (userId, tokenOptions) => signLocalToken(signingKey, userId, {
        ...(tokenOptions?.expiresIn ? { expiresIn: tokenOptions.expiresIn } : {}),
        ...(tokenOptions?.groups ? { claims: { [process.env.BRAID_GROUPS_CLAIM || 'cognito:groups']: tokenOptions.groups } } : {}),
      }),
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

/** The stack's start-event deferral: the option, else `BRAID_START_EVENT_DEFER_MS`, else the executor's default. */
function startEventDefer(option: number | undefined): { startEventDeferMs?: number } {
  const fromEnv = process.env.BRAID_START_EVENT_DEFER_MS;
  const value = option ?? (fromEnv !== undefined && fromEnv !== '' ? Number(fromEnv) : undefined);
  return value !== undefined && Number.isInteger(value) && value >= 0 ? { startEventDeferMs: value } : {};
}

/**
 * The live-progress service behind the WebSocket functions: connect, disconnect, subscribe/unsubscribe
 * messages with catch-up, and fan-out of new events to every subscriber of a run.
 */
import { BraidError } from '../errors';
import type { ConnectionRepository } from '../store/connections';
import type { EventLogRepository } from '../store/events';
import type { SubscriptionRepository } from '../store/subscriptions';
import { createDrain, sharePages, type DrainDeps, type DrainOutcome } from './drain';
import { ClientMessageSchema, encodeMessage, type ErrorMessage } from './messages';
import type { ConnectionPoster } from './poster';
import { recheckingRunAccess, type RunAccess } from './run-access';

/** What the service needs. */
export interface LiveServiceDeps {
  connections: ConnectionRepository;
  subscriptions: SubscriptionRepository;
  events: EventLogRepository;
  poster: ConnectionPoster;
  access: RunAccess;
  /** @default () => new Date() */
  now?: () => Date;
  /** Drain lease in ms. @default 30000 */
  leaseMs?: number;
  /** How long fan-out trusts that a subscriber may view the run before asking again. @default 30000 */
  accessRecheckMs?: number;
}

/** Fan-out could not deliver to some subscribers; retrying the batch resumes them from their cursors. */
export class FanOutError extends BraidError {
  readonly failures: unknown[];
  constructor(runId: string, failures: unknown[]) {
    super('fan_out_failed', `fan-out of run ${runId} failed for ${failures.length} subscription(s)`, { cause: failures[0] });
    this.name = 'FanOutError';
    this.failures = failures;
  }
}

/** Live progress over WebSocket connections. */
export interface LiveService {
  /** Records a connection authenticated as `userId`. */
  connect(connectionId: string, userId: string): Promise<void>;
  /** Removes a connection and its subscriptions. */
  disconnect(connectionId: string): Promise<void>;
  /** Handles one client message (raw body): subscribe, unsubscribe, or an error reply. */
  handleMessage(connectionId: string, body: string | undefined): Promise<void>;
  /** Delivers new events of a run to every subscriber; one gone or failing connection does not stop the others. */
  fanOut(runId: string): Promise<Record<DrainOutcome, number>>;
}

/** Builds the live service. */
export function createLiveService(deps: LiveServiceDeps): LiveService {
  const now = deps.now ?? (() => new Date());
  const drainOver = (events: DrainDeps['events']) => createDrain({
    events,
    subscriptions: deps.subscriptions,
    poster: deps.poster,
    nowMs: () => now().getTime(),
    ...(deps.leaseMs !== undefined ? { leaseMs: deps.leaseMs } : {}),
  });
  const drain = drainOver(deps.events);
  const stillAllowed = recheckingRunAccess(deps.access, { nowMs: () => now().getTime(), ...(deps.accessRecheckMs !== undefined ? { intervalMs: deps.accessRecheckMs } : {}) });

  /** Ends a subscription whose viewer lost access to the run (the same reply as a refused subscribe). */
  async function revoke(connectionId: string, runId: string): Promise<'gone'> {
    await deps.subscriptions.unsubscribe(connectionId, runId);
    await reply(connectionId, errorReply('not_found', `run ${runId} not found; subscription ended`, runId));
    return 'gone';
  }

  async function reply(connectionId: string, message: Parameters<typeof encodeMessage>[0]): Promise<boolean> {
    if ((await deps.poster.post(connectionId, encodeMessage(message))) === 'gone') {
      await deps.subscriptions.removeConnection(connectionId);
      return false;
    }
    return true;
  }

  function errorReply(code: string, message: string, runId?: string): ErrorMessage {
    return { type: 'error', code, message, ...(runId !== undefined ? { runId } : {}) };
  }

  async function subscribe(connectionId: string, userId: string, runId: string, after: number): Promise<void> {
    // Missing and forbidden runs get the same reply, so nothing about another user's run leaks.
    if (!(await deps.access.canView(userId, runId))) {
      await reply(connectionId, errorReply('not_found', `run ${runId} not found`, runId));
      return;
    }
    try {
      await deps.subscriptions.subscribe({ connectionId, runId, userId, after, now: now() });
    } catch (error) {
      if (error instanceof BraidError && (error.code === 'too_many_subscriptions' || error.code === 'connection_gone')) {
        await reply(connectionId, errorReply(error.code, error.message, runId));
        return;
      }
      throw error;
    }
    if (await reply(connectionId, { type: 'subscribed', runId, after })) await drain(runId, connectionId);
  }

  return {
    async connect(connectionId, userId) {
      await deps.connections.put({ connectionId, userId, now: now() });
    },

    async disconnect(connectionId) {
      await deps.subscriptions.removeConnection(connectionId);
    },

    async handleMessage(connectionId, body) {
      let json: unknown;
      try {
        json = JSON.parse(body ?? '');
      } catch {
        await reply(connectionId, errorReply('invalid_message', 'message is not JSON'));
        return;
      }
      const parsed = ClientMessageSchema.safeParse(json);
      if (!parsed.success) {
        const action = (json as { action?: unknown } | null)?.action;
        const known = action === 'subscribe' || action === 'unsubscribe';
        const issue = parsed.error.issues[0];
        const where = issue ? `/${issue.path.join('/')}: ${issue.message}` : 'invalid';
        await reply(connectionId, known
          ? errorReply('invalid_message', where)
          : errorReply('unknown_action', 'action must be "subscribe" or "unsubscribe"'));
        return;
      }
      const connection = await deps.connections.get(connectionId);
      if (!connection) {
        await reply(connectionId, errorReply('connection_gone', 'connection is not registered; reconnect'));
        return;
      }
      const message = parsed.data;
      if (message.action === 'subscribe') {
        await subscribe(connectionId, connection.userId, message.runId, message.after);
        return;
      }
      await deps.subscriptions.unsubscribe(connectionId, message.runId);
      await reply(connectionId, { type: 'unsubscribed', runId: message.runId });
    },

    async fanOut(runId) {
      const subs = await deps.subscriptions.listForRun(runId);
      // Subscribers at the same cursor (the usual case) share one read of the log.
      const shared = drainOver(sharePages(deps.events));
      const results = await Promise.allSettled(subs.map(async (sub) =>
        (await stillAllowed.canView(sub.userId, runId)) ? shared(runId, sub.connectionId) : revoke(sub.connectionId, runId)));
      const counts: Record<DrainOutcome, number> = { done: 0, busy: 0, gone: 0 };
      const failures: unknown[] = [];
      for (const result of results) {
        if (result.status === 'fulfilled') counts[result.value] += 1;
        else failures.push(result.reason);
      }
      if (failures.length > 0) throw new FanOutError(runId, failures);
      return counts;
    },
  };
}

/**
 * The live-progress service behind the WebSocket functions: connect, disconnect, subscribe/unsubscribe
 * messages with catch-up, and fan-out of new events to every subscriber of a run.
 */
import { BraidError } from '../errors';
import type { RunEvent } from '../model/types';
import type { ConnectionRepository } from '../store/connections';
import type { EventLogRepository } from '../store/events';
import type { FanOutMarkRepository } from '../store/fan-out-marks';
import type { SubscriptionRepository } from '../store/subscriptions';
import { createCatchUp } from './catch-up';
import { cachedDeliveryAccess, type DeliveryAccess } from './delivery-access';
import { createFanOut, type FanOutResult } from './fan-out';
import { ClientMessageSchema, encodeMessage, type ErrorMessage } from './messages';
import type { ConnectionPoster } from './poster';
import { ACCESS_RECHECK_MS, type RunAccess } from './run-access';

export { FanOutError } from './fan-out';

/** Store refusals of a subscribe that become an error reply (README, "Live progress" errors). */
const SUBSCRIBE_REFUSALS = new Set(['too_many_subscriptions', 'too_many_subscribers', 'connection_gone']);

/** What the service needs. */
export interface LiveServiceDeps {
  connections: ConnectionRepository;
  subscriptions: SubscriptionRepository;
  events: EventLogRepository;
  marks: FanOutMarkRepository;
  poster: ConnectionPoster;
  /** Who may subscribe to a run. */
  access: RunAccess;
  /** The fan-out's re-check before each delivery. @default `access` re-asked every `accessRecheckMs` (`cachedDeliveryAccess`) */
  deliveryAccess?: DeliveryAccess;
  /** @default () => new Date() */
  now?: () => Date;
  /** How long the default delivery check trusts a "yes" before asking again, ms (at most 60,000). @default ACCESS_RECHECK_MS (30000) */
  accessRecheckMs?: number;
}

/** Live progress over WebSocket connections. */
export interface LiveService {
  /** Records a connection authenticated as `userId`. */
  connect(connectionId: string, userId: string): Promise<void>;
  /** Removes a connection and its subscriptions. */
  disconnect(connectionId: string): Promise<void>;
  /** Handles one client message (raw body): subscribe, unsubscribe, or an error reply. */
  handleMessage(connectionId: string, body: string | undefined): Promise<void>;
  /**
   * Pushes a run's new events (those after its fan-out mark; `streamed`: the events a stream batch carried) to
   * every subscriber; one gone or failing connection does not stop the others. Throws `FanOutError` when some
   * subscriber could not be served (the mark stays, so a retry pushes the same events again).
   */
  fanOut(runId: string, streamed?: readonly RunEvent[]): Promise<FanOutResult>;
}

/** Builds the live service. */
export function createLiveService(deps: LiveServiceDeps): LiveService {
  const now = deps.now ?? (() => new Date());
  const catchUp = createCatchUp({ events: deps.events, poster: deps.poster });
  const fanOut = createFanOut({
    events: deps.events,
    subscriptions: deps.subscriptions,
    marks: deps.marks,
    poster: deps.poster,
    access: deps.deliveryAccess ?? cachedDeliveryAccess(deps.access, { ttlMs: deps.accessRecheckMs ?? ACCESS_RECHECK_MS, nowMs: () => now().getTime() }),
  });

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
      await deps.subscriptions.subscribe({ connectionId, runId, userId, now: now() });
    } catch (error) {
      if (error instanceof BraidError && SUBSCRIBE_REFUSALS.has(error.code)) {
        await reply(connectionId, errorReply(error.code, error.message, runId));
        return;
      }
      throw error;
    }
    // Subscribed first (the subscription items, then the id in the run's subscriber set), then the catch-up reads
    // the log: an event it does not find was claimed after both writes, so the fan-out that pushes it finds the
    // set non-empty (no quiet path) and lists this subscription.
    if (!(await reply(connectionId, { type: 'subscribed', runId, after }))) return;
    if ((await catchUp(runId, connectionId, after)) === 'gone') await deps.subscriptions.removeConnection(connectionId);
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

    fanOut(runId, streamed) {
      return fanOut(runId, streamed);
    },
  };
}

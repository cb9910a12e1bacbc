/**
 * The notifier port: where Braid publishes what people and systems outside a run want to know (a gate opened,
 * was reminded, escalated or decided; an agent asked a question; a run finished). In AWS an EventBridge bus the stack creates
 * (`shared/adapters/eventbridge-notifier.ts`), whose rule hands each event to the notify function for the
 * workflow's webhook; locally the webhook delivery runs in process (`infra/local/local-notifier.ts`).
 */

/** The notification types, also the EventBridge `detail-type`s (source `braid`). */
export const NOTIFICATION_TYPES = ['gate.opened', 'gate.reminded', 'gate.escalated', 'gate.decided', 'question.asked', 'run.finished'] as const;
/** A notification type. */
export type NotificationType = (typeof NOTIFICATION_TYPES)[number];

/** One notification: small, no secrets, no task tokens. */
export interface Notification {
  type: NotificationType;
  workflowId: string;
  runId: string;
  nodeId?: string;
  /** A gate or question inside a map item: the item's path (`"7"`, `"3.5"` in a nested map). */
  item?: string;
  at: string;
  /** Type-specific fields: a gate's prompt, approvers, timeoutAt, decision; a run's status. */
  data: Record<string, unknown>;
}

/** Publishes notifications. Best effort: a failure is logged by the adapter and never fails the caller. */
export interface Notifier {
  publish(notification: Notification): Promise<void>;
}

/** A notifier that drops everything (functions and tests without notifications). */
export const NO_NOTIFIER: Notifier = { publish: async () => undefined };

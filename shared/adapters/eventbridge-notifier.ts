/**
 * The notifier on an EventBridge bus: one `PutEvents` entry per notification, source `braid`, the type as
 * `detail-type`. A failed put is logged and dropped (notifications never fail a run or a decision).
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { Notification, Notifier } from '../ports/notifier';

/** The `source` of every Braid event on the bus. */
export const NOTIFICATION_SOURCE = 'braid';

/** Publishes to the bus `busName`. */
export class EventBridgeNotifier implements Notifier {
  constructor(private readonly options: { client: EventBridgeClient; busName: string; onError?: (error: unknown) => void }) {}

  async publish(notification: Notification): Promise<void> {
    try {
      const out = await this.options.client.send(new PutEventsCommand({
        Entries: [{
          EventBusName: this.options.busName, Source: NOTIFICATION_SOURCE, DetailType: notification.type,
          Detail: JSON.stringify(notification), Time: new Date(notification.at),
        }],
      }));
      if ((out.FailedEntryCount ?? 0) > 0) throw new Error(`PutEvents refused the entry: ${out.Entries?.[0]?.ErrorCode ?? 'unknown'}`);
    } catch (error) {
      (this.options.onError ?? ((e) => console.error('notification not published', e)))(error);
    }
  }
}

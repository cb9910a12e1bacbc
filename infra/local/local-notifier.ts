/**
 * The local notifier: what the bus and its rule do in AWS, in process. Each notification is handed to the
 * notify function's real handler (webhook delivery with retries) without blocking the publisher, as the bus
 * would; `idle()` waits for deliveries in flight (tests, shutdown). Nothing is queued durably: a delivery in
 * flight when the local stack stops is lost.
 */
import type { Notification, Notifier } from '../../shared/ports/notifier';

/** Publishes notifications to an in-process handler. */
export class LocalNotifier implements Notifier {
  private target?: (event: unknown) => Promise<void>;
  private readonly inFlight = new Set<Promise<void>>();
  /** Every notification published, in order (for tests and `npm run dev` logs). */
  readonly published: Notification[] = [];

  constructor(private readonly onError: (error: unknown) => void = (e) => console.error('notification failed', e)) {}

  /** Sets the handler that receives each bus event. */
  bind(target: (event: unknown) => Promise<void>): void {
    this.target = target;
  }

  async publish(notification: Notification): Promise<void> {
    this.published.push(notification);
    const target = this.target;
    if (!target) return;
    const event = { source: 'braid', 'detail-type': notification.type, detail: notification };
    const p: Promise<void> = Promise.resolve().then(() => target(event)).catch(this.onError).finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }

  /** Resolves when every delivery in flight has finished. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }
}

/**
 * Local gate timers: `setTimeout` per named timer, firing the notify function's real handler. They live in
 * the local stack's process only: a restart forgets every pending reminder and escalation (the README says
 * so). `speedup` divides every delay (tests run an hour-long reminder in milliseconds).
 */
import type { GateTimerEvent, GateTimers } from '../../shared/ports/gate-timers';

/** Options of the local timers. */
export interface LocalGateTimersOptions {
  /** Divides every delay. @default 1 */
  speedup?: number;
  /** @default () => new Date() */
  clock?: () => Date;
  onError?: (error: unknown) => void;
  /** Timers whose event matches are held, not timed, until `releaseHeld()` (deterministic tests). @default none */
  hold?: (event: GateTimerEvent) => boolean;
}

/** In-process gate timers. */
export class LocalGateTimers implements GateTimers {
  private target?: (event: GateTimerEvent) => Promise<void>;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly held = new Map<string, GateTimerEvent>();

  constructor(private readonly options: LocalGateTimersOptions = {}) {}

  /** Sets the handler a fired timer calls. */
  bind(target: (event: GateTimerEvent) => Promise<void>): void {
    this.target = target;
  }

  async schedule(name: string, at: Date, event: GateTimerEvent): Promise<void> {
    if (this.timers.has(name) || this.held.has(name)) return;
    if (this.options.hold?.(event)) {
      this.held.set(name, event);
      return;
    }
    const now = (this.options.clock?.() ?? new Date()).getTime();
    const delay = Math.max(0, (at.getTime() - now) / (this.options.speedup ?? 1));
    const timer = setTimeout(() => {
      this.timers.delete(name);
      const target = this.target;
      if (!target) return;
      const p: Promise<void> = target(event).catch(this.options.onError ?? ((e) => console.error('gate timer failed', e))).finally(() => this.inFlight.delete(p));
      this.inFlight.add(p);
    }, delay);
    timer.unref();
    this.timers.set(name, timer);
  }

  async cancel(names: readonly string[]): Promise<void> {
    for (const name of names) {
      clearTimeout(this.timers.get(name));
      this.timers.delete(name);
      this.held.delete(name);
    }
  }

  /** Fires every held timer now, in the order they were scheduled; resolves when their handlers finished. */
  async releaseHeld(): Promise<number> {
    const due = [...this.held];
    this.held.clear();
    for (const [, event] of due) await this.target?.(event);
    return due.length;
  }

  /** Names of the timers still pending. */
  pending(): string[] {
    return [...this.timers.keys(), ...this.held.keys()];
  }

  /** Clears every timer and waits for fired ones to finish. */
  async close(): Promise<void> {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.held.clear();
    await Promise.all([...this.inFlight]);
  }
}

/**
 * The WebSocket protocol: what a client sends (`subscribe`, `unsubscribe`) and what the server pushes
 * (run events, acknowledgements, errors), and the 32 KB frame limit on every pushed message.
 */
import * as z from 'zod';
import type { RunEvent } from '../model/types';

/** Largest message the server pushes, in bytes: one API Gateway WebSocket frame (32 KB). */
export const MAX_MESSAGE_BYTES = 32 * 1024;

/** Client → server: watch a run, first receiving every event with `seq > after`. */
export const SubscribeMessageSchema = z.strictObject({
  action: z.literal('subscribe'),
  runId: z.string().min(1).max(128),
  /** Last seq the client already has. @default 0 */
  after: z.number().int().min(0).max(9_999_999_999).default(0),
});

/** Client → server: stop watching a run. */
export const UnsubscribeMessageSchema = z.strictObject({
  action: z.literal('unsubscribe'),
  runId: z.string().min(1).max(128),
});

/** Any message a client may send. */
export const ClientMessageSchema = z.discriminatedUnion('action', [SubscribeMessageSchema, UnsubscribeMessageSchema]);

/** A parsed client message. */
export type ClientMessage = z.infer<typeof ClientMessageSchema>;

/** Server → client: the subscription is in place; catch-up events follow. */
export interface SubscribedMessage {
  type: 'subscribed';
  runId: string;
  after: number;
}

/** Server → client: the subscription is gone. */
export interface UnsubscribedMessage {
  type: 'unsubscribed';
  runId: string;
}

/** Server → client: a request failed. `runId` echoes the request's, when it had one. */
export interface ErrorMessage {
  type: 'error';
  code: string;
  message: string;
  runId?: string;
}

/**
 * A run event as pushed. When the event would not fit in one frame its `data` is replaced by
 * `{ truncated: true, bytes, href }`, where `href` is the events route that returns it whole.
 */
export type EventMessage = RunEvent;

/** Any message the server pushes. Run events have dotted `type`s (`node.started`); the others do not. */
export type ServerMessage = EventMessage | SubscribedMessage | UnsubscribedMessage | ErrorMessage;

/** True when the message is a run event. */
export function isEventMessage(message: ServerMessage): message is EventMessage {
  return message.type.includes('.');
}

/** Serializes an event for one frame, dropping a `data` too large to fit to a reference. */
export function encodeEvent(event: RunEvent): string {
  const whole = JSON.stringify(event);
  const bytes = Buffer.byteLength(whole, 'utf8');
  if (bytes <= MAX_MESSAGE_BYTES) return whole;
  const href = `/api/v1/workflows/runs/${encodeURIComponent(event.runId)}/events?after=${event.seq - 1}&limit=1`;
  return JSON.stringify({ ...event, data: { truncated: true, bytes, href } });
}

/** Serializes a non-event message. */
export function encodeMessage(message: SubscribedMessage | UnsubscribedMessage | ErrorMessage): string {
  return JSON.stringify(message);
}

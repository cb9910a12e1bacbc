/**
 * The authorization matrix's rows for the run and gate routes and the WebSocket actions, extending the
 * workflow rows of `test/api/authz-cases.ts` (same actors, plus `nonApprover`: an editor who is not on a gate's
 * approver list). Together the two tables must name every route of the route table and every WebSocket route.
 */
import { ACTORS as API_ACTORS } from '../api/authz-cases';
import type { RouteSpec } from '../../functions/http/routes';
import type { WS_ROUTES } from '../../functions/http/routes';

/** The API matrix's actors plus an editor missing from a gate's explicit approver list. */
export const ACTORS = [...API_ACTORS, 'nonApprover'] as const;
/** An actor. */
export type Actor = (typeof ACTORS)[number];

/** One run-route row: what the cell needs and the status each actor must get. */
export interface RunRouteCase {
  /** The cell needs its own run waiting at the gate (the call changes it). */
  ownRun?: boolean;
  body?: unknown;
  /** Path parameter `nodeId` of the cell. @default "ask" */
  nodeId?: string;
  /** Record an output for `nodeId` on the run before the call. */
  seedNodeOutput?: boolean;
  expect: Record<Actor, number>;
}

// A stranger on a public workflow sees only the runs they started: the owner's run is a 404 to them.
const read = { owner: 200, stranger: 404, anonymous: 401, viewer: 200, runner: 200, approver: 200, editor: 200, expired: 404, publicStranger: 404, nonApprover: 200 };

/** Rows for the run and gate routes, keyed by route name. */
export const RUN_ROUTE_CASES: Partial<Record<RouteSpec['name'], RunRouteCase>> = {
  startRun: {
    body: { input: { q: 'matrix' } },
    expect: { owner: 202, stranger: 404, anonymous: 401, viewer: 403, runner: 202, approver: 202, editor: 202, expired: 404, publicStranger: 202, nonApprover: 202 },
  },
  // Listing answers, filtered to the caller's own runs for a public-only viewer (checked by the test).
  listRuns: { expect: { ...read, publicStranger: 200 } },
  getRun: { expect: read },
  listNodeRuns: { expect: read },
  getNodeOutput: { nodeId: 'seeded', seedNodeOutput: true, expect: read },
  listRunEvents: { expect: read },
  // The matrix's run has no map: whoever may read the run gets past authorization to "ask is not a map" (404);
  // test/map/map-gates.test.ts checks the 200 and the stranger's 404 on a real map.
  listMapItems: { expect: { ...read, owner: 404, viewer: 404, runner: 404, approver: 404, editor: 404, nonApprover: 404 } },
  cancelRun: {
    ownRun: true,
    // The owner started the run: only the owner, an editor, or the user who started it may cancel it.
    expect: { owner: 200, stranger: 404, anonymous: 401, viewer: 403, runner: 403, approver: 403, editor: 200, expired: 404, publicStranger: 404, nonApprover: 200 },
  },
  decideGate: {
    ownRun: true,
    body: { comment: 'matrix' },
    expect: { owner: 200, stranger: 404, anonymous: 401, viewer: 403, runner: 403, approver: 200, editor: 200, expired: 404, publicStranger: 404, nonApprover: 403 },
  },
  // A reply follows the rule of a gate without an approver list; `ask` is a gate, so whoever passes gets 409 not_waiting.
  replyToNode: {
    body: { text: 'matrix' },
    expect: { owner: 409, stranger: 404, anonymous: 401, viewer: 403, runner: 403, approver: 409, editor: 409, expired: 404, publicStranger: 404, nonApprover: 409 },
  },
};

/** What a WebSocket cell checks. */
export type WsOutcome = 'refused' | 'accepted' | 'subscribed' | 'not_found' | 'unsubscribed' | 'unknown_action' | 'cleaned_up';

/** Rows for the WebSocket routes: the outcome per actor (subscribe rows run against the matrix's run). */
export const WS_CASES: Record<(typeof WS_ROUTES)[number], Record<Actor, WsOutcome>> = {
  $connect: { owner: 'accepted', stranger: 'accepted', anonymous: 'refused', viewer: 'accepted', runner: 'accepted', approver: 'accepted', editor: 'accepted', expired: 'accepted', publicStranger: 'accepted', nonApprover: 'accepted' },
  subscribe: { owner: 'subscribed', stranger: 'not_found', anonymous: 'refused', viewer: 'subscribed', runner: 'subscribed', approver: 'subscribed', editor: 'subscribed', expired: 'not_found', publicStranger: 'not_found', nonApprover: 'subscribed' },
  unsubscribe: { owner: 'unsubscribed', stranger: 'unsubscribed', anonymous: 'refused', viewer: 'unsubscribed', runner: 'unsubscribed', approver: 'unsubscribed', editor: 'unsubscribed', expired: 'unsubscribed', publicStranger: 'unsubscribed', nonApprover: 'unsubscribed' },
  $default: { owner: 'unknown_action', stranger: 'unknown_action', anonymous: 'refused', viewer: 'unknown_action', runner: 'unknown_action', approver: 'unknown_action', editor: 'unknown_action', expired: 'unknown_action', publicStranger: 'unknown_action', nonApprover: 'unknown_action' },
  $disconnect: { owner: 'cleaned_up', stranger: 'cleaned_up', anonymous: 'refused', viewer: 'cleaned_up', runner: 'cleaned_up', approver: 'cleaned_up', editor: 'cleaned_up', expired: 'cleaned_up', publicStranger: 'cleaned_up', nonApprover: 'cleaned_up' },
};

/** Text that must never appear in a response or a pushed message. */
export const SECRET_PATTERNS: readonly RegExp[] = [/arn:aws:states/i, /taskToken/i, /executionArn/i, /stateMachine(Version)?Arn/i];

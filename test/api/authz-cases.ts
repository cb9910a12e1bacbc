/**
 * The authorization matrix: for each route of the route table, how to call it on a prepared workflow and the
 * status each actor must get. Rows are keyed by route name; the runs engineer adds the run routes' rows here
 * (a `prepare` hook can create a run and return `{ runId }` for the path).
 */
import type { TestStack } from '../support/local-stack';
import { single } from './fixtures';
import { prepareGate, prepareNodeOutput, prepareRun } from '../runs/authz-fixtures';

/** Who calls: the owner, a stranger, nobody, each granted role, an expired editor grant, a stranger on a public workflow. */
export const ACTORS = ['owner', 'stranger', 'anonymous', 'viewer', 'runner', 'approver', 'editor', 'expired', 'publicStranger'] as const;
/** An actor. */
export type Actor = (typeof ACTORS)[number];

/** The workflow a cell runs against, with its path parameters. */
export interface CellContext {
  stack: TestStack;
  /** Path parameters: `id` (the workflow), `userId` (a user holding a viewer grant), plus whatever `prepare` adds. */
  params: Record<string, string>;
}

/** One row of the matrix. */
export interface RouteCase {
  /** Request body, when the route takes one. */
  body?: (ctx: CellContext) => unknown;
  /** Extra setup on the prepared workflow; returns more path parameters. */
  prepare?: (ctx: CellContext) => Promise<Record<string, string>>;
  /** Expected status per actor. */
  expect: Record<Actor, number>;
}

const read = { owner: 200, stranger: 404, anonymous: 401, viewer: 200, runner: 200, approver: 200, editor: 200, expired: 404, publicStranger: 200 };
// Runs of a public workflow started by someone else are invisible to a user whose only access is publicity.
const readOthersRun = { ...read, publicStranger: 404 };
const anyUser = (status: number) => ({ owner: status, stranger: status, anonymous: 401, viewer: status, runner: status, approver: status, editor: status, expired: status, publicStranger: status });

/** The workflow routes' rows. */
export const ROUTE_CASES: Record<string, RouteCase> = {
  createWorkflow: { body: () => single('matrix-new'), expect: anyUser(201) },
  validateWorkflow: { body: () => single(), expect: anyUser(200) },
  listWorkflows: { expect: anyUser(200) },
  listTemplates: { expect: anyUser(200) },
  getWorkflow: { expect: read },
  listVersions: { expect: read },
  getDiagram: { expect: read },
  updateWorkflow: {
    body: () => single('matrix-updated'),
    expect: { owner: 200, stranger: 404, anonymous: 401, viewer: 403, runner: 403, approver: 403, editor: 200, expired: 404, publicStranger: 403 },
  },
  deleteWorkflow: {
    expect: { owner: 204, stranger: 404, anonymous: 401, viewer: 403, runner: 403, approver: 403, editor: 403, expired: 404, publicStranger: 403 },
  },
  listPermissions: {
    expect: { owner: 200, stranger: 404, anonymous: 401, viewer: 403, runner: 403, approver: 403, editor: 200, expired: 404, publicStranger: 403 },
  },
  putPermission: {
    body: () => ({ role: 'runner' }),
    expect: { owner: 200, stranger: 404, anonymous: 401, viewer: 403, runner: 403, approver: 403, editor: 403, expired: 404, publicStranger: 403 },
  },
  startRun: {
    body: () => ({ input: {} }),
    expect: { owner: 202, stranger: 404, anonymous: 401, viewer: 403, runner: 202, approver: 202, editor: 202, expired: 404, publicStranger: 202 },
  },
  listRuns: { prepare: (ctx) => prepareRun(ctx.stack, ctx.params.id!), expect: read },
  getRun: { prepare: (ctx) => prepareRun(ctx.stack, ctx.params.id!), expect: readOthersRun },
  listNodeRuns: { prepare: (ctx) => prepareRun(ctx.stack, ctx.params.id!), expect: readOthersRun },
  getNodeOutput: { prepare: (ctx) => prepareNodeOutput(ctx.stack, ctx.params.id!), expect: readOthersRun },
  listRunEvents: { prepare: (ctx) => prepareRun(ctx.stack, ctx.params.id!), expect: readOthersRun },
  // No map in this run (and no node id): every caller who may read the run gets the 404 of the map lookup.
  listMapItems: {
    prepare: (ctx) => prepareRun(ctx.stack, ctx.params.id!),
    expect: { owner: 404, stranger: 404, anonymous: 401, viewer: 404, runner: 404, approver: 404, editor: 404, expired: 404, publicStranger: 404 },
  },
  // The run is the owner's: runners cancel only their own runs; editors and the owner cancel anyone's.
  cancelRun: {
    prepare: (ctx) => prepareRun(ctx.stack, ctx.params.id!),
    expect: { owner: 200, stranger: 404, anonymous: 401, viewer: 403, runner: 403, approver: 403, editor: 200, expired: 404, publicStranger: 404 },
  },
  // Rerun needs to see the old run and to run the workflow. The prepared run is still running, so a caller who
  // passes both checks reaches the state check (409 run_active); test/runs/rerun.test.ts covers the 202s.
  rerunRun: {
    prepare: (ctx) => prepareRun(ctx.stack, ctx.params.id!),
    body: () => ({ fromNode: 'only' }),
    expect: { owner: 409, stranger: 404, anonymous: 401, viewer: 403, runner: 409, approver: 409, editor: 409, expired: 404, publicStranger: 404 },
  },
  // Redrive: the starter, an editor or the owner. The prepared run (the owner's) is still running, so a caller who
  // passes the checks reaches the state check (409 not_redrivable); test/runs/redrive.test.ts covers the 202s.
  redriveRun: {
    prepare: (ctx) => prepareRun(ctx.stack, ctx.params.id!),
    expect: { owner: 409, stranger: 404, anonymous: 401, viewer: 403, runner: 403, approver: 403, editor: 409, expired: 404, publicStranger: 404 },
  },
  // A gate that lists no approvers: the owner and approver/editor grantees decide.
  decideGate: {
    prepare: async (ctx) => ({ ...(await prepareGate(ctx.stack, ctx.params.id!)), decision: 'approve' }),
    body: () => ({ comment: 'matrix' }),
    expect: { owner: 200, stranger: 404, anonymous: 401, viewer: 403, runner: 403, approver: 200, editor: 200, expired: 404, publicStranger: 404 },
  },
  // A reply to an agent: the gate rule (owner, approver, editor). The prepared node is a gate, not an agent waiting
  // for a reply, so a caller who passes the checks reaches the state check (409 not_waiting); test/runs/agent-reply.test.ts covers the 200s.
  replyToNode: {
    prepare: (ctx) => prepareGate(ctx.stack, ctx.params.id!),
    body: () => ({ text: 'matrix' }),
    expect: { owner: 409, stranger: 404, anonymous: 401, viewer: 403, runner: 403, approver: 409, editor: 409, expired: 404, publicStranger: 404 },
  },
  // The inbox lists only what the caller may vote on: every signed-in user gets a (possibly empty) page.
  listGateInbox: { expect: anyUser(200) },
  // The webhook signing secret is the owner's alone.
  getWebhook: {
    expect: { owner: 200, stranger: 404, anonymous: 401, viewer: 403, runner: 403, approver: 403, editor: 403, expired: 404, publicStranger: 403 },
  },
  rotateWebhookSecret: {
    expect: { owner: 200, stranger: 404, anonymous: 401, viewer: 403, runner: 403, approver: 403, editor: 403, expired: 404, publicStranger: 403 },
  },
  // Reading a gate (no approvers listed) follows the run's visibility.
  getGate: { prepare: (ctx) => prepareGate(ctx.stack, ctx.params.id!), expect: readOthersRun },
  // Secrets are per caller: every signed-in user manages their own; another user's secret of the same name is a 404.
  listSecrets: { expect: anyUser(200) },
  putSecret: { prepare: async () => ({ name: 'matrix-key' }), body: () => ({ value: 'matrix-value-0123' }), expect: anyUser(201) },
  deleteSecret: {
    prepare: async (ctx) => {
      const res = await ctx.stack.call('PUT', '/api/v1/secrets/held-by-target', { as: ctx.params.userId!, body: { value: 'target-value-0123' } });
      if (res.status !== 201) throw new Error(`secret not created: ${res.text}`);
      return { name: 'held-by-target' };
    },
    expect: anyUser(404),
  },
  deletePermission: {
    expect: { owner: 204, stranger: 404, anonymous: 401, viewer: 403, runner: 403, approver: 403, editor: 403, expired: 404, publicStranger: 403 },
  },
};

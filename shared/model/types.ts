/**
 * Braid's stored records: workflows, versions, grants, runs, node runs, gates and run events.
 * Plain data; the store (`shared/store/`) maps them to DynamoDB items.
 */
import type { WorkflowDefinition } from '../definition/schema';
import type { WorkflowContract } from '../contract/node-contract';
import type { FieldIssue } from '../errors';

/** A role granted on a workflow, weakest first. */
export const ROLES = ['viewer', 'runner', 'approver', 'editor'] as const;
/** A role. */
export type Role = (typeof ROLES)[number];

/** The head record of a workflow: its identity, owner and latest version. */
export interface Workflow {
  id: string;
  ownerId: string;
  name: string;
  description?: string;
  visibility: 'private' | 'public';
  isTemplate: boolean;
  latestVersion: number;
  createdAt: string;
  updatedAt: string;
  /** Set by a soft delete; a deleted workflow is invisible and cannot start runs. */
  deletedAt?: string;
}

/** One immutable version of a workflow. */
export interface WorkflowVersion {
  workflowId: string;
  version: number;
  definition: WorkflowDefinition;
  warnings: ValidationIssue[];
  createdAt: string;
  createdBy: string;
  /** Server-only: never returned by the API. */
  stateMachineArn?: string;
  /** Server-only: the published state machine version this workflow version runs on. */
  stateMachineVersionArn?: string;
  /** Server-only: the learned node durations (seconds) its current plan was made with (`shared/store/version-plans.ts`). */
  planWeights?: Record<string, number>;
  /** Server-only: the workflow's recorded successful runs when its plan was last decided. */
  plannedAtRuns?: number;
  /** Server-only: the compiled contract the executor interprets (absent on versions stored before contracts). */
  contract?: WorkflowContract;
}

/** A role granted to a user on a workflow, optionally until a time. */
export interface Grant {
  workflowId: string;
  userId: string;
  role: Role;
  grantedBy: string;
  grantedAt: string;
  expiresAt?: string;
}

/** One problem found in a definition: the one issue type of every 400 (`FieldIssue`, `shared/errors.ts`). */
export type ValidationIssue = FieldIssue;

/** Status of a run. */
export const RUN_STATUSES = ['running', 'waiting', 'succeeded', 'failed', 'cancelled', 'timed_out'] as const;
/** A run status. */
export type RunStatus = (typeof RUN_STATUSES)[number];
/** Run statuses that are final. */
export const TERMINAL_RUN_STATUSES: readonly RunStatus[] = ['succeeded', 'failed', 'cancelled', 'timed_out'];

/** Status of a node within a run. */
export const NODE_STATUSES = ['pending', 'running', 'retrying', 'waiting', 'succeeded', 'failed', 'skipped', 'cancelled'] as const;
/** A node status. */
export type NodeStatus = (typeof NODE_STATUSES)[number];
/** Node statuses that are final. */
export const TERMINAL_NODE_STATUSES: readonly NodeStatus[] = ['succeeded', 'failed', 'skipped', 'cancelled'];

/** An error as Braid records it: a stable name (also the ASL error name) and a message. */
export interface ErrorInfo {
  name: string;
  message: string;
  /** Extra context, e.g. an HTTP status. */
  details?: Record<string, unknown>;
}

/** Usage and cost a node reported (agents report it; tools usually do not). */
export interface Cost {
  /** US dollars. */
  usd: number;
  inputTokens?: number;
  outputTokens?: number;
}

/** A spending cap (see the workflow's `budget`). */
export interface BudgetLimit {
  usd?: number;
  tokens?: number;
}

/** What a run has spent so far: every attempt's reported cost, failed attempts included. */
export interface Spent {
  usd: number;
  tokens: number;
}

/** A run of one workflow version. */
export interface Run {
  runId: string;
  workflowId: string;
  version: number;
  /** The workflow owner when the run started (used for authorization). */
  ownerId: string;
  startedBy: string;
  status: RunStatus;
  input: unknown;
  output?: unknown;
  error?: ErrorInfo;
  startedAt: string;
  endedAt?: string;
  cost: Cost;
  idempotencyKey?: string;
  /** The run's budget (the workflow's, or the one asked for at start, raised by an approved budget gate). */
  budget?: BudgetLimit;
  /** Spend counted atomically per attempt. */
  spent?: Spent;
  /** How many times the run was redriven (`POST …/runs/{runId}/redrive`, or revived after a local restart). */
  redriveCount?: number;
  /** When the last redrive began. */
  redrivenAt?: string;
  /** The run this one was rerun from (`POST …/runs/{runId}/rerun`). */
  parentRunId?: string;
  /** A rerun: the node it reran from. */
  rerunFrom?: string;
  /** A rerun: the route each reused node's Task answers with, by node id (no call is made for them). */
  reused?: Record<string, string>;
  /** A child run (`workflow_call`): the parent's node waiting for it. Server-only: it holds the parent's task token. */
  calledBy?: RunCaller;
  /** How deep in a chain of `workflow_call`s the run is (absent: 0, started by a user). */
  depth?: number;
  /** The workflow version each `workflow_call` node runs, pinned when the run was created (by node id). */
  callVersions?: Record<string, number>;
}

/** Where a child run reports its end: the parent run's `workflow_call` node, its attempt and its task token. */
export interface RunCaller {
  runId: string;
  nodeId: string;
  /** The map item the node runs in, when it sits in a map body. */
  item?: string;
  attempt: number;
  /** Server-only: never in a view or an event. */
  taskToken: string;
}

/** One attempt of a node. */
export interface NodeAttempt {
  attempt: number;
  /** The drive it ran in (views only: a redriven run's attempts; absent for the first drive). */
  drive?: number;
  /** The turn of an agent that was replied to (views only: 1 after the first reply, …; absent for turn 0). */
  turn?: number;
  /** True when the agent asked a question in this attempt (A2A `input-required`) instead of answering. */
  asked?: boolean;
  status: 'running' | 'succeeded' | 'failed';
  startedAt: string;
  endedAt?: string;
  error?: ErrorInfo;
  /** When a later attempt arrived while this one still ran (the state machine had already retried it). */
  supersededAt?: string;
  /** Usage the agent reported in this attempt, failed attempts included. */
  cost?: Cost;
}

/** A node's record within a run. */
export interface NodeRun {
  runId: string;
  nodeId: string;
  status: NodeStatus;
  attempts: NodeAttempt[];
  startedAt?: string;
  endedAt?: string;
  output?: unknown;
  error?: ErrorInfo;
  cost?: Cost;
  /** A map node's item counts (counted atomically as items start and finish). */
  progress?: { total: number; succeeded: number; failed: number; running: number };
  /** Copied from the run this one was rerun from: no call was made and no cost added. */
  reused?: boolean;
  /** A `workflow_call` node: the child run it started (its latest attempt's). */
  childRunId?: string;
}

/** Status of a human gate. */
export type GateStatus = 'waiting' | 'approved' | 'rejected' | 'cancelled' | 'timed_out';

/** One person's vote on a gate: immutable once written, and none is written after the decision. */
export interface GateVote {
  by: string;
  decision: 'approve' | 'reject';
  at: string;
  comment?: string;
  data?: unknown;
  /** The rule that made the voter eligible: `user:<id>`, `group:<name>`, `role:<role>`, each prefixed `escalation:` when it came from the escalation list. */
  as: string;
}

/** A human gate opened in a run. The task token is server-only and never leaves the store. */
export interface Gate {
  runId: string;
  nodeId: string;
  status: GateStatus;
  prompt: string;
  approvers: string[];
  openedAt: string;
  timeoutAt: string;
  decidedBy?: string;
  decidedAt?: string;
  comment?: string;
  data?: unknown;
  /** The workflow of the run (for the inbox and notifications). */
  workflowId?: string;
  /** Who started the run. */
  requester?: string;
  /** Distinct approvals needed. @default 1 */
  quorum?: number;
  /** Distinct rejections needed. @default 1 */
  rejectQuorum?: number;
  /** The requester may not approve. */
  forbidRequester?: boolean;
  /** Weakest role that may vote when no approvers are listed. @default "approver" (the budget gate: "editor") */
  minRole?: 'approver' | 'editor';
  /** Escalation approvers and when they become eligible. */
  escalation?: { afterSeconds: number; approvers: string[] };
  /** When the escalation happened. */
  escalatedAt?: string;
  /** Votes by voter id. */
  votes?: Record<string, GateVote>;
  approvals?: number;
  rejections?: number;
  /** Sequence number of the reminder currently scheduled. */
  reminderSeq?: number;
  /** Server-only. */
  taskToken?: string;
}

/** Types of events in a run's event log. */
export const EVENT_TYPES = [
  'run.started', 'node.started', 'node.retrying', 'node.succeeded', 'node.failed', 'node.skipped',
  'node.waiting', 'gate.voted', 'gate.approved', 'gate.rejected', 'gate.escalated', 'node.cancelled', 'item.succeeded', 'item.failed',
  'run.succeeded', 'run.failed', 'run.cancelled', 'run.timed_out', 'run.budget_warning', 'run.budget_exceeded', 'run.redriven', 'node.progress',
  // An agent asked a question (A2A input-required) and someone replied to it.
  'node.input_required', 'node.replied',
  // Fills a seq whose transition turned out to be recorded already (two writers raced); clients skip it.
  'log.filler',
] as const;
/** An event type. */
export type RunEventType = (typeof EVENT_TYPES)[number];

/** One entry of a run's ordered event log. `seq` starts at 1 and has no gaps. */
export interface RunEvent {
  runId: string;
  seq: number;
  type: RunEventType;
  nodeId?: string;
  /** On events of a map body's nodes and of map items: the item's index. */
  item?: number;
  /** With `item`, inside nested maps: the full item path (`"3.5"`: item 5 of the inner map in item 3 of the outer). */
  itemPath?: string;
  at: string;
  /** Small: a large node output is fetched from the nodes route, not pushed. */
  data: Record<string, unknown>;
}

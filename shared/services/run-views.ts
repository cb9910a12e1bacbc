/**
 * What the API returns for runs, nodes and gates: whitelisted fields only, so server-only data (the execution
 * ARN, a gate's task token) never leaves by construction.
 */
import type { Gate, GateVote, NodeRun, Run } from '../model/types';
import { votesInOrder } from './gate-policy';
import { spentOf } from './budget';
import { splitAttempt } from '../contract/task-payload';
import type { NodeQuestion } from '../store/node-questions';
import { splitPartitionRunId } from '../store/map-items';
import { itemIndex } from './map-scope';

function hasSpent(run: Run): boolean {
  const spent = spentOf(run);
  return spent.usd > 0 || spent.tokens > 0;
}

/** A run as the API returns it. */
export type RunView = Pick<Run, 'runId' | 'workflowId' | 'version' | 'startedBy' | 'status' | 'input' | 'startedAt' | 'cost'> &
  Partial<Pick<Run, 'output' | 'error' | 'endedAt' | 'idempotencyKey' | 'budget' | 'spent' | 'parentRunId' | 'rerunFrom' | 'redrivenAt' | 'depth'>> & {
    redriveCount: number;
    /** A child run: the parent run's node that started it (`parentRunId` is then that parent run). */
    parentNodeId?: string;
    /** A child run inside a map item: the item's path in the parent run. */
    parentItem?: string;
  };

/** A run in a listing (no input or output). */
export type RunSummary = Pick<Run, 'runId' | 'workflowId' | 'version' | 'startedBy' | 'status' | 'startedAt' | 'cost'> & Partial<Pick<Run, 'endedAt'>> & {
  /** A child run (`workflow_call`): its parent run and node. */
  parentRunId?: string;
  parentNodeId?: string;
};

/** A gate as the API returns it: never its token; its votes as a list in the order they were cast. */
export type GateView = Pick<Gate, 'runId' | 'nodeId' | 'status' | 'prompt' | 'approvers' | 'openedAt' | 'timeoutAt'>
  & Partial<Pick<Gate, 'decidedBy' | 'decidedAt' | 'comment' | 'data' | 'workflowId' | 'requester' | 'forbidRequester' | 'escalation' | 'escalatedAt'>>
  & {
    inputs?: Record<string, unknown>; quorum: number; rejectQuorum: number; approvals: number; rejections: number; votes: GateVote[];
    /** A gate inside a map item: the item's index, and its path (`"3.5"`) inside a nested map. Decide it with `?item=<path>`. */
    item?: number; itemPath?: string;
  };

/** A node of a run as the API returns it; gates carry their gate. */
export type NodeRunView = Omit<NodeRun, 'runId'> & {
  type: string;
  gate?: GateView;
  /** An `agent_call` waiting for a reply: what it asked (README, "Agents that ask"). */
  question?: QuestionView;
  /** Set instead of `output` when the output is over the inline size: fetch it from `href`. */
  outputOmitted?: { bytes: number; href: string };
};

/** The question of an agent waiting for a reply, as the node view shows it (never its task token). */
export interface QuestionView {
  text: string;
  data: unknown;
  /** The turn that asked (0: the node's first call). */
  turn: number;
  askedAt: string;
}

/** The view of a node's open question (`asked` or `waiting`), else `undefined`. */
export function questionView(q: NodeQuestion | undefined): QuestionView | undefined {
  if (!q || (q.status !== 'asked' && q.status !== 'waiting')) return undefined;
  return { text: q.question.text, data: q.question.data, turn: q.turn, askedAt: q.askedAt };
}

/** Bounds of a page of the nodes route: every page fits well inside Lambda's 6 MB response. */
export const NODE_PAGE_LIMITS = {
  /** Most nodes per page (`limit` 1–100, default 100). */
  maxItems: 100,
  /** Outputs larger than this (as JSON) are left out of the page, with a link to fetch each. */
  inlineOutputBytes: 64 * 1024,
  /** A page stops adding nodes once it holds this many bytes of JSON (it always holds at least one). */
  pageBytes: 1024 * 1024,
} as const;

/**
 * One page of node views in execution order: outputs over `inlineOutputBytes` replaced by `outputOmitted`
 * (a link to the node's output route), and no more nodes than `limit` or `pageBytes` allow.
 */
export function pageOfNodes(runId: string, ids: readonly string[], limit: number, view: (id: string) => NodeRunView, cursorAfter: (lastId: string) => string): { items: NodeRunView[]; nextCursor?: string } {
  const items: NodeRunView[] = [];
  let bytes = 0;
  for (const id of ids) {
    if (items.length >= limit) break;
    const node = view(id);
    if (node.output !== undefined) {
      const outputBytes = Buffer.byteLength(JSON.stringify(node.output));
      if (outputBytes > NODE_PAGE_LIMITS.inlineOutputBytes) {
        delete node.output;
        node.outputOmitted = { bytes: outputBytes, href: `/api/v1/workflows/runs/${encodeURIComponent(runId)}/nodes/${encodeURIComponent(id)}/output` };
      }
    }
    const nodeBytes = Buffer.byteLength(JSON.stringify(node));
    if (items.length > 0 && bytes + nodeBytes > NODE_PAGE_LIMITS.pageBytes) break;
    items.push(node);
    bytes += nodeBytes;
  }
  const last = items.at(-1);
  const more = last !== undefined && ids.indexOf(last.nodeId) < ids.length - 1;
  return { items, ...(more ? { nextCursor: cursorAfter(last.nodeId) } : {}) };
}

/** Builds the view of a run. */
export function runView(run: Run): RunView {
  return {
    runId: run.runId, workflowId: run.workflowId, version: run.version, startedBy: run.startedBy, status: run.status,
    input: run.input, startedAt: run.startedAt, cost: run.cost,
    ...(run.output !== undefined ? { output: run.output } : {}),
    ...(run.error !== undefined ? { error: run.error } : {}),
    ...(run.endedAt !== undefined ? { endedAt: run.endedAt } : {}),
    ...(run.idempotencyKey !== undefined ? { idempotencyKey: run.idempotencyKey } : {}),
    ...(run.budget !== undefined ? { budget: run.budget } : {}),
    ...(run.budget !== undefined || hasSpent(run) ? { spent: spentOf(run) } : {}),
    ...(run.parentRunId !== undefined ? { parentRunId: run.parentRunId } : {}),
    // A child run names its parent; never the caller's task token.
    ...(run.calledBy !== undefined ? { parentRunId: run.calledBy.runId, parentNodeId: run.calledBy.nodeId, ...(run.calledBy.item !== undefined ? { parentItem: run.calledBy.item } : {}) } : {}),
    ...(run.depth ? { depth: run.depth } : {}),
    ...(run.rerunFrom !== undefined ? { rerunFrom: run.rerunFrom } : {}),
    redriveCount: run.redriveCount ?? 0,
    ...(run.redrivenAt !== undefined ? { redrivenAt: run.redrivenAt } : {}),
  };
}

/** Builds the summary of a run. */
export function runSummary(run: Run): RunSummary {
  return {
    runId: run.runId, workflowId: run.workflowId, version: run.version, startedBy: run.startedBy, status: run.status,
    startedAt: run.startedAt, cost: run.cost, ...(run.endedAt !== undefined ? { endedAt: run.endedAt } : {}),
    ...(run.calledBy !== undefined ? { parentRunId: run.calledBy.runId, parentNodeId: run.calledBy.nodeId } : {}),
  };
}

/** Builds the view of a gate. */
export function gateView(gate: Gate & { inputs?: Record<string, unknown> }): GateView {
  // A gate inside a map item is stored in the item's partition: the view names the run and the item.
  const where = splitPartitionRunId(gate.runId);
  const view: GateView = {
    runId: where.runId, nodeId: gate.nodeId, ...(where.item !== undefined ? { item: itemIndex(where.item), itemPath: where.item } : {}), status: gate.status, prompt: gate.prompt, approvers: gate.approvers,
    openedAt: gate.openedAt, timeoutAt: gate.timeoutAt, quorum: gate.quorum ?? 1, rejectQuorum: gate.rejectQuorum ?? 1,
    approvals: gate.approvals ?? 0, rejections: gate.rejections ?? 0, votes: votesInOrder(gate),
  };
  if (gate.workflowId !== undefined) view.workflowId = gate.workflowId;
  if (gate.requester !== undefined) view.requester = gate.requester;
  if (gate.forbidRequester) view.forbidRequester = true;
  if (gate.escalation !== undefined) view.escalation = gate.escalation;
  if (gate.escalatedAt !== undefined) view.escalatedAt = gate.escalatedAt;
  if (gate.decidedBy !== undefined) view.decidedBy = gate.decidedBy;
  if (gate.decidedAt !== undefined) view.decidedAt = gate.decidedAt;
  if (gate.comment !== undefined) view.comment = gate.comment;
  if (gate.data !== undefined) view.data = gate.data;
  if (gate.inputs !== undefined) view.inputs = gate.inputs;
  return view;
}

const BUILT_IN_GATE_STATUS: Record<Gate['status'], NodeRun['status']> = {
  waiting: 'waiting', approved: 'succeeded', rejected: 'failed', cancelled: 'cancelled', timed_out: 'failed',
};

/** The view of a built-in gate (the budget gate), listed as a node of type `budget_gate`. */
export function builtInGateView(gate: Gate): NodeRunView {
  const view: NodeRunView = { nodeId: gate.nodeId, type: 'budget_gate', status: BUILT_IN_GATE_STATUS[gate.status], attempts: [], startedAt: gate.openedAt, gate: gateView(gate) };
  if (gate.decidedAt !== undefined) view.endedAt = gate.decidedAt;
  return view;
}

/** Builds the view of a node (a node never recorded is `pending`). */
export function nodeRunView(nodeId: string, type: string, node: NodeRun | undefined, gate: Gate | undefined): NodeRunView {
  // Attempts of a redriven run: `attempt` counts within its drive, `drive` says which (absent: the first drive).
  // Attempts of an agent's later turns: `attempt` counts within the turn's drive, `turn` says which turn.
  const attempts = (node?.attempts ?? []).map((a) => {
    const { turn, drive, retry } = splitAttempt(a.attempt);
    if (drive === 0 && turn === 0) return a;
    return { ...a, attempt: retry, ...(drive > 0 ? { drive } : {}), ...(turn > 0 ? { turn } : {}) };
  });
  const view: NodeRunView = { nodeId, type, status: node?.status ?? 'pending', attempts };
  if (node?.startedAt !== undefined) view.startedAt = node.startedAt;
  if (node?.endedAt !== undefined) view.endedAt = node.endedAt;
  if (node?.output !== undefined) view.output = node.output;
  if (node?.error !== undefined) view.error = node.error;
  if (node?.cost !== undefined) view.cost = node.cost;
  if (node?.progress !== undefined) view.progress = node.progress;
  if (node?.reused) view.reused = true;
  if (node?.childRunId !== undefined) view.childRunId = node.childRunId;
  if (gate) view.gate = gateView(gate);
  return view;
}

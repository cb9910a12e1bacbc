/**
 * What the API returns for runs, nodes and gates: whitelisted fields only, so server-only data (the execution
 * ARN, a gate's task token) never leaves by construction.
 */
import type { Gate, NodeRun, Run } from '../model/types';
import { splitAttempt } from '../contract/task-payload';

/** A run as the API returns it. */
export type RunView = Pick<Run, 'runId' | 'workflowId' | 'version' | 'startedBy' | 'status' | 'input' | 'startedAt' | 'cost'> &
  Partial<Pick<Run, 'output' | 'error' | 'endedAt' | 'idempotencyKey' | 'parentRunId' | 'rerunFrom' | 'redrivenAt'>> & { redriveCount: number };

/** A run in a listing (no input or output). */
export type RunSummary = Pick<Run, 'runId' | 'workflowId' | 'version' | 'startedBy' | 'status' | 'startedAt' | 'cost'> & Partial<Pick<Run, 'endedAt'>>;

/** A gate as the API returns it: never its token. */
export type GateView = Omit<Gate, 'taskToken'> & { inputs?: Record<string, unknown> };

/** A node of a run as the API returns it; gates carry their gate. */
export type NodeRunView = Omit<NodeRun, 'runId'> & { type: string; gate?: GateView };

/** Builds the view of a run. */
export function runView(run: Run): RunView {
  return {
    runId: run.runId, workflowId: run.workflowId, version: run.version, startedBy: run.startedBy, status: run.status,
    input: run.input, startedAt: run.startedAt, cost: run.cost,
    ...(run.output !== undefined ? { output: run.output } : {}),
    ...(run.error !== undefined ? { error: run.error } : {}),
    ...(run.endedAt !== undefined ? { endedAt: run.endedAt } : {}),
    ...(run.idempotencyKey !== undefined ? { idempotencyKey: run.idempotencyKey } : {}),
    ...(run.parentRunId !== undefined ? { parentRunId: run.parentRunId } : {}),
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
  };
}

/** Builds the view of a gate. */
export function gateView(gate: Gate & { inputs?: Record<string, unknown> }): GateView {
  const view: GateView = {
    runId: gate.runId, nodeId: gate.nodeId, status: gate.status, prompt: gate.prompt, approvers: gate.approvers,
    openedAt: gate.openedAt, timeoutAt: gate.timeoutAt,
  };
  if (gate.decidedBy !== undefined) view.decidedBy = gate.decidedBy;
  if (gate.decidedAt !== undefined) view.decidedAt = gate.decidedAt;
  if (gate.comment !== undefined) view.comment = gate.comment;
  if (gate.data !== undefined) view.data = gate.data;
  if (gate.inputs !== undefined) view.inputs = gate.inputs;
  return view;
}

/** Builds the view of a node (a node never recorded is `pending`). */
export function nodeRunView(nodeId: string, type: string, node: NodeRun | undefined, gate: Gate | undefined): NodeRunView {
  // Attempts of a redriven run: `attempt` counts within its drive, `drive` says which (absent: the first drive).
  const attempts = (node?.attempts ?? []).map((a) => {
    const { drive, retry } = splitAttempt(a.attempt);
    return drive === 0 ? a : { ...a, attempt: retry, drive };
  });
  const view: NodeRunView = { nodeId, type, status: node?.status ?? 'pending', attempts };
  if (node?.startedAt !== undefined) view.startedAt = node.startedAt;
  if (node?.endedAt !== undefined) view.endedAt = node.endedAt;
  if (node?.output !== undefined) view.output = node.output;
  if (node?.error !== undefined) view.error = node.error;
  if (node?.cost !== undefined) view.cost = node.cost;
  if (node?.reused) view.reused = true;
  if (gate) view.gate = gateView(gate);
  return view;
}

/**
 * Worst-case size of a compiled workflow on Step Functions: state transitions, history events and
 * definition bytes, with the service limits they must fit.
 */
import type { AslStateMachine } from './asl-types';
import { maxTotalAttempts, serviceRetrier } from '../contract/retriers';
import type { ExecutionPlan, PlanStep, PlannedNode } from './plan';

/** Step Functions' limits a compiled workflow must fit. */
export const SFN_LIMITS = {
  /** Most events in one execution's history. */
  maxHistoryEvents: 25_000,
  /** Largest state machine definition, in bytes. */
  maxDefinitionBytes: 1_048_576,
} as const;

/** Worst-case cost of one run of a compiled workflow. */
export interface CompileEstimates {
  /** State transitions when every node runs and exhausts every retry. */
  stateTransitions: number;
  /** History events in that same worst case. */
  historyEvents: number;
  /** Size of the ASL as compact JSON, UTF-8. */
  definitionBytes: number;
}

/** Retries of the service retrier (`MaxAttempts`), on top of the first call. */
const SERVICE_RETRIES = serviceRetrier().maxAttempts;
/** Finalize (success); a failed execution ends at the failing node, which is never more. */
const FINALIZE = { transitions: 1 + SERVICE_RETRIES + 1, events: 2 + 3 * (1 + SERVICE_RETRIES) + 1 };
/** ExecutionStarted and ExecutionSucceeded/Failed. */
const EXECUTION_EVENTS = 2;

/** Computes the worst-case estimates of a plan and its rendered ASL. */
export function estimate(plan: ExecutionPlan, asl: AslStateMachine): CompileEstimates {
  const body = stepsCost(plan);
  return {
    stateTransitions: FINALIZE.transitions + body.transitions,
    historyEvents: EXECUTION_EVENTS + FINALIZE.events + body.events,
    definitionBytes: Buffer.byteLength(JSON.stringify(asl), 'utf8'),
  };
}

/**
 * What one question of an `agent_call` adds to a run (reply-states.ts): `X:ask` (5 events), `X:reply` (6, with
 * TaskSubmitted) and `X:continue` (5), without retries. Not in the worst case above: a person answers questions,
 * so their number is up to the agent and the people replying (at most `MAX_TURNS` per node); an agent that never
 * asks costs what it did before the loop existed.
 */
export const REPLY_LOOP_COST = { transitions: 3, events: 16 } as const;

/** Worst case of one Task with the service retrier only (map-items, collect, item done/failed). */
export const SERVICE_TASK_COST = { transitions: 1 + SERVICE_RETRIES, events: 2 + (1 + SERVICE_RETRIES) * 3 } as const;

/**
 * Worst-case cost of a plan's steps, as its own execution sees them: `events` counts the history events written to
 * this execution (a Distributed Map's items write to their child executions), `transitions` every state transition
 * billed (child executions included).
 */
export function stepsCost(plan: ExecutionPlan): { transitions: number; events: number } {
  let transitions = 0;
  let events = 0;
  const visit = (step: PlanStep): void => {
    if (step.kind === 'parallel') {
      // ParallelStateEntered, Started, Succeeded, Exited.
      transitions += 1;
      events += 4;
      step.branches.forEach((b) => b.forEach(visit));
      return;
    }
    const n = nodeCost(plan.nodes.get(step.id));
    transitions += n.transitions;
    events += n.events;
  };
  plan.steps.forEach(visit);
  return { transitions, events };
}

function nodeCost(node: PlannedNode | undefined): { transitions: number; events: number } {
  if (!node) return { transitions: 0, events: 0 };
  if (node.map) return mapCost(node);
  const attempts = maxTotalAttempts(node.retriers);
  // Per attempt: TaskScheduled, TaskStarted, TaskSucceeded|Failed|TimedOut (+ TaskSubmitted for a token wait:
  // a gate, or a workflow_call, whose child run's history is its own execution's, not counted here).
  const perAttempt = node.type === 'human_gate' || node.type === 'workflow_call' ? 4 : 3;
  let transitions = attempts;
  let events = 2 + attempts * perAttempt;
  if (node.tracked && node.live !== 'always') {
    transitions += 1; // the :route Choice (its :skip Pass is the cheaper path)
    events += 2;
  }
  if (node.onError === 'continue') {
    transitions += 1;
    events += 2;
  }
  if (node.budget === 'gate') {
    // The check state once within budget, or twice around one budget-gate pause (+ submitted events).
    transitions += 2 * (1 + SERVICE_RETRIES);
    events += 2 * (2 + 4 * (1 + SERVICE_RETRIES));
  }
  return { transitions, events };
}

/** A map: its items task, the Map state (every item, inline; the Map Run's own events, distributed) and its collect task. */
function mapCost(node: PlannedNode): { transitions: number; events: number } {
  const map = node.map!;
  let transitions = 2 * SERVICE_TASK_COST.transitions + 1 + map.maxItems * map.perItem.transitions;
  // MapStateEntered, Started, Succeeded, Exited (+ MapRunStarted, MapRunSucceeded when distributed).
  let events = 2 * SERVICE_TASK_COST.events + (map.mode === 'INLINE' ? 4 + map.maxItems * map.perItem.events : 6);
  if (node.tracked && node.live !== 'always') {
    transitions += 1;
    events += 2;
  }
  if (node.onError === 'continue') {
    transitions += 1;
    events += 2;
  }
  return { transitions, events };
}

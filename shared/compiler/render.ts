/**
 * The render step of the compiler: an execution plan to an ASL state machine (JSONPath), following
 * the execution contract in ARCHITECTURE.md (state names, `{ runId, r }` payload, Retry order,
 * finalize states). Output key order is fixed by construction, so the same plan renders the same bytes.
 */
import { budgetCheckName, budgetCheckState, budgetExceededCatch, taskEntry } from './budget-states';
import type { AslChoiceTest, AslState, AslStateMachine, AslTransition, Json } from './asl-types';
import type { ExecutionPlan, LiveTest, PlanStep, PlannedNode } from './plan';
import { renderMap } from './render-map';
import { replyLoopStates } from './reply-states';
import { finalizeState, nodeTaskState } from './task-state';
import { ERROR_NAMES } from '../contract/error-names';

/** The state names the compiler reserves (no node id can take them: ids have no `:`). */
export const STATE_NAMES = {
  finalize: 'braid:finalize',
} as const;

/** The ASL error the finalizer records when a failed execution reports none. */
export const RUN_FAILED_ERROR = ERROR_NAMES.runFailed;

/** Options of the render step. */
export interface RenderOptions {
  /** The executor Lambda's ARN (or a local function name). */
  executorArn: string;
  /** A comment for the state machine. */
  comment?: string;
}

/** Where states are rendered: which plan, and where a failure goes. */
export interface Scope {
  plan: ExecutionPlan;
  executorArn: string;
  /**
   * Where states at this level catch every error: the map's item-failed task at the top of a map body; nowhere at
   * the top level (the failing Task fails the execution, so a redrive reruns it) or inside a Parallel branch (the
   * Parallel itself catches).
   */
  failTo: string | undefined;
  /** Inside a map body: tasks pass the item path (`$.item`) to the executor. */
  inBody: boolean;
}

/**
 * Renders a plan to an ASL state machine. A top-level node that fails for good (no `onError: continue`) fails
 * the execution itself: there is no catch-all into a Fail state, so Step Functions' `RedriveExecution` reruns
 * that node's Task (a redriven Fail state would only fail again). The finalizer records the run's failure from
 * the execution's status change (ARCHITECTURE.md, "Redrive and rerun"). Inside a map body, failures still catch
 * into the item's `:item-failed` task, which is what lets a map tolerate failed items.
 */
export function renderAsl(plan: ExecutionPlan, options: RenderOptions): AslStateMachine {
  const scope: Scope = { plan, executorArn: options.executorArn, failTo: undefined, inBody: false };
  const body = renderSequence(plan.steps, STATE_NAMES.finalize, [], scope);
  return {
    ...(options.comment !== undefined ? { Comment: options.comment } : {}),
    StartAt: body.startAt,
    States: { ...body.states, [STATE_NAMES.finalize]: finalizeState(options.executorArn) },
  };
}

interface Rendered {
  startAt: string;
  states: Record<string, AslState>;
}

/** Renders steps in order; `after` is the state after the last step (undefined: end of a branch). */
export function renderSequence(steps: readonly PlanStep[], after: string | undefined, decidedBefore: readonly string[], scope: Scope): Rendered {
  const states: Record<string, AslState> = {};
  const entries = steps.map((s) => entryOf(s, scope.plan));
  const decided = [...decidedBefore];
  steps.forEach((step, i) => {
    const next = entries[i + 1] ?? after;
    if (step.kind === 'node') {
      Object.assign(states, renderNode(nodeOf(scope.plan, step.id), next, scope));
    } else {
      Object.assign(states, renderParallel(step, next, decided, scope));
    }
    decided.push(...trackedIn(step, scope.plan));
  });
  return { startAt: entries[0] ?? (after as string), states };
}

function renderParallel(step: Extract<PlanStep, { kind: 'parallel' }>, next: string | undefined, decidedBefore: readonly string[], scope: Scope): Record<string, AslState> {
  const inner: Scope = { ...scope, failTo: undefined };
  const branches: AslStateMachine[] = step.branches.map((b) => {
    const r = renderSequence(b, undefined, decidedBefore, inner);
    return { StartAt: r.startAt, States: r.states };
  });
  const branchOf = new Map<string, number>();
  step.branches.forEach((b, i) => b.forEach((s) => trackedIn(s, scope.plan).forEach((t) => branchOf.set(t, i))));
  const carried = scope.plan.carry?.get(step.name) ?? [...new Set([...decidedBefore, ...branchOf.keys()])].sort();
  const result: { ResultSelector?: Record<string, Json>; ResultPath: string | null } =
    carried.length === 0
      ? { ResultPath: null }
      : { ResultSelector: Object.fromEntries(carried.map((t) => [`${t}.$`, `$[${branchOf.get(t) ?? 0}].r.${t}`])), ResultPath: '$.r' };
  return {
    [step.name]: {
      Type: 'Parallel',
      Branches: branches,
      ...result,
      ...catchToFailure(scope),
      ...transition(next),
    },
  };
}

function renderNode(node: PlannedNode, next: string | undefined, scope: Scope): Record<string, AslState> {
  if (node.map) return renderMap(node, next, scope);
  const states: Record<string, AslState> = {};
  const needsRoute = node.tracked && node.live !== 'always';
  if (needsRoute) {
    const tests = (node.live as LiveTest[]).map(choiceTest);
    const rule: AslChoiceTest = tests.length === 1 ? (tests[0] as AslChoiceTest) : { Or: tests };
    states[`${node.id}:route`] = { Type: 'Choice', Choices: [{ ...rule, Next: taskEntry(node) }], Default: `${node.id}:skip` };
  }
  if (node.budget === 'gate') states[budgetCheckName(node.id)] = budgetCheckState(node, scope.executorArn, catchToFailure(scope).Catch);
  let catchTarget: string | undefined;
  if (node.onError === 'continue') {
    if (node.tracked || next === undefined) catchTarget = `${node.id}:continued`;
    else catchTarget = next;
  }
  const task = nodeTaskState(node, {
    executorArn: scope.executorArn,
    next,
    catchTo: catchTarget ?? scope.failTo,
    catchResultPath: catchTarget !== undefined ? null : '$.error',
    inBody: scope.inBody,
  });
  const { catcher, failState } = budgetExceededCatch(node, undefined);
  if (catcher) task.Catch = [catcher, ...(task.Catch ?? [])];
  if (failState) states[failState[0]] = failState[1];
  // An agent that asks a question waits for a reply in its own three states (reply-states.ts).
  const replyLoop = node.type === 'agent_call' ? replyLoopStates(node, task, scope.executorArn, scope.inBody) : {};
  states[node.id] = task;
  Object.assign(states, replyLoop);
  if (catchTarget === `${node.id}:continued`) {
    states[catchTarget] = node.tracked
      ? { Type: 'Pass', Result: { k: 'error' }, ResultPath: `$.r.${node.id}`, ...transition(next) }
      : { Type: 'Pass', ...transition(next) };
  }
  if (needsRoute) {
    states[`${node.id}:skip`] = { Type: 'Pass', Result: { k: 'skip' }, ResultPath: `$.r.${node.id}`, ...transition(next) };
  }
  return states;
}

function choiceTest(t: LiveTest): AslChoiceTest {
  const variable = `$.r.${t.node}.k`;
  return t.kind === 'route' ? { Variable: variable, StringEquals: t.key } : { Not: { Variable: variable, StringEquals: 'skip' } };
}

function catchToFailure(scope: Scope): { Catch?: [{ ErrorEquals: string[]; ResultPath: string; Next: string }] } {
  return scope.failTo !== undefined ? { Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: scope.failTo }] } : {};
}

/** `Next` or `End`. */
export function transition(next: string | undefined): AslTransition {
  return next === undefined ? { End: true } : { Next: next };
}

function entryOf(step: PlanStep, plan: ExecutionPlan): string {
  if (step.kind === 'parallel') return step.name;
  const node = nodeOf(plan, step.id);
  return node.tracked && node.live !== 'always' ? `${node.id}:route` : taskEntry(node);
}

function trackedIn(step: PlanStep, plan: ExecutionPlan): string[] {
  if (step.kind === 'node') return nodeOf(plan, step.id).tracked ? [step.id] : [];
  // Memoized: every enclosing Parallel asks again, which made deep nestings quadratic.
  let tracked = trackedCache.get(step);
  if (!tracked) {
    tracked = step.branches.flatMap((b) => b.flatMap((s) => trackedIn(s, plan)));
    trackedCache.set(step, tracked);
  }
  return tracked;
}

/** Tracked nodes inside each Parallel step (steps belong to one plan, so the step alone is the key). */
const trackedCache = new WeakMap<PlanStep, string[]>();

function nodeOf(plan: ExecutionPlan, id: string): PlannedNode {
  const node = plan.nodes.get(id);
  if (!node) throw new Error(`plan has no node ${id}`);
  return node;
}

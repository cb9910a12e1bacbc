/**
 * Run budgets (README "Budgets"): the run's cap (the workflow's `budget`, or one asked for at start), spend
 * counted per attempt (failed attempts included), the check before each `agent_call`, and the built-in budget
 * gate. With `onBudgetExceeded: "fail"` an `agent_call` of a run over budget fails with `Braid.BudgetExceeded`
 * (and so does the run). With `"gate"` the compiler puts a check state `<node>:budget` before each `agent_call`
 * (a `.waitForTaskToken` task): within budget the executor completes its own token at once; over budget the
 * token joins the run's budget gate (node id `budget`, owner and editors vote, `data.raiseUsd`/`raiseTokens`),
 * whose approval raises the budget and resumes every paused call, and whose rejection fails them.
 */
import { ForbiddenError } from '../errors';
import { ERROR_NAMES } from '../contract/error-names';
import { BudgetExceededError } from '../executors/errors';
import type { BudgetLimit, Cost, Gate, Run, Spent } from '../model/types';
import { TaskClosedError, type Orchestrator } from '../ports/orchestrator';
import { BUDGET_GATE_NODE, BudgetRepository, type StoredBudgetGate } from '../store/budgets';
import { loadRun, nowIso, record, type LoadedRun, type RunStores } from './execution-context';
import { gateOpened } from './gate-lifecycle';
import { openingPrincipals, votesInOrder } from './gate-policy';

/** Node id of the built-in budget gate. */
export const BUDGET_GATE_ID = BUDGET_GATE_NODE;
/** How long a budget gate waits for a decision (also the check state's `TimeoutSeconds`). */
export const BUDGET_GATE_TIMEOUT_SECONDS = 86_400;
/** Share of the budget at which `run.budget_warning` is recorded. */
export const BUDGET_WARNING_RATIO = 0.8;
/** What an approval of the budget gate must carry. */
export const BUDGET_DATA_SCHEMA: Record<string, unknown> = {
  type: 'object',
  properties: { raiseUsd: { type: 'number', exclusiveMinimum: 0 }, raiseTokens: { type: 'integer', exclusiveMinimum: 0 } },
  anyOf: [{ required: ['raiseUsd'] }, { required: ['raiseTokens'] }],
};

/** The run's spend (zero before anything was charged). */
export function spentOf(run: Pick<Run, 'spent'> & { spentUsd?: number; spentTokens?: number }): Spent {
  const raw = run as { spentUsd?: number; spentTokens?: number };
  return { usd: Number(raw.spentUsd ?? run.spent?.usd ?? 0), tokens: Number(raw.spentTokens ?? run.spent?.tokens ?? 0) };
}

/** True when `spent` reached `ratio` of any cap of `budget`. */
export function reached(budget: BudgetLimit | undefined, spent: Spent, ratio = 1): boolean {
  if (!budget) return false;
  return (budget.usd !== undefined && spent.usd >= budget.usd * ratio) || (budget.tokens !== undefined && spent.tokens >= budget.tokens * ratio);
}

/**
 * The budget of a new run: each cap asked for at start, else the workflow's. Above the workflow's cap only
 * the owner may go (403 `budget_above_workflow`).
 */
export function runBudget(requested: BudgetLimit | undefined, workflow: BudgetLimit | undefined, isOwner: boolean): BudgetLimit | undefined {
  const budget: BudgetLimit = { ...workflow, ...requested };
  if (!isOwner && requested && workflow) {
    for (const cap of ['usd', 'tokens'] as const) {
      const asked = requested[cap];
      const limit = workflow[cap];
      if (asked !== undefined && limit !== undefined && asked > limit) {
        throw new ForbiddenError(`budget.${cap} ${asked} is above the workflow's ${limit}; only the owner may start a run with more`, { code: 'budget_above_workflow' });
      }
    }
  }
  return budget.usd === undefined && budget.tokens === undefined ? undefined : budget;
}

function capKey(budget: BudgetLimit): string {
  return `${budget.usd ?? '-'}:${budget.tokens ?? '-'}`;
}

/** What the budget service needs besides the stores. */
export interface BudgetServiceDeps {
  /** Completes check tokens and the budget gate's waiters. */
  orchestrator?: Pick<Orchestrator, 'sendTaskSuccess' | 'sendTaskFailure'>;
}

/** Builds the budget service. */
export function createBudgetService(stores: RunStores, deps: BudgetServiceDeps = {}) {
  const repo = new BudgetRepository(stores.store.table);

  async function warnOrExceed(runId: string, budget: BudgetLimit | undefined, spent: Spent): Promise<void> {
    if (!budget) return;
    const data = { budget, spent };
    if (reached(budget, spent, BUDGET_WARNING_RATIO)) await record(stores, runId, `run.budget_warning:${capKey(budget)}`, { type: 'run.budget_warning', data });
    if (reached(budget, spent)) await record(stores, runId, `run.budget_exceeded:${capKey(budget)}`, { type: 'run.budget_exceeded', data });
  }

  function orchestrator(): Pick<Orchestrator, 'sendTaskSuccess' | 'sendTaskFailure'> {
    if (!deps.orchestrator) throw new Error('the budget check needs an orchestrator to complete its task token');
    return deps.orchestrator;
  }

  async function complete(taskToken: string): Promise<{ route: string }> {
    try {
      await orchestrator().sendTaskSuccess({ taskToken, output: { route: 'ok' } });
    } catch (error) {
      if (!(error instanceof TaskClosedError)) throw error;
    }
    return { route: 'ok' };
  }

  return {
    /** Charges an attempt's reported cost (once per attempt) and records the warning and exceeded events. */
    async charge(runId: string, nodeId: string, attempt: number, cost: Cost | undefined): Promise<void> {
      if (!cost) return;
      const tokens = (cost.inputTokens ?? 0) + (cost.outputTokens ?? 0);
      if (cost.usd === 0 && tokens === 0) return;
      if (!(await repo.markCharged(runId, nodeId, attempt))) return;
      const { spent, budget } = await repo.charge(runId, cost.usd, tokens);
      await warnOrExceed(runId, budget, spent);
    },

    /** Before an `agent_call` of a `fail`-mode run: throws `Braid.BudgetExceeded` when the run is over budget. */
    async beforeAgentCall(loaded: LoadedRun, nodeId: string): Promise<void> {
      if ((loaded.definition.onBudgetExceeded ?? 'fail') !== 'fail') return;
      const run = (await stores.store.runs.get(loaded.run.runId)) ?? loaded.run;
      const spent = spentOf(run);
      if (!reached(run.budget, spent)) return;
      await warnOrExceed(run.runId, run.budget, spent);
      throw new BudgetExceededError(`run ${run.runId} has spent its budget before ${nodeId}`, { budget: run.budget, spent });
    },

    /**
     * The `<node>:budget` check state of a `gate`-mode run: completes its own token within budget; over budget,
     * joins the run's waiting budget gate or opens a new one, and leaves the token waiting.
     */
    async check(runId: string, forNode: string, taskToken: string): Promise<{ route: string }> {
      for (let tries = 0; tries < 5; tries += 1) {
        const loaded = await loadRun(stores, runId);
        const { run } = loaded;
        const spent = spentOf(run);
        if (!reached(run.budget, spent)) return complete(taskToken);
        await warnOrExceed(runId, run.budget, spent);
        const current = await repo.getGate(runId);
        if (current?.status === 'waiting') {
          if (await repo.join(runId, forNode, taskToken)) return { route: 'waiting' };
          continue;
        }
        const openedAt = nowIso(stores);
        const gate: StoredBudgetGate = {
          runId, nodeId: BUDGET_GATE_ID, status: 'waiting', approvers: [], minRole: 'editor', workflowId: run.workflowId, requester: run.startedBy,
          prompt: `Run ${runId} has spent ${spent.usd} USD and ${spent.tokens} tokens of its budget (${run.budget?.usd ?? '-'} USD, ${run.budget?.tokens ?? '-'} tokens) before ${forNode}. Raise it?`,
          openedAt, timeoutAt: new Date(Date.parse(openedAt) + BUDGET_GATE_TIMEOUT_SECONDS * 1000).toISOString(),
          quorum: 1, rejectQuorum: 1, votes: {}, approvals: 0, rejections: 0, waiters: { [forNode]: taskToken },
          inboxPrincipals: openingPrincipals({ approvers: [], workflowId: run.workflowId }, run.ownerId),
        };
        if (!(await repo.open(gate, current))) continue;
        await gateOpened(stores, gate, {});
        try {
          await stores.store.runs.update(runId, { status: 'waiting' }, ['running']);
        } catch {
          // Another gate already made it wait, or the run finished: either way nothing to change.
        }
        await record(stores, runId, `node.waiting:${BUDGET_GATE_ID}:${openedAt}`, {
          type: 'node.waiting', nodeId: BUDGET_GATE_ID, at: openedAt, data: { prompt: gate.prompt, approvers: [], timeoutAt: gate.timeoutAt, budget: run.budget, spent, for: forNode },
        });
        return { route: 'waiting' };
      }
      throw new Error(`the budget gate of run ${runId} kept changing; the check is retried`);
    },

    /**
     * A decided budget gate's effect: an approval raises the budget by `data.raiseUsd`/`raiseTokens` and resumes
     * every paused call; a rejection fails them with `Braid.BudgetExceeded`. Records `gate.approved`/`rejected`.
     */
    async settleGate(gate: Gate): Promise<void> {
      const stored = await repo.getGate(gate.runId);
      if (!stored || stored.openedAt !== gate.openedAt) return;
      const approved = gate.status === 'approved';
      const by = gate.decidedBy ?? 'unknown';
      const at = gate.decidedAt ?? nowIso(stores);
      if (approved) {
        const data = (gate.data ?? {}) as { raiseUsd?: number; raiseTokens?: number };
        const run = await stores.store.runs.get(gate.runId);
        const budget = !(await repo.markRaised(gate.runId, gate.openedAt, at)) ? run?.budget : await repo.raise(gate.runId, { ...(data.raiseUsd !== undefined ? { usd: data.raiseUsd } : {}), ...(data.raiseTokens !== undefined ? { tokens: data.raiseTokens } : {}) }, run ? spentOf(run) : { usd: 0, tokens: 0 });
        await record(stores, gate.runId, `gate.approved:${BUDGET_GATE_ID}:${gate.openedAt}`, { type: 'gate.approved', nodeId: BUDGET_GATE_ID, at, data: { by, budget, votes: votesInOrder(gate) } });
      } else {
        await record(stores, gate.runId, `gate.rejected:${BUDGET_GATE_ID}:${gate.openedAt}`, { type: 'gate.rejected', nodeId: BUDGET_GATE_ID, at, data: { by, votes: votesInOrder(gate) } });
      }
      for (const taskToken of Object.values(stored.waiters ?? {})) {
        try {
          if (approved) await orchestrator().sendTaskSuccess({ taskToken, output: { route: 'ok' } });
          else await orchestrator().sendTaskFailure({ taskToken, error: ERROR_NAMES.budgetExceeded, cause: `the budget gate was rejected by ${by}` });
        } catch (error) {
          if (!(error instanceof TaskClosedError)) throw error;
        }
      }
    },
  };
}

/** The budget service. */
export type BudgetService = ReturnType<typeof createBudgetService>;

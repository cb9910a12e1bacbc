/**
 * The compiler: a workflow definition to an ASL state machine for Step Functions. Pure and
 * deterministic: same definition and options, same bytes. Two steps: plan (`plan.ts`, where a
 * strategy decides what runs when) and render (`render.ts`, the ASL contract).
 */
import type { WorkflowDefinition } from '../definition/schema';
import { validateDefinition } from '../definition/validate';
import type { WorkflowContract } from '../contract/node-contract';
import type { AslStateMachine } from './asl-types';
import { buildContract } from './contract';
import { CompileError } from './errors';
import { estimate, SFN_LIMITS, type CompileEstimates } from './estimate';
import { planWorkflow, type PlanStrategy } from './plan';
import type { DurationHistory } from './plan-weights';
import { renderAsl } from './render';

/** Options of `compileWorkflow`. */
export interface CompileOptions {
  /** ARN of the executor Lambda every Task invokes (locally: any function name). */
  executorArn: string;
  /** How nodes are arranged in time (BENCHMARKS.md compares them). @default "critical-path" */
  strategy?: PlanStrategy;
  /** Recorded node durations, the critical-path planner's weights where a node has no `expectedSeconds` hint. */
  history?: DurationHistory;
}

/** A compiled workflow. */
export interface CompiledWorkflow {
  /** The ASL state machine (JSONPath query language). */
  asl: AslStateMachine;
  /** What the ASL was rendered from, per node: stored with the version, interpreted by the executor. */
  contract: WorkflowContract;
  /** Levels of executable nodes (parallel/join contracted), as the ASL runs them. */
  levels: string[][];
  /** Worst-case size of a run. */
  estimates: CompileEstimates;
}

/**
 * Compiles a definition to its ASL and its contract. Throws `CompileError` when the definition is invalid or cannot fit
 * Step Functions' history (25,000 events) or definition (1 MB) limits.
 * @example
 * const { asl } = compileWorkflow(def, { executorArn: 'arn:aws:lambda:eu-west-1:123456789012:function:executor' });
 */
export function compileWorkflow(def: WorkflowDefinition, options: CompileOptions): CompiledWorkflow {
  const validation = validateDefinition(def);
  if (!validation.valid || !validation.definition) throw new CompileError(validation.errors);
  const plan = planWorkflow(validation.definition, options.strategy ?? 'critical-path', options.history);
  const asl = renderAsl(plan, { executorArn: options.executorArn, comment: `Braid workflow "${def.name}" (${plan.strategy})` });
  const estimates = estimate(plan, asl);
  const issues = [];
  if (estimates.historyEvents > SFN_LIMITS.maxHistoryEvents) {
    issues.push({
      code: 'history_too_long',
      path: '/nodes',
      message: `a run may write ${estimates.historyEvents} history events; Step Functions allows ${SFN_LIMITS.maxHistoryEvents} (fewer nodes or retries)`,
    });
  }
  if (estimates.definitionBytes > SFN_LIMITS.maxDefinitionBytes) {
    issues.push({
      code: 'asl_too_large',
      path: '/nodes',
      message: `the state machine is ${estimates.definitionBytes} bytes; Step Functions allows ${SFN_LIMITS.maxDefinitionBytes}`,
    });
  }
  if (issues.length > 0) throw new CompileError(issues);
  return { asl, contract: buildContract(validation.definition, plan), levels: plan.levels, estimates };
}

/**
 * The contract alone (no ASL): for a stored version that predates contracts. The contract does not depend on
 * the strategy, so it equals the one `compileWorkflow` returns. Throws `CompileError` on an invalid definition.
 */
export function compileContract(def: WorkflowDefinition): WorkflowContract {
  const validation = validateDefinition(def);
  if (!validation.valid || !validation.definition) throw new CompileError(validation.errors);
  return buildContract(validation.definition, planWorkflow(validation.definition, 'levels'));
}

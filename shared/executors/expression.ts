/**
 * Bounded JSONata evaluation, shared by input bindings and condition nodes.
 *
 * Expressions never run on the calling thread: they go to the expression worker pool
 * (`shared/expressions/pool.ts`), which stops a worker at the node's budget whatever it is doing, caps its heap,
 * and runs regular expressions on RE2. Inside the worker JSONata's own guardrails (time between steps, stack
 * depth, sequence length) and Braid's caps on built strings and arrays apply (`shared/expressions/evaluate.ts`).
 */
import { classifyInputString } from '../definition/bindings';
import { BraidError } from '../errors';
import { ExpressionBudgetError, sharedExpressionPool, type ExpressionPool } from '../expressions/pool';
import type { EvaluationOutcome } from '../expressions/evaluate';
import type { BindingScope } from './types';

export { EXPRESSION_LIMITS } from '../expressions/limits';

/** Why an expression did not evaluate: its text did not parse, it failed, or it broke a limit. */
export class ExpressionError extends BraidError {
  /**
   * The JSONata error code (`S0201`, `D1012` for a timeout, …) or Braid's: `result_too_large`,
   * `string_too_large`, `unsupported_regex`, `budget_exceeded`, `memory_exceeded`, `worker_failed`, `deadline_passed`.
   */
  readonly jsonataCode: string;
  constructor(jsonataCode: string, message: string, options?: { cause?: unknown }) {
    super('expression_failed', message, options);
    this.name = 'ExpressionError';
    this.jsonataCode = jsonataCode;
  }
}

/** How a node's expressions are evaluated. */
export interface ExpressionOptions {
  /** The node's deadline (epoch ms): the budget never runs past it. */
  deadline?: number;
  /** The pool to use. @default the process's shared pool */
  pool?: ExpressionPool;
}

/** True for an `inputs` string that Braid evaluates as JSONata (it starts with `$`). */
export function isBindingString(value: unknown): value is string {
  return typeof value === 'string' && classifyInputString(value).kind === 'binding';
}

/** The variables of an evaluation: `$context` is the run input and `$<nodeId>` each output in `scope`. */
function variablesOf(scope: BindingScope): Record<string, unknown> {
  return { ...scope.outputs, context: scope.context };
}

/**
 * Evaluates a node's expressions together, in order, under one budget. Each outcome is a value or an
 * `ExpressionError`; when the budget (or the worker's memory) runs out, the expression it stopped in gets that
 * error and the ones after it are not evaluated (`undefined` in the result).
 */
export async function evaluateExpressions(expressions: string[], scope: BindingScope, options: ExpressionOptions = {}): Promise<(unknown | ExpressionError)[]> {
  const pool = options.pool ?? sharedExpressionPool();
  let outcomes: EvaluationOutcome[];
  try {
    outcomes = await pool.evaluate(expressions, variablesOf(scope), { deadline: options.deadline });
  } catch (error) {
    if (!(error instanceof ExpressionBudgetError)) throw error;
    const stoppedAt = Math.max(0, error.index);
    return expressions.map((_e, i) => (i === stoppedAt ? new ExpressionError(error.code, error.message, { cause: error }) : undefined));
  }
  return outcomes.map((o) => (o.ok ? o.value : new ExpressionError(o.code, o.message)));
}

/**
 * Evaluates `expression` with `$context` bound to the run input and `$<nodeId>` to each output in `scope`.
 * The input document (`$$`) is `{ context, <nodeId>: output, … }`. Returns plain JSON (`undefined` when the
 * expression selects nothing); throws `ExpressionError`.
 *
 * @example
 * await evaluateExpression('$count($search.hotels)', { context: {}, outputs: { search: { hotels: [1, 2] } } }); // 2
 */
export async function evaluateExpression(expression: string, scope: BindingScope, options: ExpressionOptions = {}): Promise<unknown> {
  const [outcome] = await evaluateExpressions([expression], scope, options);
  if (outcome instanceof ExpressionError) throw outcome;
  return outcome;
}

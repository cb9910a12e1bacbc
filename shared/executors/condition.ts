/**
 * `condition` nodes: evaluate the JSONata expression and pick the route key the compiled Choice states
 * read (ARCHITECTURE.md, "`r`, the routing record").
 */
import { whenRouteKey } from '../definition/route-key';
import { BindingFailedError, NotExecutableError } from './errors';
import { evaluateExpression, type ExpressionOptions } from './expression';
import type { BindingScope, ExecutionContext, ExecutionResult } from './types';

export { whenRouteKey };

/**
 * Picks the route for `value` among a condition's route keys (its out-edges', from the contract): the `when`
 * key equal to it, else `default` if a default edge exists, else `none`. `when` literals are JSON scalars, so
 * only a scalar value (a finite number, a string, a boolean, `null`) can match one.
 */
export function pickRoute(value: unknown, routeKeys: readonly string[]): string {
  const scalar = value ?? null;
  const matchable = scalar === null || typeof scalar === 'string' || typeof scalar === 'boolean' || (typeof scalar === 'number' && Number.isFinite(scalar));
  if (matchable && routeKeys.includes(whenRouteKey(scalar))) return whenRouteKey(scalar);
  if (routeKeys.includes('default')) return 'default';
  return 'none';
}

/** A condition node, as the executor needs it. */
export interface ConditionNode {
  id: string;
  expression: string;
}

/**
 * Evaluates the condition against the run's bindings. The output is `{ value, route }` (`value` is `null`
 * when the expression selects nothing); a failed expression throws `Braid.BindingFailed` (`expression`).
 */
export async function executeCondition(node: ConditionNode, ctx: ExecutionContext): Promise<ExecutionResult> {
  if (!ctx.scope || !ctx.routeKeys) {
    throw new NotExecutableError(`condition ${node.id} needs ctx.scope and ctx.routeKeys`);
  }
  return evaluateCondition(node, ctx.scope, ctx.routeKeys, { deadline: ctx.deadline });
}

/** The pure core of `executeCondition`: evaluate (on an expression worker, within the node's budget), then route. */
export async function evaluateCondition(
  node: ConditionNode,
  scope: BindingScope,
  routeKeys: readonly string[],
  options: ExpressionOptions = {},
): Promise<ExecutionResult> {
  let value: unknown;
  try {
    value = await evaluateExpression(node.expression, scope, options);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new BindingFailedError('expression', message, { cause: error });
  }
  const route = pickRoute(value, routeKeys);
  return { output: { value: value ?? null, route }, route };
}

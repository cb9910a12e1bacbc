/**
 * `condition` nodes: evaluate the JSONata expression and pick the route key the compiled Choice states
 * read (ARCHITECTURE.md, "`r`, the routing record").
 */
import { whenRouteKey } from '../definition/route-key';
import type { EdgeDef } from '../definition/schema';
import { BindingFailedError, NotExecutableError } from './errors';
import { evaluateExpression, type ExpressionOptions } from './expression';
import type { BindingScope, ExecutionContext, ExecutionResult } from './types';

export { whenRouteKey };

/**
 * Picks the route for `value` among a condition's out-edges: the key of the `when` edges equal to it,
 * else `default` if a default edge exists, else `none`. `when` literals are JSON scalars, so deep equality
 * is strict equality (an object or array value matches no `when`).
 */
export function pickRoute(value: unknown, outEdges: readonly EdgeDef[]): string {
  const matched = outEdges.find((edge) => edge.when !== undefined && edge.when === (value ?? null));
  if (matched) return whenRouteKey(matched.when);
  if (outEdges.some((edge) => edge.default === true)) return 'default';
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
  if (!ctx.scope || !ctx.outEdges) {
    throw new NotExecutableError(`condition ${node.id} needs ctx.scope and ctx.outEdges`);
  }
  return evaluateCondition(node, ctx.scope, ctx.outEdges, { deadline: ctx.deadline });
}

/** The pure core of `executeCondition`: evaluate (on an expression worker, within the node's budget), then route. */
export async function evaluateCondition(
  node: ConditionNode,
  scope: BindingScope,
  outEdges: readonly EdgeDef[],
  options: ExpressionOptions = {},
): Promise<ExecutionResult> {
  let value: unknown;
  try {
    value = await evaluateExpression(node.expression, scope, options);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new BindingFailedError('expression', message, { cause: error });
  }
  const route = pickRoute(value, outEdges);
  return { output: { value: value ?? null, route }, route };
}

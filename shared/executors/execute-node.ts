/**
 * The dispatcher: runs one attempt of a node with the executor of its type/kind, and enforces what every
 * executor shares (an aborted attempt does not start, the output size cap, stable error names).
 */
import type { NodeDef } from '../definition/schema';
import { executeAgentCall } from './agent-call';
import { abortedError } from './attempt-signal';
import { executeBuiltin } from './builtin-tool';
import { executeCondition } from './condition';
import { ExecutorError, NodeFailedError, NotExecutableError } from './errors';
import { executeHttpTool } from './http-tool';
import { executeLambdaTool } from './lambda-tool';
import { executeMcpTool } from './mcp-tool';
import { assertOutputSize } from './output-limit';
import type { ExecutionContext, ExecutionResult, ExecutorDeps } from './types';

/**
 * Executes one attempt of `node` with its resolved inputs. `condition` nodes read `ctx.scope` and
 * `ctx.routeKeys` instead of inputs. `human_gate`, `parallel` and `join` are not executed here
 * (`NotExecutableError`). Every failure is an `ExecutorError` whose `name` is an ASL error name; an
 * unexpected error becomes `Braid.NodeFailed`.
 *
 * @example
 * const { output, cost } = await executeNode(node, await resolveInputs(node.inputs, scope), ctx, { lambda });
 */
export async function executeNode(
  node: NodeDef,
  inputs: Record<string, unknown>,
  ctx: ExecutionContext,
  deps: ExecutorDeps = {},
): Promise<ExecutionResult> {
  if (ctx.signal.aborted || Date.now() >= ctx.deadline) throw abortedError(ctx, `node ${node.id}`, ctx.signal.reason);
  let result: ExecutionResult;
  try {
    result = await dispatch(node, inputs, ctx, deps);
  } catch (error) {
    if (error instanceof ExecutorError || error instanceof NotExecutableError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new NodeFailedError(`node ${node.id} failed: ${message}`, {}, { cause: error });
  }
  assertOutputSize(result.output);
  return result;
}

function dispatch(node: NodeDef, inputs: Record<string, unknown>, ctx: ExecutionContext, deps: ExecutorDeps): Promise<ExecutionResult> {
  switch (node.type) {
    case 'agent_call':
      return executeAgentCall(node, inputs, ctx, deps.fetch);
    case 'condition':
      return executeCondition(node, ctx);
    case 'tool_call':
      switch (node.tool.kind) {
        case 'http':
          return executeHttpTool(node.tool, inputs, ctx, deps.fetch);
        case 'mcp':
          return executeMcpTool(node.tool, inputs, ctx, deps.fetch);
        case 'lambda':
          return executeLambdaTool(node.tool, inputs, ctx, deps.lambda);
        case 'builtin':
          return executeBuiltin(node.tool.name, inputs, ctx);
      }
      break;
    case 'human_gate':
    case 'parallel':
    case 'join':
      break;
  }
  return Promise.reject(new NotExecutableError(`node ${node.id} of type ${node.type} is not run by executeNode`));
}

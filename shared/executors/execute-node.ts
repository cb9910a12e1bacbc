/**
 * The dispatcher: runs one attempt of a node with the executor of its type/kind, and enforces what every
 * executor shares (an aborted attempt does not start, the output size cap, stable error names).
 */
import type { NodeDef } from '../definition/schema';
import { createEgressGuard, type EgressGuard } from '../egress/guard';
import type { AuthConfig } from '../outbound/auth-schema';
import { createOutbound, type Outbound } from '../outbound/outbound';
import type { Redactor } from '../secrets/redact';
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
      return withOutbound(node.agent.auth, ctx, deps, (outbound) => executeAgentCall(node, inputs, ctx, outbound));
    case 'condition':
      return executeCondition(node, ctx);
    case 'tool_call':
      switch (node.tool.kind) {
        case 'http': {
          const tool = node.tool;
          return withOutbound(tool.auth, ctx, deps, (outbound) => executeHttpTool(tool, inputs, ctx, outbound));
        }
        case 'mcp': {
          const tool = node.tool;
          return withOutbound(tool.auth, ctx, deps, (outbound) => executeMcpTool(tool, inputs, ctx, outbound));
        }
        case 'lambda':
          return executeLambdaTool(node.tool, inputs, ctx, deps.lambda, deps.lambdaTools);
        case 'builtin':
          return executeBuiltin(node.tool.name, inputs, ctx);
      }
      break;
    case 'human_gate':
    case 'workflow_call':
    case 'parallel':
    case 'join':
      break;
  }
  return Promise.reject(new NotExecutableError(`node ${node.id} of type ${node.type} is not run by executeNode`));
}

let defaultGuard: EgressGuard | undefined;

/**
 * Runs a network executor with its outbound kit (egress guard, auth, secrets) and keeps every secret value it
 * resolved out of its output and its error.
 */
async function withOutbound(
  auth: AuthConfig | undefined,
  ctx: ExecutionContext,
  deps: ExecutorDeps,
  run: (outbound: Outbound) => Promise<ExecutionResult>,
): Promise<ExecutionResult> {
  const egress = deps.egress ?? (defaultGuard ??= createEgressGuard());
  let redactor: Redactor | undefined;
  try {
    const outbound = await createOutbound(auth, { ownerId: ctx.ownerId, signal: ctx.signal }, { ...deps, egress });
    redactor = outbound.redactor;
    const result = await run(outbound);
    return redactor.empty ? result : { ...result, output: redactor.value(result.output) };
  } catch (error) {
    if (redactor && !redactor.empty && error instanceof Error) {
      error.message = redactor.text(error.message);
      if (error instanceof ExecutorError) Object.assign(error.details, redactor.value(error.details));
    }
    throw error;
  }
}

/**
 * Node executors: run one attempt of a node and resolve its input bindings. The executor Lambda
 * (`functions/executor`) and the local stack build on these.
 */
export { executeNode } from './execute-node';
export { resolveInputs } from './resolve-inputs';
export { evaluateExpression, evaluateExpressions, isBindingString, EXPRESSION_LIMITS, ExpressionError } from './expression';
export { evaluateCondition, pickRoute, whenRouteKey } from './condition';
export { MAX_OUTPUT_BYTES, MAX_RESPONSE_BYTES, assertOutputSize, guardResponses } from './output-limit';
export { idempotencyKey } from './http-tool';
export { agentMessageId, AgentUsageSchema, type AgentOutput } from './agent-call';
export { MAX_SLEEP_MS } from './builtin-tool';
export { MCP_IDEMPOTENCY_META_KEY } from './mcp-tool';
export {
  EXECUTOR_ERROR_NAMES,
  ExecutorError,
  NodeFailedError,
  TransientError,
  BindingFailedError,
  OutputTooLargeError,
  MapFailedError,
  NotExecutableError,
  toErrorInfo,
  BudgetExceededError,
  InputRequiredError,
} from './errors';
export type { ExecutionContext, ExecutionResult, ExecutorDeps, BindingScope, AgentContinuation } from './types';

/**
 * `tool_call` of kind `lambda`: invoke a user's Lambda function synchronously with the node's inputs.
 */
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { ToolDef } from '../definition/schema';
import { EgressDeniedError } from '../egress/errors';
import { abortedError, attemptSignal } from './attempt-signal';
import { NodeFailedError, NotExecutableError, OutputTooLargeError, TransientError } from './errors';
import { MAX_RESPONSE_BYTES } from './output-limit';
import type { ExecutionContext, ExecutionResult, LambdaToolPolicy } from './types';

/** The `lambda` tool definition. */
export type LambdaTool = Extract<ToolDef, { kind: 'lambda' }>;

/** Lambda service errors that mean "try again later" (`Braid.Transient`). */
const TRANSIENT_LAMBDA_ERRORS = new Set([
  'TooManyRequestsException',
  'ServiceException',
  'EC2ThrottledException',
  'ResourceNotReadyException',
  'ThrottlingException',
]);

/** What a Lambda tool receives in `context.clientContext.custom`: who called it. */
export interface LambdaToolCaller {
  runId: string;
  workflowId: string;
  ownerId: string;
  nodeId: string;
  attempt: number;
}

/** The `ClientContext` of an invocation: base64 JSON `{ "custom": caller }` (Lambda passes it to the function). */
export function lambdaClientContext(ctx: ExecutionContext): string {
  const custom: LambdaToolCaller = { runId: ctx.runId, workflowId: ctx.workflowId ?? '', ownerId: ctx.ownerId ?? '', nodeId: ctx.nodeId, attempt: ctx.attempt };
  return Buffer.from(JSON.stringify({ custom }), 'utf8').toString('base64');
}

/** `*` at the end matches any suffix; everything else is literal. */
function matches(pattern: string, value: string): boolean {
  return pattern.endsWith('*') ? value.startsWith(pattern.slice(0, -1)) : value === pattern;
}

/** Throws `Braid.EgressDenied` when the policy does not let the workflow's owner invoke the function. */
export function assertLambdaAllowed(functionArn: string, ownerId: string | undefined, policy: LambdaToolPolicy | undefined): void {
  const name = functionArn.split(':')[6] ?? functionArn;
  if (policy?.functionPattern && !matches(policy.functionPattern, name)) {
    throw new EgressDeniedError(name, 'lambda-pattern', `function ${name} is not a tool function of this deployment (allowed: ${policy.functionPattern})`);
  }
  if (policy?.ownerAllow) {
    const allowed = ownerId !== undefined ? (policy.ownerAllow[ownerId] ?? []) : [];
    const unqualified = functionArn.split(':').slice(0, 7).join(':');
    if (!allowed.some((pattern) => matches(pattern, functionArn) || matches(pattern, unqualified))) {
      throw new EgressDeniedError(name, 'lambda-allowlist', `the workflow's owner may not invoke function ${name} (not in the owner's Lambda tool allowlist)`);
    }
  }
}

/**
 * Invokes `tool.functionArn` (`RequestResponse`) with the inputs as the JSON payload and the caller (run,
 * workflow, owner, node, attempt) in `ClientContext`. The function's JSON result is the output. A function error
 * (`FunctionError` set) is `Braid.NodeFailed` with the function's `errorType`/`errorMessage`; throttling and
 * Lambda service faults are `Braid.Transient`; a function the policy does not allow is `Braid.EgressDenied`.
 */
export async function executeLambdaTool(
  tool: LambdaTool,
  inputs: Record<string, unknown>,
  ctx: ExecutionContext,
  client: Pick<LambdaClient, 'send'> | undefined,
  policy?: LambdaToolPolicy,
): Promise<ExecutionResult> {
  if (!client) throw new NotExecutableError('lambda tools need deps.lambda (a LambdaClient)');
  assertLambdaAllowed(tool.functionArn, ctx.ownerId, policy);
  const signal = attemptSignal(ctx);
  const command = new InvokeCommand({
    FunctionName: tool.functionArn,
    InvocationType: 'RequestResponse',
    ClientContext: lambdaClientContext(ctx),
    Payload: new TextEncoder().encode(JSON.stringify(inputs)),
  });
  let response;
  try {
    response = await client.send(command, { abortSignal: signal });
  } catch (error) {
    if (signal.aborted) throw abortedError(ctx, `invoke ${tool.functionArn}`, error);
    const name = error instanceof Error ? error.name : 'Error';
    const message = error instanceof Error ? error.message : String(error);
    if (TRANSIENT_LAMBDA_ERRORS.has(name)) {
      throw new TransientError(`invoke ${tool.functionArn}: ${name}: ${message}`, { lambdaError: name }, { cause: error });
    }
    throw new NodeFailedError(`invoke ${tool.functionArn}: ${name}: ${message}`, { lambdaError: name }, { cause: error });
  }
  // Lambda returns up to 6 MB; nothing past the executors' response cap is decoded.
  if (response.Payload && response.Payload.byteLength > MAX_RESPONSE_BYTES) throw new OutputTooLargeError(response.Payload.byteLength, MAX_RESPONSE_BYTES);
  const text = response.Payload ? new TextDecoder().decode(response.Payload) : '';
  const payload = parsePayload(text);
  if (response.FunctionError) {
    const fault = (typeof payload === 'object' && payload !== null ? payload : {}) as { errorType?: unknown; errorMessage?: unknown };
    const errorType = typeof fault.errorType === 'string' ? fault.errorType : response.FunctionError;
    const errorMessage = typeof fault.errorMessage === 'string' ? fault.errorMessage : text.slice(0, 1_024);
    throw new NodeFailedError(`function ${tool.functionArn} failed: ${errorType}: ${errorMessage}`, {
      functionError: response.FunctionError,
      errorType,
      statusCode: response.StatusCode,
    });
  }
  return { output: payload };
}

function parsePayload(text: string): unknown {
  if (text.length === 0) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

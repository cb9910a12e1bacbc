/**
 * `agent_call` nodes: a real A2A client (`@a2a-js/sdk`, protocol 1.0, JSON-RPC or HTTP+JSON as the agent
 * card offers) sends one message per attempt and turns the reply into the node's output.
 */
import { Role, TaskState, type AgentCard, type Artifact, type Message, type Part, type StreamResponse, type Task } from '@a2a-js/sdk';
import {
  ClientFactory,
  ClientFactoryOptions,
  DefaultAgentCardResolver,
  JsonRpcTransportFactory,
  RestTransportFactory,
  type Client,
} from '@a2a-js/sdk/client';
import * as z from 'zod';
import type { Cost } from '../model/types';
import type { AuthConfig } from '../outbound/auth-schema';
import { assertCardSecurity } from '../outbound/card-security';
import type { Outbound } from '../outbound/outbound';
import { abortableDelay, abortedError, attemptSignal } from './attempt-signal';
import { ExecutorError, InputRequiredError, NodeFailedError } from './errors';
import { guardResponses } from './output-limit';
import { idempotencyKey } from './http-tool';
import type { ExecutionContext, ExecutionResult } from './types';

/** An `agent_call` node, as the executor needs it. */
export interface AgentCallNode {
  agent: { url: string; auth?: AuthConfig };
}

/** The output of an `agent_call` node. */
export interface AgentOutput {
  /** The reply's text parts, joined by newlines (`""` when there are none). */
  text: string;
  /** The reply's data part (an array when there are several, `null` when none). */
  data: unknown;
  /** The final task state when the agent answered with a Task (`completed`, …). */
  taskState?: string;
}

/** How often a non-blocking agent's task is polled until it reaches a final state. */
const POLL_INTERVAL_MS = 250;

/** Usage an agent reports in `metadata.usage` of its reply (Message, Task, status message or artifact). */
export const AgentUsageSchema = z.object({
  inputTokens: z.number().int().nonnegative().optional(),
  outputTokens: z.number().int().nonnegative().optional(),
  costUsd: z.number().nonnegative().finite().optional(),
});

/** The A2A message id of an attempt: stable per (run, node, attempt), so a redelivery is recognisable. */
export function agentMessageId(ctx: Pick<ExecutionContext, 'runId' | 'nodeId' | 'attempt'>): string {
  return `braid:${idempotencyKey(ctx)}`;
}

/**
 * Sends the node's `message` input as a text part and the other inputs as one data part (blocking send, or
 * streaming when the card says so), then waits (polling `GetTask`) until the task, if any, is final. Output:
 * `{ text, data, taskState? }`; `metadata.usage` of the reply is returned as `cost`. A task that reaches
 * `input-required` is `Braid.InputRequired` (its question and usage on the error); a continued turn
 * (`ctx.continuation`) sends the reply to that same task and context. A failed, rejected, cancelled or
 * auth-needing task, a JSON-RPC error or an HTTP failure is `Braid.NodeFailed`.
 */
export async function executeAgentCall(
  node: AgentCallNode,
  inputs: Record<string, unknown>,
  ctx: ExecutionContext,
  outbound: Outbound,
): Promise<ExecutionResult> {
  const signal = attemptSignal(ctx);
  const where = `agent ${node.agent.url}`;
  // The SDK's errors do not carry the HTTP status; remember the last failed response's.
  const http = { lastFailedStatus: undefined as number | undefined };
  // Every response body (the card included) stops at MAX_RESPONSE_BYTES (a 50 MB card once grew memory by 150 MB).
  const guard = guardResponses(outbound.fetch);
  const observedFetch: typeof fetch = async (input, init) => {
    const response = await guard.fetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, signal]) : signal });
    if (!response.ok) http.lastFailedStatus = response.status;
    return response;
  };
  try {
    const { client, card } = await connect(node, observedFetch, where);
    const options = { signal, serviceParameters: { 'Idempotency-Key': idempotencyKey(ctx) } };
    const request = {
      tenant: '',
      message: ctx.continuation ? buildReply(ctx) : buildMessage(inputs, ctx),
      configuration: { acceptedOutputModes: [], taskPushNotificationConfig: undefined, returnImmediately: false },
      metadata: undefined,
    };
    // An agent whose card says it streams: its deltas become live progress, the final output is the same.
    let result: Message | Task = card.capabilities?.streaming
      ? await streamMessage(client.sendMessageStream(request, options), ctx, where)
      : await client.sendMessage(request, options);
    while (isTask(result) && !isFinal(result)) {
      await abortableDelay(POLL_INTERVAL_MS, ctx, where);
      result = await client.getTask({ tenant: '', id: result.id, historyLength: 0 }, options);
    }
    return isTask(result) ? fromTask(result, where) : { output: fromParts(result.parts), ...costOf([result.metadata]) };
  } catch (error) {
    if (guard.tripped) throw guard.tripped;
    if (error instanceof ExecutorError) throw error;
    const denial = outbound.denial(error);
    if (denial) throw denial;
    if (signal.aborted) throw abortedError(ctx, where, error);
    const message = error instanceof Error ? error.message : String(error);
    const details: Record<string, unknown> = http.lastFailedStatus === undefined ? {} : { status: http.lastFailedStatus };
    throw new NodeFailedError(`${where} failed: ${message}`, details, { cause: error });
  }
}

/**
 * Fetches the agent's card (a URL ending in `.json` is the card itself, else the card is at the well-known path),
 * checks that the node's `auth` meets the card's declared security (`Braid.AuthUnsupported` otherwise), and builds
 * a client whose every request (card included) goes through the guarded, authenticated fetch.
 */
async function connect(node: AgentCallNode, boundFetch: typeof fetch, where: string): Promise<{ client: Client; card: AgentCard }> {
  // A2A 0.3 agents too: the SDK's compat layer reads a 0.3 card and speaks 0.3 on the wire (`message/send`,
  // `kind`, `input-required`), handing the same 1.0 shapes up here.
  const legacyCompat = { enabled: true };
  const resolver = new DefaultAgentCardResolver({ fetchImpl: boundFetch, legacyCompat });
  const { url } = node.agent;
  const card = new URL(url).pathname.endsWith('.json') ? await resolver.resolve(url, '') : await resolver.resolve(url);
  assertCardSecurity(card, node.agent.auth, where);
  const factory = new ClientFactory(
    ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
      transports: [new JsonRpcTransportFactory({ fetchImpl: boundFetch, legacyCompat }), new RestTransportFactory({ fetchImpl: boundFetch, legacyCompat })],
      cardResolver: resolver,
    }),
  );
  return { client: await factory.createFromAgentCard(card), card };
}

/**
 * Reads an A2A stream (`SendStreamingMessage`) to its end: reports text deltas, artifact updates and task states
 * to `ctx.progress`, and rebuilds what a blocking send would have answered (the message, or the task with its
 * artifacts, appended chunks joined), so the node's output does not depend on streaming.
 */
async function streamMessage(stream: AsyncGenerator<StreamResponse, void, undefined>, ctx: ExecutionContext, where: string): Promise<Message | Task> {
  let task: Task | undefined;
  let message: Message | undefined;
  const artifacts = new Map<string, Artifact>();
  for await (const event of stream) {
    const payload = event.payload;
    if (!payload) continue;
    if (payload.$case === 'message') {
      message = payload.value;
      const text = fromParts(payload.value.parts).text;
      if (text) ctx.progress?.({ text });
    } else if (payload.$case === 'task') {
      task = payload.value;
      for (const artifact of payload.value.artifacts) artifacts.set(artifact.artifactId, artifact);
      if (payload.value.status) ctx.progress?.({ state: stateName(payload.value.status.state) });
    } else if (payload.$case === 'statusUpdate') {
      const { status, taskId, contextId, metadata } = payload.value;
      task = task ? { ...task, status } : { id: taskId, contextId, status, artifacts: [], history: [], metadata };
      if (status) ctx.progress?.({ state: stateName(status.state) });
    } else if (payload.$case === 'artifactUpdate') {
      const { artifact, append } = payload.value;
      if (!artifact) continue;
      const previous = artifacts.get(artifact.artifactId);
      artifacts.set(artifact.artifactId, append && previous ? appendArtifact(previous, artifact) : artifact);
      const text = artifact.parts.flatMap((p) => (p.content?.$case === 'text' ? [p.content.value] : [])).join('');
      if (text) ctx.progress?.({ text });
      const kinds = artifact.parts.flatMap((p) => (p.content && p.content.$case !== 'text' ? [p.content.$case] : []));
      if (kinds.length > 0) ctx.progress?.({ artifact: { artifactId: artifact.artifactId, ...(artifact.name ? { name: artifact.name } : {}), parts: kinds } });
    }
  }
  if (task) return { ...task, artifacts: [...artifacts.values()] };
  if (message) return message;
  throw new NodeFailedError(`${where} ended its stream without a task or a message`, {});
}

/** An artifact chunk appended to what came before: adjacent text parts are joined, as one text. */
function appendArtifact(previous: Artifact, chunk: Artifact): Artifact {
  const parts = [...previous.parts];
  for (const part of chunk.parts) {
    const last = parts.at(-1);
    if (last?.content?.$case === 'text' && part.content?.$case === 'text') {
      parts[parts.length - 1] = { ...last, content: { $case: 'text', value: last.content.value + part.content.value } };
    } else {
      parts.push(part);
    }
  }
  return { ...previous, parts, metadata: chunk.metadata ?? previous.metadata };
}

/** The reply of a continued turn, as a message of the same task and context (A2A: a mismatch is rejected). */
function buildReply(ctx: ExecutionContext): Message {
  const { reply, taskId, contextId } = ctx.continuation!;
  const parts: Part[] = [];
  if (reply.text !== undefined) parts.push({ content: { $case: 'text', value: reply.text }, metadata: undefined, filename: '', mediaType: 'text/plain' });
  if (reply.data !== undefined) parts.push({ content: { $case: 'data', value: reply.data as Record<string, unknown> }, metadata: undefined, filename: '', mediaType: 'application/json' });
  return {
    messageId: agentMessageId(ctx), contextId, taskId, role: Role.ROLE_USER, parts,
    metadata: { braid: { runId: ctx.runId, nodeId: ctx.nodeId, attempt: ctx.attempt, turn: ctx.continuation!.turn } },
    extensions: [], referenceTaskIds: [],
  };
}

function buildMessage(inputs: Record<string, unknown>, ctx: ExecutionContext): Message {
  const { message, ...rest } = inputs;
  const parts: Part[] = [];
  if (message !== undefined) {
    parts.push({ content: { $case: 'text', value: typeof message === 'string' ? message : JSON.stringify(message) }, metadata: undefined, filename: '', mediaType: 'text/plain' });
  }
  if (Object.keys(rest).length > 0 || parts.length === 0) {
    parts.push({ content: { $case: 'data', value: rest }, metadata: undefined, filename: '', mediaType: 'application/json' });
  }
  return {
    messageId: agentMessageId(ctx),
    contextId: '',
    taskId: '',
    role: Role.ROLE_USER,
    parts,
    metadata: { braid: { runId: ctx.runId, nodeId: ctx.nodeId, attempt: ctx.attempt } },
    extensions: [],
    referenceTaskIds: [],
  };
}

function isTask(result: Message | Task): result is Task {
  return 'status' in result && 'artifacts' in result;
}

const FINAL_STATES = new Set([
  TaskState.TASK_STATE_COMPLETED,
  TaskState.TASK_STATE_FAILED,
  TaskState.TASK_STATE_CANCELED,
  TaskState.TASK_STATE_REJECTED,
  TaskState.TASK_STATE_INPUT_REQUIRED,
  TaskState.TASK_STATE_AUTH_REQUIRED,
]);

function isFinal(task: Task): boolean {
  return task.status !== undefined && FINAL_STATES.has(task.status.state);
}

/** `TASK_STATE_INPUT_REQUIRED` → `input-required`. */
function stateName(state: TaskState): string {
  const name = TaskState[state] ?? 'UNRECOGNIZED';
  return name.replace(/^TASK_STATE_/, '').toLowerCase().replaceAll('_', '-');
}

function fromTask(task: Task, where: string): ExecutionResult {
  const state = task.status?.state ?? TaskState.TASK_STATE_UNSPECIFIED;
  const taskState = stateName(state);
  const statusMessage = task.status?.message;
  if (state === TaskState.TASK_STATE_INPUT_REQUIRED) {
    // The agent's question is its status message (A2A); its usage so far counts for this turn.
    const usage = costOf([task.metadata, statusMessage?.metadata, ...task.artifacts.map((artifact) => artifact.metadata)]);
    const asked = new InputRequiredError(fromParts(statusMessage?.parts ?? []), { taskId: task.id, contextId: task.contextId }, { taskState, ...usage });
    if (usage.cost) asked.cost = usage.cost;
    throw asked;
  }
  if (state !== TaskState.TASK_STATE_COMPLETED) {
    const reason = statusMessage ? fromParts(statusMessage.parts).text : '';
    // A failed task's usage still counts: against the run's budget (`details.cost`) and on the failed attempt.
    const usage = costOf([task.metadata, statusMessage?.metadata, ...task.artifacts.map((artifact) => artifact.metadata)]);
    const failed = new NodeFailedError(`${where} ended its task ${taskState}${reason ? `: ${reason.slice(0, 512)}` : ''}`, { taskState, taskId: task.id, ...usage });
    if (usage.cost) failed.cost = usage.cost;
    throw failed;
  }
  const artifactParts = task.artifacts.flatMap((artifact) => artifact.parts);
  const parts = artifactParts.length > 0 ? artifactParts : (statusMessage?.parts ?? []);
  return {
    output: { ...fromParts(parts), taskState },
    ...costOf([task.metadata, statusMessage?.metadata, ...task.artifacts.map((artifact) => artifact.metadata)]),
  };
}

function fromParts(parts: readonly Part[]): AgentOutput {
  const text: string[] = [];
  const data: unknown[] = [];
  for (const part of parts) {
    if (part.content?.$case === 'text') text.push(part.content.value);
    else if (part.content?.$case === 'data') data.push(part.content.value ?? null);
  }
  return { text: text.join('\n'), data: data.length === 0 ? null : data.length === 1 ? data[0] : data };
}

/** The first valid `metadata.usage` among the candidates, as a `Cost`. */
function costOf(candidates: ReadonlyArray<Record<string, unknown> | undefined>): { cost?: Cost } {
  for (const metadata of candidates) {
    const parsed = AgentUsageSchema.safeParse(metadata?.usage);
    if (!parsed.success || metadata?.usage === undefined) continue;
    const { inputTokens, outputTokens, costUsd } = parsed.data;
    const cost: Cost = { usd: costUsd ?? 0 };
    if (inputTokens !== undefined) cost.inputTokens = inputTokens;
    if (outputTokens !== undefined) cost.outputTokens = outputTokens;
    return { cost };
  }
  return {};
}

/**
 * The shapes shared by every node executor: what an attempt knows about itself, what it returns,
 * and the clients it may use.
 */
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { EgressGuard } from '../egress/guard';
import type { Cost } from '../model/types';
import type { OutboundDeps } from '../outbound/outbound';
import type { SecretReader } from '../secrets/vault';

/** What one attempt of a node knows about itself. */
export interface ExecutionContext {
  runId: string;
  nodeId: string;
  /** 0 for the first attempt, as `$$.State.RetryCount`. */
  attempt: number;
  /** The workflow's owner: secrets resolve from this user's namespace; Lambda tools learn who called. */
  ownerId?: string;
  /** The run's workflow (sent to Lambda tools in `ClientContext`). */
  workflowId?: string;
  /** Aborted when the attempt must stop (cancel, Lambda about to time out). */
  signal: AbortSignal;
  /** Epoch milliseconds after which the attempt is abandoned (the node's timeout). */
  deadline: number;
  /** The run's binding scope; required by `condition` nodes. */
  scope?: BindingScope;
  /** The route keys of the node's outgoing edges (its contract's `routeKeys`); required by `condition` nodes. */
  routeKeys?: readonly string[];
  /** Receives live progress (A2A streaming, MCP progress); the executor coalesces it into `node.progress` events. */
  progress?: (update: NodeProgress) => void;
  /**
   * For an `agent_call` that asked a question: the turn after the reply. The attempt sends the reply to the same
   * A2A task and context instead of the node's inputs. @default none (the first turn)
   */
  continuation?: AgentContinuation;
}

/** The reply an `agent_call` continues with, and the A2A task it goes to. */
export interface AgentContinuation {
  /** The turn this attempt runs (1 after the first reply, …). */
  turn: number;
  taskId: string;
  contextId: string;
  reply: { text?: string; data?: unknown };
}

/** One piece of live progress of a node: a text delta, an artifact update, a task state, an MCP progress. */
export interface NodeProgress {
  /** Text produced since the last update (appended by watchers). */
  text?: string;
  /** An artifact the agent added or extended: its id, name and the kinds of its parts. */
  artifact?: { artifactId: string; name?: string; parts: string[] };
  /** The agent task's state (`working`, `input-required`, …). */
  state?: string;
  /** MCP `notifications/progress`: how far, of how much, and the server's message. */
  progress?: { progress: number; total?: number; message?: string };
}

/** What a binding or a condition may read: the run input and the outputs of finished nodes. */
export interface BindingScope {
  /** The run input, bound as `$context`. */
  context: unknown;
  /** Outputs of finished nodes by node id, each bound as `$<nodeId>`. */
  outputs: Record<string, unknown>;
}

/** What a successful attempt produced. */
export interface ExecutionResult {
  /** The node's output (JSON); stored and visible to later bindings as `$<nodeId>`. */
  output: unknown;
  /** Usage and cost the agent reported, if any. */
  cost?: Cost;
  /** For a `condition` node: the route key it chose (`w:<json>`, `default` or `none`). */
  route?: string;
}

/** Which Lambda functions `lambda` tools may invoke (README, "Security": Lambda tools per tenant). */
export interface LambdaToolPolicy {
  /** Function names the deployment allows (`braid:toolFunctionPattern`, e.g. `braid-tool-*`); others are refused before the call. */
  functionPattern?: string;
  /** Per owner: the function ARNs (a trailing `*` matches a prefix) that owner's workflows may invoke. An owner not listed may invoke none. */
  ownerAllow?: Readonly<Record<string, readonly string[]>>;
}

/** Clients the executors need, built once per process by the composition root. */
export interface ExecutorDeps extends Partial<Omit<OutboundDeps, 'secrets'>> {
  /** For `tool_call` nodes of kind `lambda`. */
  lambda?: Pick<LambdaClient, 'send'>;
  /** The guard every network call goes through. @default public addresses only, no allowlist */
  egress?: EgressGuard;
  /** Reads the workflow owner's secrets at call time. @default none: a `{ secret }` reference fails the node */
  secrets?: SecretReader;
  /** Limits on `lambda` tools. @default no limit beyond the executor role's IAM policy */
  lambdaTools?: LambdaToolPolicy;
}

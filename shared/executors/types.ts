/**
 * The shapes shared by every node executor: what an attempt knows about itself, what it returns,
 * and the clients it may use.
 */
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { Cost } from '../model/types';

/** What one attempt of a node knows about itself. */
export interface ExecutionContext {
  runId: string;
  nodeId: string;
  /** 0 for the first attempt, as `$$.State.RetryCount`. */
  attempt: number;
  /** Aborted when the attempt must stop (cancel, Lambda about to time out). */
  signal: AbortSignal;
  /** Epoch milliseconds after which the attempt is abandoned (the node's timeout). */
  deadline: number;
  /** The run's binding scope; required by `condition` nodes. */
  scope?: BindingScope;
  /** The route keys of the node's outgoing edges (its contract's `routeKeys`); required by `condition` nodes. */
  routeKeys?: readonly string[];
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

/** Clients the executors need, built once per process by the composition root. */
export interface ExecutorDeps {
  /** For `tool_call` nodes of kind `lambda`. */
  lambda?: Pick<LambdaClient, 'send'>;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
}

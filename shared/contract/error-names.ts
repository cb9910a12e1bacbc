/**
 * The registry of every error name Braid throws or records (`Braid.*`), with what it means and which retrier
 * of the compiled state machine retries it. Step Functions matches `Retry`/`Catch` on these names, so they are
 * part of the execution contract: code spells a name through `ERROR_NAMES`, and ARCHITECTURE.md's table is
 * checked against `ERROR_REGISTRY` by a test.
 */

/**
 * Which retrier of a node's Task state retries the error:
 * - `service`: the service retrier (Lambda's own failures and transient store/client trouble);
 * - `node`: the node's own `retry` policy;
 * - `none`: never retried (the node's `onError` decides);
 * - `run`: not a task error; it ends or describes a whole run.
 */
export type RetryClass = 'service' | 'node' | 'none' | 'run';

/** One registered error name. */
export interface ErrorNameEntry {
  /** The ASL error name (Lambda's `errorType`). */
  name: string;
  /** What happened, in one line (ARCHITECTURE.md shows it). */
  meaning: string;
  retry: RetryClass;
}

/** Every `Braid.*` error name, by a short key. */
export const ERROR_NAMES = {
  nodeFailed: 'Braid.NodeFailed',
  transient: 'Braid.Transient',
  bindingFailed: 'Braid.BindingFailed',
  outputTooLarge: 'Braid.OutputTooLarge',
  gateRejected: 'Braid.GateRejected',
  runFailed: 'Braid.RunFailed',
  runFinished: 'Braid.RunFinished',
  superseded: 'Braid.Superseded',
  invalidEvent: 'Braid.InvalidEvent',
  cancelled: 'Braid.Cancelled',
  startFailed: 'Braid.StartFailed',
  startLost: 'Braid.StartLost',
  executionLost: 'Braid.ExecutionLost',
  mapFailed: 'Braid.MapFailed',
  budgetExceeded: 'Braid.BudgetExceeded',
  egressDenied: 'Braid.EgressDenied',
  secretNotFound: 'Braid.SecretNotFound',
  authUnsupported: 'Braid.AuthUnsupported',
  inputRequired: 'Braid.InputRequired',
  childRunFailed: 'Braid.ChildRunFailed',
  forbidden: 'Braid.Forbidden',
  depthExceeded: 'Braid.DepthExceeded',
} as const;

/** A registered `Braid.*` error name. */
export type BraidErrorName = (typeof ERROR_NAMES)[keyof typeof ERROR_NAMES];

/** Step Functions' own error names Braid's retriers and records use. */
export const STATES_ERRORS = {
  /** A Task ran longer than its `TimeoutSeconds`. */
  timeout: 'States.Timeout',
  /** Matches every error (must stand alone, in the last retrier or catcher). */
  all: 'States.ALL',
  /** Matches every Task failure except `States.Timeout`. */
  taskFailed: 'States.TaskFailed',
} as const;

/** The registry, in the order ARCHITECTURE.md lists it. */
export const ERROR_REGISTRY: readonly ErrorNameEntry[] = [
  { name: ERROR_NAMES.nodeFailed, retry: 'node', meaning: 'the agent/tool failed (non-2xx, protocol or network error, its own timeout, builtin `fail`)' },
  { name: ERROR_NAMES.transient, retry: 'service', meaning: 'the store or a client was throttled or unavailable; trying again later may work' },
  { name: ERROR_NAMES.bindingFailed, retry: 'none', meaning: 'an input binding or a condition expression did not evaluate' },
  { name: ERROR_NAMES.outputTooLarge, retry: 'none', meaning: 'the node output is over 256 KiB of JSON' },
  { name: ERROR_NAMES.gateRejected, retry: 'none', meaning: 'a person rejected the human gate' },
  { name: ERROR_NAMES.mapFailed, retry: 'none', meaning: 'more items of a map failed than it tolerates (`toleratedFailures`), or its `timeoutSeconds` passed' },
  { name: ERROR_NAMES.budgetExceeded, retry: 'none', meaning: 'the run had spent its budget before an agent_call (or its budget gate was rejected); it fails the run, even past `onError: continue`' },
  { name: ERROR_NAMES.egressDenied, retry: 'none', meaning: 'the egress guard refused the destination (a private, loopback, metadata… address, a redirect there, a Lambda tool outside the policy); names the host and the rule' },
  { name: ERROR_NAMES.secretNotFound, retry: 'none', meaning: 'a `{ "secret" }` reference names a secret the workflow owner does not hold' },
  { name: ERROR_NAMES.authUnsupported, retry: 'none', meaning: 'the agent card declares security schemes the node\'s `auth` cannot satisfy' },
  { name: ERROR_NAMES.inputRequired, retry: 'none', meaning: 'the agent asked a question (A2A `input-required`): not a failure; the node\'s `X:ask`/`X:reply` states catch it and wait for a reply' },
  { name: ERROR_NAMES.childRunFailed, retry: 'none', meaning: 'the child run of a workflow_call failed, timed out or was cancelled (its error, name and message, is in the cause and in `details.error`), or could not be started' },
  { name: ERROR_NAMES.forbidden, retry: 'none', meaning: 'whoever started the run may no longer run the workflow a workflow_call names (or it was deleted)' },
  { name: ERROR_NAMES.depthExceeded, retry: 'none', meaning: 'a workflow_call would start a child deeper than the call depth limit (5): runs calling runs, A→B→A recursion included' },
  { name: ERROR_NAMES.runFinished, retry: 'none', meaning: 'the task arrived after its run had ended (the execution is being stopped)' },
  { name: ERROR_NAMES.superseded, retry: 'none', meaning: 'a late delivery of an attempt that a later attempt has replaced; it did nothing' },
  { name: ERROR_NAMES.invalidEvent, retry: 'none', meaning: 'the executor received an event that does not match the task payload schema' },
  { name: ERROR_NAMES.runFailed, retry: 'run', meaning: 'the run failed and its execution reported no error name (the run\'s `error` names the cause when known)' },
  { name: ERROR_NAMES.cancelled, retry: 'run', meaning: 'the execution was stopped because a user cancelled the run' },
  { name: ERROR_NAMES.startFailed, retry: 'run', meaning: 'the execution could not be started' },
  { name: ERROR_NAMES.startLost, retry: 'run', meaning: 'reconciliation found no execution for a run whose start never reached Step Functions' },
  { name: ERROR_NAMES.executionLost, retry: 'run', meaning: 'reconciliation found that the orchestrator no longer knows the run\'s execution' },
];

/** The registry entry of `name`, if it is a registered Braid error name. */
export function errorEntry(name: string): ErrorNameEntry | undefined {
  return ERROR_REGISTRY.find((entry) => entry.name === name);
}

/**
 * The orchestrator port: what Braid needs from Step Functions. Two adapters implement it:
 * `shared/adapters/sfn-orchestrator.ts` (AWS SDK) and `infra/local/local-orchestrator.ts`
 * (aws-local-stepfunctions).
 */
import { BraidError, ConflictError } from '../errors';

/** A state machine registered for one workflow version. */
export interface RegisteredMachine {
  /** The state machine (AWS: its ARN; local: an opaque id). */
  stateMachineArn: string;
  /** The published version that runs of this workflow version start on. */
  versionArn: string;
}

/** How an execution ended, as the orchestrator reports it. */
export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** An execution the orchestrator knows: its status, and for a failed one the error name and cause. */
export interface ExecutionDescription {
  status: ExecutionStatus;
  error?: string;
  cause?: string;
}

/** The orchestrator has no execution with that ARN (never started, or no longer kept). */
export interface ExecutionNotFound {
  status: 'NOT_FOUND';
}

/** Starts, stops and completes executions of compiled workflows. */
export interface Orchestrator {
  /** Create or update the workflow's state machine with this ASL and publish a version. */
  register(input: { workflowId: string; version: number; definition: object }): Promise<RegisteredMachine>;
  /** Start an execution named after the run id; starting the same run twice is a no-op. */
  start(input: { versionArn: string; runId: string; input: object }): Promise<{ executionArn: string }>;
  /**
   * Continue a failed or timed-out execution from where it failed (Step Functions `RedriveExecution`): states
   * that succeeded are not run again, the failed and never-reached ones run with fresh retry counts, and
   * `$$.Execution.RedriveCount` becomes `redriveCount`. The local adapter, whose engine has no redrive, walks
   * the same machine again for the same run with that count (it also revives an execution a restart lost); the
   * executor answers the states that already settled from their records. An execution that cannot be redriven
   * is a `ConflictError` (`not_redrivable`).
   */
  redrive(input: { executionArn: string; versionArn: string; runId: string; input: object; redriveCount: number }): Promise<void>;
  /** Stop an execution; stopping one that has ended is a no-op. */
  stop(input: { executionArn: string; error: string; cause: string }): Promise<void>;
  /** The execution's current status; an execution the orchestrator does not know is `{ status: 'NOT_FOUND' }`. */
  describe(input: { executionArn: string }): Promise<ExecutionDescription | ExecutionNotFound>;
  /** Complete a `.waitForTaskToken` task successfully. */
  sendTaskSuccess(input: { taskToken: string; output: object }): Promise<void>;
  /** Fail a `.waitForTaskToken` task with an error name that the ASL's Catch/Retry can match. */
  sendTaskFailure(input: { taskToken: string; error: string; cause: string }): Promise<void>;
  /**
   * Delete one published version (no run may still need it: the caller keeps versions pinned by runs in
   * flight). Deleting one that is already gone is a no-op. Optional: an orchestrator without it keeps versions.
   */
  deleteVersion?(input: { versionArn: string }): Promise<void>;
  /** Delete a workflow's state machine and every version of it (no run may still use it); gone already is a no-op. */
  deleteMachine?(input: { stateMachineArn: string }): Promise<void>;
}

/**
 * A task token that can no longer be completed: the task timed out, was already completed, or its execution
 * ended. Both adapters throw it from `sendTaskSuccess`/`sendTaskFailure`; the gate service maps it to 409.
 */
export class TaskClosedError extends ConflictError {
  constructor(reason: 'task_timed_out' | 'task_closed', message: string, options?: { cause?: unknown }) {
    super(reason, message, options);
    this.name = 'TaskClosedError';
  }
}

/**
 * The execution ARN both adapters give a run: `arn:…:stateMachine:<name>:<version>` + run id →
 * `arn:…:execution:<name>:<runId>` (Step Functions' own rule for executions named after the run id).
 */
export function executionArnOf(versionArn: string, runId: string): string {
  const parts = versionArn.split(':');
  // arn, partition, states, region, account, stateMachine, name[, version]
  if (parts.length < 7 || parts[5] !== 'stateMachine') throw new BraidError('invalid_arn', `not a state machine ARN: ${versionArn}`);
  return [...parts.slice(0, 5), 'execution', parts[6], runId].join(':');
}

/**
 * An in-memory orchestrator for API tests: records registrations (so tests can assert what was compiled)
 * and started executions, and runs nothing (started runs stay `running`; stops and task results are accepted).
 * `describe` reports a started execution as `RUNNING` (or what a test set in `ended`), any other as not found.
 */
import type { ExecutionDescription, Orchestrator } from '../../shared/ports/orchestrator';

/** A registration the fake saw. */
export interface Registration {
  workflowId: string;
  version: number;
  definition: object;
}

/** The fake and what it recorded. */
export interface FakeOrchestrator extends Orchestrator {
  registrations: Registration[];
  /** ARNs of the versions and machines deleted, in order. */
  deleted: string[];
  /** Run ids of the executions started. */
  started: string[];
  /** How a started execution ended, by run id, as `describe` reports it (set by tests). */
  ended: Map<string, ExecutionDescription>;
}

/** Builds a fake orchestrator. */
export function createFakeOrchestrator(): FakeOrchestrator {
  const registrations: Registration[] = [];
  const started: string[] = [];
  const ended = new Map<string, ExecutionDescription>();
  const deleted: string[] = [];
  return {
    deleted,
    registrations,
    started,
    ended,
    async register(input) {
      registrations.push(input);
      const arn = `arn:aws:states:local:000000000000:stateMachine:fake-${input.workflowId}`;
      return { stateMachineArn: arn, versionArn: `${arn}:${input.version}` };
    },
    async start(input) {
      if (!started.includes(input.runId)) started.push(input.runId);
      return { executionArn: `${input.versionArn.replace(':stateMachine:', ':execution:').replace(/:\d+$/, '')}:${input.runId}` };
    },
    async stop() {},
    async redrive(input) {
      ended.delete(input.runId);
    },
    async describe(input) {
      const runId = input.executionArn.split(':').at(-1) ?? '';
      if (!started.includes(runId)) return { status: 'NOT_FOUND' };
      return ended.get(runId) ?? { status: 'RUNNING' };
    },
    async sendTaskSuccess() {},
    async sendTaskFailure() {},
    async deleteVersion(input) {
      deleted.push(input.versionArn);
    },
    async deleteMachine(input) {
      deleted.push(input.stateMachineArn);
    },
  };
}

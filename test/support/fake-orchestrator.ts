/**
 * An in-memory orchestrator for API tests: records registrations (so tests can assert what was compiled)
 * and started executions, and runs nothing (started runs stay `running`; stops and task results are accepted).
 */
import type { Orchestrator } from '../../shared/ports/orchestrator';

/** A registration the fake saw. */
export interface Registration {
  workflowId: string;
  version: number;
  definition: object;
}

/** The fake and what it recorded. */
export interface FakeOrchestrator extends Orchestrator {
  registrations: Registration[];
  /** Run ids of the executions started. */
  started: string[];
}

/** Builds a fake orchestrator. */
export function createFakeOrchestrator(): FakeOrchestrator {
  const registrations: Registration[] = [];
  const started: string[] = [];
  return {
    registrations,
    started,
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
    async sendTaskSuccess() {},
    async sendTaskFailure() {},
  };
}

/**
 * An in-memory orchestrator for API tests: records registrations (so tests can assert what was compiled)
 * and refuses to run anything.
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
}

/** Builds a fake orchestrator. */
export function createFakeOrchestrator(): FakeOrchestrator {
  const registrations: Registration[] = [];
  const refuse = () => Promise.reject(new Error('the fake orchestrator runs nothing'));
  return {
    registrations,
    async register(input) {
      registrations.push(input);
      const arn = `arn:aws:states:local:000000000000:stateMachine:fake-${input.workflowId}`;
      return { stateMachineArn: arn, versionArn: `${arn}:${input.version}` };
    },
    start: refuse,
    stop: refuse,
    sendTaskSuccess: refuse,
    sendTaskFailure: refuse,
  };
}

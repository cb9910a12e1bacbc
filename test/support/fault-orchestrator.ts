/**
 * An orchestrator for the hardening suites with Step Functions' token rules: a task token completes once;
 * after a stop or a task timeout it is closed (`TaskClosedError`). It counts every call and can inject faults
 * (fail before the call takes effect, or time out after it did: the ambiguous case) at set rates.
 */
import { BraidError } from '../../shared/errors';
import { TaskClosedError, type Orchestrator } from '../../shared/ports/orchestrator';

/** How a faulty call fails. */
export type FaultKind = 'before' | 'after';

/** A transient orchestrator failure (what the SDK's throttling or a network timeout becomes). */
export class OrchestratorFaultError extends BraidError {
  readonly kind: FaultKind;
  constructor(operation: string, kind: FaultKind) {
    super('orchestrator_unavailable', `injected ${kind}-commit fault in ${operation}`);
    this.name = 'Braid.Transient';
    this.kind = kind;
  }
}

/** What the strict orchestrator recorded. */
export interface TokenLedger {
  /** Token → state. */
  tokens: Map<string, { runId: string; state: 'open' | 'used' | 'closed' | 'timed_out'; completions: number }>;
  /** Every sendTask* call, with its outcome. */
  sends: { taskToken: string; kind: 'success' | 'failure'; accepted: boolean }[];
  stops: string[];
}

/** Options of the strict orchestrator. */
export interface StrictOrchestratorOptions {
  /** Decides whether (and how) a call fails; called once per call. @default never */
  fault?: (operation: keyof Orchestrator) => FaultKind | undefined;
}

/** The strict orchestrator: the port plus test controls. */
export interface StrictOrchestrator extends Orchestrator {
  ledger: TokenLedger;
  /** Registers a token the executor was handed for `runId`. */
  issueToken(runId: string, taskToken: string): void;
  /** Marks every open token of the run timed out (what the engine does when the task's timeout fires). */
  timeOutTokens(runId: string): void;
}

/** Builds a strict orchestrator. */
export function createStrictOrchestrator(options: StrictOrchestratorOptions = {}): StrictOrchestrator {
  const ledger: TokenLedger = { tokens: new Map(), sends: [], stops: [] };
  const runOf = (executionArn: string) => executionArn.split(':').at(-1) ?? executionArn;

  async function faulty<T>(operation: keyof Orchestrator, effect: () => T): Promise<T> {
    const kind = options.fault?.(operation);
    if (kind === 'before') throw new OrchestratorFaultError(operation, kind);
    const out = effect();
    if (kind === 'after') throw new OrchestratorFaultError(operation, kind);
    return out;
  }

  function complete(taskToken: string, kind: 'success' | 'failure'): void {
    const token = ledger.tokens.get(taskToken);
    const accepted = token?.state === 'open';
    ledger.sends.push({ taskToken, kind, accepted });
    if (!token || token.state === 'closed' || token.state === 'used') throw new TaskClosedError('task_closed', 'the task can no longer be completed (TaskDoesNotExist)');
    if (token.state === 'timed_out') throw new TaskClosedError('task_timed_out', 'the task can no longer be completed (TaskTimedOut)');
    token.state = 'used';
    token.completions += 1;
  }

  return {
    ledger,
    issueToken(runId, taskToken) {
      if (!ledger.tokens.has(taskToken)) ledger.tokens.set(taskToken, { runId, state: 'open', completions: 0 });
    },
    timeOutTokens(runId) {
      for (const t of ledger.tokens.values()) if (t.runId === runId && t.state === 'open') t.state = 'timed_out';
    },
    register: (input) => faulty('register', () => {
      const arn = `arn:aws:states:local:000000000000:stateMachine:strict-${input.workflowId}`;
      return { stateMachineArn: arn, versionArn: `${arn}:${input.version}` };
    }),
    start: (input) => faulty('start', () => ({ executionArn: `arn:aws:states:local:000000000000:execution:strict:${input.runId}` })),
    redrive: (input) => faulty('redrive', () => {
      ledger.stops = ledger.stops.filter((arn) => arn !== input.executionArn);
    }),
    stop: (input) => faulty('stop', () => {
      ledger.stops.push(input.executionArn);
      for (const t of ledger.tokens.values()) if (t.runId === runOf(input.executionArn) && t.state === 'open') t.state = 'closed';
    }),
    describe: (input) => faulty('describe', () => (ledger.stops.includes(input.executionArn) ? { status: 'ABORTED' as const } : { status: 'RUNNING' as const })),
    sendTaskSuccess: (input) => faulty('sendTaskSuccess', () => complete(input.taskToken, 'success')),
    sendTaskFailure: (input) => faulty('sendTaskFailure', () => complete(input.taskToken, 'failure')),
  };
}

/** Wraps any orchestrator so its calls fail before or after taking effect at `rates`; `counts` says how many did. */
export function withOrchestratorFaults(
  orchestrator: Orchestrator,
  rates: { before: number; after: number },
  random: () => number,
): Orchestrator & { counts: { before: number; after: number }; enabled: boolean } {
  const wrapped = {
    counts: { before: 0, after: 0 },
    enabled: true,
    register: (input: Parameters<Orchestrator['register']>[0]) => orchestrator.register(input),
    start: (input: Parameters<Orchestrator['start']>[0]) => call('start', () => orchestrator.start(input)),
    redrive: (input: Parameters<Orchestrator['redrive']>[0]) => call('redrive', () => orchestrator.redrive(input)),
    stop: (input: Parameters<Orchestrator['stop']>[0]) => call('stop', () => orchestrator.stop(input)),
    describe: (input: Parameters<Orchestrator['describe']>[0]) => call('describe', () => orchestrator.describe(input)),
    sendTaskSuccess: (input: Parameters<Orchestrator['sendTaskSuccess']>[0]) => call('sendTaskSuccess', () => orchestrator.sendTaskSuccess(input)),
    sendTaskFailure: (input: Parameters<Orchestrator['sendTaskFailure']>[0]) => call('sendTaskFailure', () => orchestrator.sendTaskFailure(input)),
  };
  async function call<T>(operation: keyof Orchestrator, effect: () => Promise<T>): Promise<T> {
    const r = wrapped.enabled ? random() : 1;
    if (r < rates.before) {
      wrapped.counts.before += 1;
      throw new OrchestratorFaultError(operation, 'before');
    }
    const out = await effect();
    if (r < rates.before + rates.after) {
      wrapped.counts.after += 1;
      throw new OrchestratorFaultError(operation, 'after');
    }
    return out;
  }
  return wrapped;
}

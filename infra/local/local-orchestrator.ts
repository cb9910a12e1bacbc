/**
 * The local adapter of the orchestrator port: runs compiled ASL on `aws-local-stepfunctions` through the
 * core's `asl-runner`, invoking the executor function's real handler for every Task, and reports each ended
 * execution to the finalizer's real handler as an EventBridge "Step Functions Execution Status Change" event,
 * so the same reconciliation code runs on the laptop as on AWS.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stateMachineName } from '../../shared/adapters/sfn-names';
import { ConflictError, NotFoundError } from '../../shared/errors';
import {
  executionArnOf,
  TaskClosedError,
  type ExecutionDescription,
  type ExecutionNotFound,
  type ExecutionStatus,
  type Orchestrator,
  type RegisteredMachine,
} from '../../shared/ports/orchestrator';
import { createAslRunner, TaskTokenError, type AslExecution, type AslOutcome, type AslRunner } from './asl-runner';

const ACCOUNT = '000000000000';
const REGION = 'local';

/** Options of the local orchestrator. */
export interface LocalOrchestratorOptions {
  /** The executor function's handler, called with each Task's `Payload`. */
  executor: (event: unknown) => Promise<unknown>;
  /** The finalizer function's handler, called once per ended execution. @default none */
  finalizer?: (event: unknown) => Promise<unknown>;
  /** Where registered definitions are kept across restarts. @default in memory only */
  dataDir?: string;
  /** Milliseconds before each retry, by state name, instead of the ASL intervals (tests). @default the ASL's */
  retryIntervalOverrides?: Record<string, number | number[]>;
  /**
   * How often a finalizer that threw is called again with the same event, and the first delay (doubling), as
   * EventBridge retries its target (`retryAttempts: 4` in the CDK stack; AWS spaces them over minutes). After the
   * last, the error is reported and the local stack's periodic sweep closes the run. @default 4 retries from 1 s
   */
  finalizerRetry?: { retries?: number; firstDelayMs?: number };
  /** Reports a finalizer that threw on its last try (the execution itself has ended either way). @default console.error */
  onFinalizerError?: (error: unknown) => void;
}

interface Execution {
  executionArn: string;
  stateMachineArn: string;
  runId: string;
  input: object;
  startDate: string;
  run: AslExecution;
  /** Resolves after the finalizer has been called. */
  done: Promise<void>;
  /** How it ended, once it has. */
  outcome?: AslOutcome;
}

/** The orchestrator port on the local engine. */
export class LocalOrchestrator implements Orchestrator {
  private readonly definitions = new Map<string, object>();
  private readonly runners = new Map<string, AslRunner>();
  private readonly executions = new Map<string, Execution>();
  /** Which runner minted a task token (tokens are unique per process). */
  private readonly tokens = new Map<string, AslRunner>();
  /** Set by `close()`: executions ended by the shutdown are not reported. */
  private closing = false;

  constructor(private readonly options: LocalOrchestratorOptions) {}

  /** Keeps the definition by version (and writes it under `dataDir/machines/`). */
  async register(input: { workflowId: string; version: number; definition: object }): Promise<RegisteredMachine> {
    const stateMachineArn = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${stateMachineName('braid', input.workflowId)}`;
    const versionArn = `${stateMachineArn}:${input.version}`;
    // Validate now, as CreateStateMachine would: the engine rejects a bad definition in its constructor.
    const runner = createAslRunner(input.definition);
    this.definitions.set(versionArn, input.definition);
    this.runners.set(versionArn, runner);
    if (this.options.dataDir) {
      const dir = join(this.options.dataDir, 'machines');
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, `${input.workflowId}.${input.version}.json`), JSON.stringify(input.definition));
    }
    return { stateMachineArn, versionArn };
  }

  /** Forgets a version (and its file); a later start on it is a `NotFoundError`, as on AWS. */
  async deleteVersion(input: { versionArn: string }): Promise<void> {
    this.definitions.delete(input.versionArn);
    this.runners.delete(input.versionArn);
    const parts = input.versionArn.split(':');
    const prefix = stateMachineName('braid', '');
    const workflowId = parts[6]?.startsWith(prefix) ? parts[6].slice(prefix.length) : undefined;
    if (this.options.dataDir && workflowId && parts[7]) await rm(join(this.options.dataDir, 'machines', `${workflowId}.${parts[7]}.json`), { force: true });
  }

  /** Forgets every version of the machine (and their files). */
  async deleteMachine(input: { stateMachineArn: string }): Promise<void> {
    const versions = new Set([...this.definitions.keys(), ...this.runners.keys()].filter((arn) => arn.startsWith(`${input.stateMachineArn}:`)));
    const name = input.stateMachineArn.split(':')[6];
    const prefix = stateMachineName('braid', '');
    const workflowId = name?.startsWith(prefix) ? name.slice(prefix.length) : undefined;
    if (this.options.dataDir && workflowId) {
      const dir = join(this.options.dataDir, 'machines');
      const files = await readdir(dir).catch(() => [] as string[]);
      for (const file of files) if (file.startsWith(`${workflowId}.`)) versions.add(`${input.stateMachineArn}:${file.slice(workflowId.length + 1, -'.json'.length)}`);
    }
    for (const versionArn of versions) await this.deleteVersion({ versionArn });
  }

  /** Starts an execution named after the run; a second start of the same run returns the first. */
  async start(input: { versionArn: string; runId: string; input: object }): Promise<{ executionArn: string }> {
    const existing = this.executions.get(input.runId);
    if (existing) return { executionArn: existing.executionArn };
    return this.launch(input, 0);
  }

  /**
   * Emulated `RedriveExecution`: walks the same machine again for the same run with `$$.Execution.RedriveCount`
   * = `redriveCount` (the engine has no redrive). The executor answers every state that settled in an earlier
   * drive from its record, so the re-walk has the observable outcome of Step Functions skipping them. Also
   * revives a run whose execution a restart of this process lost. A running execution is a 409.
   */
  async redrive(input: { executionArn: string; versionArn: string; runId: string; input: object; redriveCount: number }): Promise<void> {
    const existing = this.executions.get(input.runId);
    if (existing && !existing.outcome) throw new ConflictError('not_redrivable', `execution ${input.executionArn} is still running`);
    if (existing) await existing.done;
    await this.launch(input, input.redriveCount);
  }

  private async launch(input: { versionArn: string; runId: string; input: object }, redriveCount: number): Promise<{ executionArn: string }> {
    const runner = await this.runnerFor(input.versionArn);
    const stateMachineArn = input.versionArn.split(':').slice(0, 7).join(':');
    const executionArn = executionArnOf(input.versionArn, input.runId);
    const run = runner.run(input.input, {
      invoke: async (_functionName, payload, meta) => {
        if (meta.taskToken) this.tokens.set(meta.taskToken, runner);
        return this.options.executor(payload);
      },
      context: { Execution: { Id: executionArn, Name: input.runId, RedriveCount: redriveCount } },
      ...(this.options.retryIntervalOverrides ? { retryIntervalOverrides: this.options.retryIntervalOverrides } : {}),
    });
    const execution: Execution = {
      executionArn, stateMachineArn, runId: input.runId, input: input.input, startDate: new Date().toISOString(), run,
      done: Promise.resolve(),
    };
    execution.done = run.outcome.then((outcome) => {
      execution.outcome = outcome;
      return this.report(execution, outcome);
    });
    this.executions.set(input.runId, execution);
    return { executionArn };
  }

  /** Aborts the execution (pending token waits reject); an ended or unknown execution is left alone. */
  async stop(input: { executionArn: string; error: string; cause: string }): Promise<void> {
    const execution = [...this.executions.values()].find((e) => e.executionArn === input.executionArn);
    if (!execution) throw new NotFoundError('execution', input.executionArn);
    execution.run.abort();
  }

  /** The execution's status from this process's executions; one it never started is `{ status: 'NOT_FOUND' }`. */
  async describe(input: { executionArn: string }): Promise<ExecutionDescription | ExecutionNotFound> {
    const execution = [...this.executions.values()].find((e) => e.executionArn === input.executionArn);
    if (!execution) return { status: 'NOT_FOUND' };
    const { outcome } = execution;
    if (!outcome) return { status: 'RUNNING' };
    return outcome.status === 'FAILED' ? { status: 'FAILED', error: outcome.error, cause: outcome.cause } : { status: outcome.status };
  }

  /** Completes a waiting token task; an unknown or used token is a `TaskClosedError`, as on AWS. */
  async sendTaskSuccess(input: { taskToken: string; output: object }): Promise<void> {
    this.withToken(input.taskToken, (runner) => runner.sendTaskSuccess(input.taskToken, input.output));
  }

  /** Fails a waiting token task with a matchable error name; unknown or used tokens as above. */
  async sendTaskFailure(input: { taskToken: string; error: string; cause: string }): Promise<void> {
    this.withToken(input.taskToken, (runner) => runner.sendTaskFailure(input.taskToken, input.error, input.cause));
  }

  /** Resolves when every execution started so far has ended and been reported to the finalizer. */
  async idle(): Promise<void> {
    await Promise.all([...this.executions.values()].map((e) => e.done));
  }

  /**
   * Shutdown: stops every execution still running without reporting it to the finalizer, so its run stays
   * active in the store and the next start of the local stack resumes it (`resume-runs.ts`), as a process that
   * was killed would leave it.
   */
  close(): void {
    this.closing = true;
    for (const e of this.executions.values()) e.run.abort();
  }

  private withToken(taskToken: string, send: (runner: AslRunner) => void): void {
    const runner = this.tokens.get(taskToken);
    if (!runner) throw new TaskClosedError('task_closed', 'the task can no longer be completed (TaskDoesNotExist)');
    try {
      send(runner);
    } catch (error) {
      if (error instanceof TaskTokenError) {
        throw new TaskClosedError(error.reason === 'unknown' ? 'task_closed' : 'task_timed_out', `the task can no longer be completed (${error.reason})`, { cause: error });
      }
      throw error;
    }
  }

  private async runnerFor(versionArn: string): Promise<AslRunner> {
    const cached = this.runners.get(versionArn);
    if (cached) return cached;
    const definition = this.definitions.get(versionArn) ?? (await this.loadDefinition(versionArn));
    const runner = createAslRunner(definition);
    this.runners.set(versionArn, runner);
    return runner;
  }

  private async loadDefinition(versionArn: string): Promise<object> {
    const parts = versionArn.split(':');
    const prefix = stateMachineName('braid', '');
    const workflowId = parts[6]?.startsWith(prefix) ? parts[6].slice(prefix.length) : undefined;
    const version = parts[7];
    if (!this.options.dataDir || !workflowId || !version) throw new NotFoundError('state machine version', versionArn);
    try {
      const definition = JSON.parse(await readFile(join(this.options.dataDir, 'machines', `${workflowId}.${version}.json`), 'utf8')) as object;
      this.definitions.set(versionArn, definition);
      return definition;
    } catch (error) {
      throw new NotFoundError('state machine version', versionArn, { cause: error });
    }
  }

  /** Hands the ended execution to the finalizer in the EventBridge event shape. */
  private async report(execution: Execution, outcome: AslOutcome): Promise<void> {
    const status: ExecutionStatus = outcome.status;
    const event = {
      version: '0', id: randomUUID(), 'detail-type': 'Step Functions Execution Status Change', source: 'aws.states',
      account: ACCOUNT, time: new Date().toISOString(), region: REGION, resources: [execution.executionArn],
      detail: {
        executionArn: execution.executionArn, stateMachineArn: execution.stateMachineArn, name: execution.runId, status,
        startDate: Date.parse(execution.startDate), stopDate: Date.now(), input: JSON.stringify(execution.input),
        output: outcome.status === 'SUCCEEDED' ? JSON.stringify(outcome.output ?? null) : null,
        error: outcome.status === 'FAILED' ? outcome.error : null,
        cause: outcome.status === 'FAILED' ? outcome.cause : null,
      },
    };
    if (!this.options.finalizer || (this.closing && outcome.status === 'ABORTED')) return;
    const retries = this.options.finalizerRetry?.retries ?? 4;
    let delayMs = this.options.finalizerRetry?.firstDelayMs ?? 1_000;
    for (let attempt = 0; ; attempt += 1) {
      try {
        await this.options.finalizer(event);
        return;
      } catch (error) {
        // A shutdown stops the retries: the run stays active and the next start resumes or sweeps it.
        if (attempt >= retries || this.closing) {
          (this.options.onFinalizerError ?? ((e: unknown) => console.error('finalizer failed', e)))(error);
          return;
        }
      }
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      delayMs *= 2;
      if (this.closing) return;
    }
  }
}

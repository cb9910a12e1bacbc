/**
 * A pool of expression workers (`worker_threads`) with a hard budget per job: a node's expressions are sent to
 * one worker together, and a worker still busy when the budget ends is terminated (V8 stops it even inside a
 * native call such as a regex match or `String.prototype.repeat`) and replaced. Each worker's heap is capped
 * (`resourceLimits`), so an expression that builds too much kills only its worker. The calling thread (the
 * executor, or the whole local stack under `npm run dev`) never evaluates user expressions itself.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { EvaluationOutcome } from './evaluate';
import { EXPRESSION_LIMITS } from './limits';

/** Why a job did not finish: over its budget, its worker ran out of memory or died, or the deadline passed in the queue. */
export class ExpressionBudgetError extends Error {
  /** `budget_exceeded`, `memory_exceeded`, `worker_failed` or `deadline_passed`. */
  readonly code: string;
  /** Index of the expression the worker was evaluating when it was stopped (`-1` if none had started). */
  readonly index: number;
  constructor(code: string, message: string, index: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ExpressionBudgetError';
    this.code = code;
    this.index = index;
  }
}

/** Options of `createExpressionPool`. */
export interface ExpressionPoolOptions {
  /** Workers at most. @default `BRAID_EXPRESSION_WORKERS`, else the number of CPUs (at least 1) */
  size?: number;
  /** Budget of one job in ms, from the moment a worker takes it. @default EXPRESSION_LIMITS.nodeBudgetMs */
  budgetMs?: number;
  /** Heap of each worker in MiB. @default EXPRESSION_LIMITS.workerMemoryMb */
  memoryMb?: number;
  /** The worker script. @default the bundled `expression-worker.mjs` next to this module, else `worker.ts` */
  workerUrl?: URL;
}

/** Options of one job. */
export interface EvaluateOptions {
  /** Epoch ms by which the job must be answered (the node's deadline); also caps the budget. */
  deadline?: number;
}

/** A running pool. */
export interface ExpressionPool {
  /** Evaluates `expressions` in order on one worker with `variables`; rejects with `ExpressionBudgetError`. */
  evaluate(expressions: string[], variables: Record<string, unknown>, options?: EvaluateOptions): Promise<EvaluationOutcome[]>;
  /** Terminates every worker; later jobs start new ones. */
  close(): Promise<void>;
  /** Counters for tests and the bench. */
  readonly stats: { started: number; terminated: number; completed: number };
}

interface Job {
  id: number;
  expressions: string[];
  variables: Record<string, unknown>;
  deadline: number;
  index: number;
  resolve(results: EvaluationOutcome[]): void;
  reject(error: ExpressionBudgetError): void;
  deadlineTimer?: NodeJS.Timeout;
  budgetTimer?: NodeJS.Timeout;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  job?: Job;
}

/** Time kept back from the node's deadline so the failure can still be recorded before the Task times out. */
const RECORDING_MARGIN_MS = 500;

function defaultWorkerUrl(): URL {
  const bundled = new URL('./expression-worker.mjs', import.meta.url);
  return existsSync(bundled) ? bundled : new URL('./worker.ts', import.meta.url);
}

function defaultSize(): number {
  const asked = Number(process.env.BRAID_EXPRESSION_WORKERS);
  if (Number.isInteger(asked) && asked > 0) return asked;
  return Math.max(1, availableParallelism());
}

/** Creates a pool; workers start on first use and stay (unreferenced) for the next job. */
export function createExpressionPool(options: ExpressionPoolOptions = {}): ExpressionPool {
  const size = options.size ?? defaultSize();
  const budgetMs = options.budgetMs ?? EXPRESSION_LIMITS.nodeBudgetMs;
  const memoryMb = options.memoryMb ?? EXPRESSION_LIMITS.workerMemoryMb;
  const workerUrl = options.workerUrl ?? defaultWorkerUrl();
  const slots = new Set<Slot>();
  const queue: Job[] = [];
  const stats = { started: 0, terminated: 0, completed: 0 };
  let nextId = 1;

  function finish(job: Job): void {
    clearTimeout(job.deadlineTimer);
    clearTimeout(job.budgetTimer);
    const queued = queue.indexOf(job);
    if (queued >= 0) queue.splice(queued, 1);
  }

  function retire(slot: Slot, error?: ExpressionBudgetError): void {
    if (!slots.delete(slot)) return;
    stats.terminated += 1;
    const job = slot.job;
    slot.job = undefined;
    void slot.worker.terminate();
    if (job && error) {
      finish(job);
      job.reject(error);
    }
    pump();
  }

  function spawn(): void {
    const worker = new Worker(workerUrl, {
      resourceLimits: { maxOldGenerationSizeMb: memoryMb, maxYoungGenerationSizeMb: Math.min(32, memoryMb), stackSizeMb: 4 },
    });
    stats.started += 1;
    worker.unref();
    const slot: Slot = { worker, ready: false };
    slots.add(slot);
    worker.on('message', (message: { type: string; id?: number; index?: number; results?: EvaluationOutcome[] }) => {
      if (message.type === 'ready') {
        slot.ready = true;
        pump();
        return;
      }
      const job = slot.job;
      if (!job || job.id !== message.id) return;
      if (message.type === 'progress') job.index = message.index ?? job.index;
      if (message.type === 'done') {
        slot.job = undefined;
        slot.worker.unref();
        finish(job);
        stats.completed += 1;
        job.resolve(message.results ?? []);
        pump();
      }
    });
    worker.on('error', (error: Error & { code?: string }) => {
      const index = slot.job?.index ?? -1;
      const outOfMemory = error.code === 'ERR_WORKER_OUT_OF_MEMORY';
      retire(slot, outOfMemory
        ? new ExpressionBudgetError('memory_exceeded', `evaluation needed more than ${memoryMb} MiB of memory`, index, { cause: error })
        : new ExpressionBudgetError('worker_failed', `the expression worker failed: ${error.message}`, index, { cause: error }));
    });
    worker.on('exit', () => retire(slot, new ExpressionBudgetError('worker_failed', 'the expression worker exited', slot.job?.index ?? -1)));
  }

  /** Hands queued jobs to ready, idle workers; starts workers up to `size`. */
  function pump(): void {
    for (const slot of slots) {
      if (queue.length === 0) return;
      if (!slot.ready || slot.job) continue;
      const job = queue.shift()!;
      const left = job.deadline - Date.now();
      if (left <= 0) {
        finish(job);
        job.reject(new ExpressionBudgetError('deadline_passed', 'no expression worker was free before the node\'s deadline', -1));
        continue;
      }
      slot.job = job;
      // Referenced while it works (the caller awaits it), unreferenced when idle (it must not keep a process alive).
      slot.worker.ref();
      const budget = Math.max(1, Math.min(budgetMs, left));
      job.budgetTimer = setTimeout(() => {
        retire(slot, new ExpressionBudgetError('budget_exceeded', `evaluation was stopped after ${budget} ms, the node's expression budget`, job.index));
      }, budget);
      slot.worker.postMessage({ id: job.id, expressions: job.expressions, variables: job.variables });
    }
    const starting = [...slots].filter((s) => !s.ready).length;
    if (queue.length > starting && slots.size < size) spawn();
  }

  return {
    stats,
    evaluate(expressions, variables, evaluateOptions = {}) {
      if (expressions.length === 0) return Promise.resolve([]);
      const deadline = Math.min(evaluateOptions.deadline ?? Number.POSITIVE_INFINITY, Date.now() + 60_000) - RECORDING_MARGIN_MS;
      return new Promise<EvaluationOutcome[]>((resolve, reject) => {
        const job: Job = { id: nextId++, expressions, variables, deadline, index: -1, resolve, reject };
        job.deadlineTimer = setTimeout(() => {
          for (const slot of slots) if (slot.job === job) return; // running: its budget timer decides
          finish(job);
          reject(new ExpressionBudgetError('deadline_passed', 'no expression worker was free before the node\'s deadline', -1));
        }, Math.max(1, deadline - Date.now()));
        queue.push(job);
        pump();
      });
    },
    async close() {
      const all = [...slots];
      slots.clear();
      await Promise.all(all.map((slot) => slot.worker.terminate()));
    },
  };
}

let shared: ExpressionPool | undefined;

/** The process's pool, created on first use. */
export function sharedExpressionPool(): ExpressionPool {
  shared ??= createExpressionPool();
  return shared;
}

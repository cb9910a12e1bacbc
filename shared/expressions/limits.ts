/**
 * The bounds of every JSONata evaluation (bindings and conditions). Documented in the README ("Limits").
 * This file is loaded inside the expression worker too: it imports nothing.
 */
export const EXPRESSION_LIMITS = {
  /** Longest one evaluation may run, in milliseconds (JSONata's own check, between steps). */
  timeoutMs: 1_000,
  /**
   * Hard budget of one node's expressions together (all its bindings, or its condition), in milliseconds of
   * wall time on an expression worker. Past it the worker is stopped, whatever it is doing (a native call
   * included), and the node fails with `Braid.BindingFailed`. Also capped by the node's own timeout.
   */
  nodeBudgetMs: 2_000,
  /** Deepest evaluation stack (nested calls, recursion). */
  maxDepth: 200,
  /** Longest sequence or array an expression may build. */
  maxSequence: 100_000,
  /** Longest string an expression may build, in UTF-16 code units (`$pad`, `$join`, `&`, `$replace`, …). */
  maxStringLength: 1_048_576,
  /** Largest result, as JSON, in bytes. */
  maxResultBytes: 1024 * 1024,
  /** Heap of one expression worker, in MiB: a worker that needs more is stopped. */
  workerMemoryMb: 128,
} as const;

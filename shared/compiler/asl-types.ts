/**
 * The subset of Amazon States Language (JSONPath) the compiler emits.
 */

/** A JSON value. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A `Retry` entry. */
export interface AslRetrier {
  ErrorEquals: string[];
  IntervalSeconds: number;
  MaxAttempts: number;
  BackoffRate: number;
  MaxDelaySeconds?: number;
  JitterStrategy?: 'FULL' | 'NONE';
}

/** A `Catch` entry. */
export interface AslCatcher {
  ErrorEquals: string[];
  ResultPath: string | null;
  Next: string;
}

/** A `Choice` rule (a data test or a boolean combination). */
export type AslChoiceTest =
  | { Variable: string; StringEquals: string }
  | { Not: AslChoiceTest }
  | { Or: AslChoiceTest[] };

/** Transition fields of a state: `Next` or `End`. */
export type AslTransition = { Next: string } | { End: true };

/** A `Task` state. */
export type AslTaskState = {
  Type: 'Task';
  Resource: string;
  Parameters: { [key: string]: Json };
  /** Every Task has one of the two; `TimeoutSecondsPath` only on `X:reply` (the rest of its node's timeout). */
  TimeoutSeconds?: number;
  TimeoutSecondsPath?: string;
  ResultSelector?: { [key: string]: Json };
  ResultPath: string | null;
  /** Selects the part of the result that leaves the state (map item tasks keep their output tiny). */
  OutputPath?: string;
  Retry?: AslRetrier[];
  Catch?: AslCatcher[];
} & AslTransition;

/** How a `Map` runs its iterations: inside the execution, or as child executions (Distributed Map). */
export type AslProcessorConfig = { Mode: 'INLINE' } | { Mode: 'DISTRIBUTED'; ExecutionType: 'STANDARD' };

/** A `Map` state (JSONPath) over an array in the state input. */
export type AslMapState = {
  Type: 'Map';
  ItemsPath: string;
  ItemSelector: { [key: string]: Json };
  ItemProcessor: { ProcessorConfig: AslProcessorConfig; StartAt: string; States: { [name: string]: AslState } };
  MaxConcurrency: number;
  /** Distributed Map only: a label for the Map Run. */
  Label?: string;
  ResultPath: string | null;
  Catch?: AslCatcher[];
} & AslTransition;

/** A `Pass` state. */
export type AslPassState = { Type: 'Pass'; Result?: Json; ResultPath?: string | null } & AslTransition;

/** A `Choice` state. */
export interface AslChoiceState {
  Type: 'Choice';
  Choices: Array<AslChoiceTest & { Next: string }>;
  Default: string;
}

/** A `Parallel` state. */
export type AslParallelState = {
  Type: 'Parallel';
  Branches: AslStateMachine[];
  ResultSelector?: { [key: string]: Json };
  ResultPath: string | null;
  Catch?: AslCatcher[];
} & AslTransition;

/** A `Fail` state. */
export interface AslFailState {
  Type: 'Fail';
  Error: string;
  Cause: string;
}

/** Any state the compiler emits. */
export type AslState = AslTaskState | AslPassState | AslChoiceState | AslParallelState | AslMapState | AslFailState;

/** A state machine (or a Parallel branch). */
export interface AslStateMachine {
  Comment?: string;
  StartAt: string;
  States: { [name: string]: AslState };
}

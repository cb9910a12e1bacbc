/**
 * The definition checker and compiler as the workflow service sees them (the core module's signatures),
 * injected by each function's composition root so the service stays testable and the core stays pure.
 */
import type { WorkflowContract } from '../contract/node-contract';
import type { WorkflowDefinition } from '../definition/schema';
import type { DurationHistory } from '../compiler/plan-weights';
import type { ValidationIssue } from '../model/types';

/** What `validateDefinition(input)` returns. */
export interface DefinitionCheck {
  valid: boolean;
  errors: ValidationIssue[];
  warnings: ValidationIssue[];
  /** Node ids per execution level. */
  levels: string[][];
  /** The parsed definition, when valid. */
  definition?: WorkflowDefinition;
}

/** `validateDefinition` from `shared/definition/validate.ts`. */
export type ValidateDefinition = (input: unknown) => DefinitionCheck;

/** `compileWorkflow` from `shared/compiler/compile.ts`: throws a `CompileError` with `issues` on failure. */
export type CompileWorkflow = (definition: WorkflowDefinition, options: { executorArn: string; history?: DurationHistory }) => { asl: object; contract: WorkflowContract };

/** Reads `issues` off a thrown `CompileError`, or `undefined` if the error is something else. */
export function compileIssues(error: unknown): ValidationIssue[] | undefined {
  if (error instanceof Error && error.name === 'CompileError') {
    const issues = (error as { issues?: unknown }).issues;
    if (Array.isArray(issues)) return issues as ValidationIssue[];
    return [{ code: 'compile_failed', path: '', message: error.message }];
  }
  return undefined;
}

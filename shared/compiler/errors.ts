/**
 * Compiler errors.
 */
import { BraidError, type FieldIssue } from '../errors';

/** A definition that cannot be compiled: invalid, or too big for Step Functions (history events, definition bytes). */
export class CompileError extends BraidError {
  /** Every problem found, each with a stable code and a JSON pointer into the definition. */
  readonly issues: FieldIssue[];
  constructor(issues: FieldIssue[], options?: { cause?: unknown }) {
    super('compile_failed', `workflow cannot be compiled: ${issues.map((i) => i.message).join('; ')}`, options);
    this.name = 'CompileError';
    this.issues = issues;
  }
}

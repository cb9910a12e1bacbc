/**
 * Validation issues: JSON pointers, stable codes, and the mapping of zod issues to both.
 */
import type * as z from 'zod';
import type { FieldIssue as ValidationIssue } from '../errors';

/** The stable codes a validation issue can carry (documented in the README). */
export const ISSUE_CODES = [
  // shape (zod)
  'invalid_type', 'invalid_value', 'invalid_format', 'invalid_union', 'unrecognized_key', 'too_big', 'too_small',
  'reserved_id', 'not_json',
  // limits
  'too_many_nodes', 'too_many_edges', 'definition_too_large', 'expression_too_long', 'input_too_deep',
  // graph
  'duplicate_id', 'unknown_node', 'self_loop', 'cycle', 'unreachable', 'duplicate_edge',
  // conditions
  'missing_when', 'when_and_default', 'duplicate_default', 'unexpected_when', 'unexpected_default',
  // bindings
  'invalid_binding', 'invalid_expression', 'unknown_reference', 'reference_not_upstream', 'reference_without_output',
  // gates
  'gate_timeout_required',
  // execution limits
  'timeout_exceeds_executor',
  // security
  'plaintext_credential',
  // warnings
  'binding_may_be_skipped', 'egress_denied',
] as const;

/** A stable issue code. */
export type IssueCode = (typeof ISSUE_CODES)[number];

/** Builds a JSON pointer (RFC 6901) from path segments. */
export function pointer(segments: ReadonlyArray<PropertyKey>): string {
  return segments.map((s) => '/' + String(s).replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}

/** Builds one issue. */
export function issue(code: IssueCode, segments: ReadonlyArray<PropertyKey>, message: string): ValidationIssue {
  return { code, path: pointer(segments), message };
}

/** Maps zod issues to validation issues: one per unrecognized key, limits named by what they limit. */
export function fromZodIssues(issues: readonly z.core.$ZodIssue[]): ValidationIssue[] {
  const out: ValidationIssue[] = [];
  for (const zi of issues) {
    const path = zi.path;
    if (zi.code === 'unrecognized_keys') {
      for (const key of zi.keys) out.push(issue('unrecognized_key', [...path, key], `unknown field "${key}"`));
      continue;
    }
    out.push(issue(codeOf(zi), path, zi.message));
  }
  return out;
}

function codeOf(zi: z.core.$ZodIssue): IssueCode {
  const top = zi.path.length === 1 ? zi.path[0] : undefined;
  switch (zi.code) {
    case 'too_big':
      if (top === 'nodes') return 'too_many_nodes';
      if (top === 'edges') return 'too_many_edges';
      return 'too_big';
    case 'too_small':
      return 'too_small';
    case 'invalid_type':
      return 'invalid_type';
    case 'invalid_union':
      return 'invalid_union';
    case 'invalid_format':
      return 'invalid_format';
    case 'custom':
      return zi.message === 'is reserved' ? 'reserved_id' : 'invalid_value';
    default:
      return 'invalid_value';
  }
}

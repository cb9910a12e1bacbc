/**
 * Validation rules of a gate's approval policy that a schema cannot say: a quorum the listed people can reach,
 * a `dataSchema` that compiles, an escalation that comes before the gate times out.
 */
import { Ajv } from 'ajv';
import type { ValidationIssue } from '../model/types';
import { issue } from './issues';

const ajv = new Ajv({ allErrors: true, strict: false });

/** The policy problems of one (loosely typed) gate node; `at` is the node's path segments. */
export function gatePolicyIssues(raw: Record<string, unknown>, at: ReadonlyArray<PropertyKey>): ValidationIssue[] {
  const out: ValidationIssue[] = [];
  const approvers = Array.isArray(raw.approvers) ? raw.approvers.filter((a): a is string => typeof a === 'string') : [];
  const escalation = (raw.escalation ?? {}) as { approvers?: unknown; afterSeconds?: unknown };
  const escalationApprovers = Array.isArray(escalation.approvers) ? escalation.approvers.filter((a): a is string => typeof a === 'string') : [];
  // With only named users (no group, no default set), a quorum above their number can never be met.
  const everyone = [...approvers, ...escalationApprovers];
  const namedOnly = approvers.length > 0 && everyone.every((a) => !a.startsWith('group:'));
  const distinct = new Set(everyone).size;
  for (const field of ['quorum', 'rejectQuorum'] as const) {
    const value = raw[field];
    if (namedOnly && typeof value === 'number' && value > distinct) {
      out.push(issue('quorum_unreachable', [...at, field], `${field} ${value} is more than the ${distinct} listed approver(s)`));
    }
  }
  if (raw.dataSchema !== undefined && typeof raw.dataSchema === 'object' && raw.dataSchema !== null) {
    try {
      const schema = raw.dataSchema as Record<string, unknown>;
      ajv.compile(schema);
      // Validation compiles schemas it will not keep: drop them from ajv's cache.
      ajv.removeSchema(schema);
    } catch (error) {
      out.push(issue('invalid_data_schema', [...at, 'dataSchema'], `dataSchema does not compile: ${(error as Error).message}`));
    }
  }
  if (typeof escalation.afterSeconds === 'number' && typeof raw.timeoutSeconds === 'number' && escalation.afterSeconds >= raw.timeoutSeconds) {
    out.push(issue('escalation_after_timeout', [...at, 'escalation', 'afterSeconds'], `escalation after ${escalation.afterSeconds} s would come after the gate times out (${raw.timeoutSeconds} s)`));
  }
  return out;
}

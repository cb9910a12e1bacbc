/**
 * Checks on a submitted workflow body before validation: read-only fields are rejected by name
 * (they are server-assigned and never stored from a request), and a template instantiation is recognised.
 */
import * as z from 'zod';
import { ValidationError, type FieldIssue } from '../errors';
import { LIMITS } from '../definition/schema';
import { zodIssues } from './zod-issues';

/** Fields the server assigns; a body that sets any of them is a 400 naming the field. */
export const READ_ONLY_FIELDS = [
  'id', 'ownerId', 'version', 'latestVersion', 'createdAt', 'updatedAt', 'deletedAt', 'createdBy',
  'stateMachineArn', 'stateMachineVersionArn', 'executionArn', 'role',
] as const;

/** Body of `POST /api/v1/workflows` that instantiates a template. */
export const InstantiateRequestSchema = z.strictObject({
  templateId: z.string().min(1).max(128),
  name: z.string().min(1).max(LIMITS.maxNameLength),
});

/** A template instantiation request. */
export type InstantiateRequest = z.infer<typeof InstantiateRequestSchema>;

/** Throws a `ValidationError` listing every read-only field present at the top level of `body`. */
export function rejectReadOnlyFields(body: unknown): void {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return;
  const issues: FieldIssue[] = READ_ONLY_FIELDS.filter((f) => Object.hasOwn(body, f)).map((f) => ({
    code: 'read_only_field', path: `/${f}`, message: `is assigned by the server and cannot be set`,
  }));
  if (issues.length > 0) throw new ValidationError(issues);
}

/** Returns the instantiation request if `body` has a `templateId`, else `undefined`; throws when it is malformed. */
export function asInstantiateRequest(body: unknown): InstantiateRequest | undefined {
  if (typeof body !== 'object' || body === null || !Object.hasOwn(body, 'templateId')) return undefined;
  const parsed = InstantiateRequestSchema.safeParse(body);
  if (!parsed.success) throw new ValidationError(zodIssues(parsed.error));
  return parsed.data;
}

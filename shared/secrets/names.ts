/**
 * Secret names and references: what a definition writes (`{ "secret": "name" }`) and how a name maps to the
 * owner's namespace in AWS Secrets Manager.
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';

/** A secret name: letters, digits, `_`, `-`, `.`; 1–128 characters, starting with a letter or digit. */
export const SECRET_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** Largest secret value, in bytes of UTF-8 (AWS Secrets Manager's limit). */
export const MAX_SECRET_BYTES = 64 * 1024;

/** Most secrets one user may hold. */
export const MAX_SECRETS_PER_OWNER = 100;

/** A secret name (zod). */
export const SecretNameSchema = z.string().regex(SECRET_NAME_PATTERN, 'must be 1-128 letters, digits, "_", "-" or ".", starting with a letter or digit');

/** A reference to one of the workflow owner's secrets, resolved by the executor at call time. */
export const SecretRefSchema = z.strictObject({ secret: SecretNameSchema });

/** A secret reference. */
export type SecretRef = z.infer<typeof SecretRefSchema>;

/** True when `value` is a `{ secret }` reference. */
export function isSecretRef(value: unknown): value is SecretRef {
  return typeof value === 'object' && value !== null && typeof (value as { secret?: unknown }).secret === 'string';
}

/** Characters Secrets Manager allows in a name segment (besides `/`). */
const SAFE_OWNER = /^[A-Za-z0-9_+=.@-]{1,128}$/;

/**
 * The owner's path segment in Secrets Manager: the user id when it is made of allowed characters (and does not
 * start with `=`), else `=` + the first 40 hex characters of its SHA-256, so every user id maps to one segment.
 */
export function ownerSegment(ownerId: string): string {
  if (SAFE_OWNER.test(ownerId) && !ownerId.startsWith('=')) return ownerId;
  return `=${createHash('sha256').update(ownerId, 'utf8').digest('hex').slice(0, 40)}`;
}

/** The Secrets Manager name of a secret: `<prefix><owner>/<name>` (prefix such as `braid/Braid/u/`). */
export function awsSecretName(prefix: string, ownerId: string, name: string): string {
  return `${prefix}${ownerSegment(ownerId)}/${name}`;
}

/**
 * Secrets (README, "Security"): a write-only store per user, a vault port with an AWS (Secrets Manager) and a
 * local (AES-256-GCM) adapter, references in definitions, and redaction of resolved values.
 */
export { SECRET_NAME_PATTERN, MAX_SECRET_BYTES, MAX_SECRETS_PER_OWNER, SecretNameSchema, SecretRefSchema, isSecretRef, ownerSegment, awsSecretName, type SecretRef } from './names';
export { SECRET_NOT_FOUND, SecretNotFoundError, SecretMissingError, SecretVaultError } from './errors';
export { cachedReader, type SecretVault, type SecretReader } from './vault';
export { createLocalVault, loadOrCreateSecretsKey, LOCAL_SECRETS_KEY_FILE } from './local-vault';
export { createAwsVault, type AwsVaultOptions } from './aws-vault';
export { SecretRepository, type SecretMeta } from './secret-repository';
export { createSecretService, type SecretService, type SecretServiceDeps } from './secret-service';
export { Redactor } from './redact';

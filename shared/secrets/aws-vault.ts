/**
 * The AWS vault: one Secrets Manager secret per (owner, name), named `<prefix><owner>/<name>`
 * (`braid/<stack>/u/<owner>/<name>`). The api function may create, update and delete under the prefix; the
 * executor may only read it (README, "Security").
 */
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { TransientError } from '../executors/errors';
import { SecretVaultError } from './errors';
import { awsSecretName } from './names';
import type { SecretVault } from './vault';

const THROTTLED = new Set(['ThrottlingException', 'TooManyRequestsException', 'InternalServiceError', 'ServiceUnavailable']);

/** Options of the AWS vault. */
export interface AwsVaultOptions {
  client: Pick<SecretsManagerClient, 'send'>;
  /** Name prefix ending in `/`, e.g. `braid/Braid/u/`. */
  prefix: string;
}

/** The vault on Secrets Manager. */
export function createAwsVault(options: AwsVaultOptions): SecretVault {
  const { client, prefix } = options;
  const nameOf = (ownerId: string, name: string) => awsSecretName(prefix, ownerId, name);
  return {
    async put(ownerId, name, value) {
      const id = nameOf(ownerId, name);
      try {
        await client.send(new CreateSecretCommand({ Name: id, SecretString: value, Tags: [{ Key: 'braid:owner', Value: ownerId.slice(0, 256) }] }));
      } catch (error) {
        if (errorName(error) !== 'ResourceExistsException') throw translate(error, name);
        try {
          await client.send(new PutSecretValueCommand({ SecretId: id, SecretString: value }));
        } catch (again) {
          throw translate(again, name);
        }
      }
    },
    async get(ownerId, name) {
      try {
        const out = await client.send(new GetSecretValueCommand({ SecretId: nameOf(ownerId, name) }));
        return out.SecretString;
      } catch (error) {
        if (errorName(error) === 'ResourceNotFoundException') return undefined;
        throw translate(error, name);
      }
    },
    async delete(ownerId, name) {
      try {
        // No recovery window: the user deleted it on purpose, and may create the same name again at once.
        await client.send(new DeleteSecretCommand({ SecretId: nameOf(ownerId, name), ForceDeleteWithoutRecovery: true }));
      } catch (error) {
        if (errorName(error) !== 'ResourceNotFoundException') throw translate(error, name);
      }
    },
  };
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : 'Error';
}

/** SDK errors become domain errors that name the secret and the AWS error, never the value. */
function translate(error: unknown, name: string): Error {
  const awsName = errorName(error);
  if (THROTTLED.has(awsName)) return new TransientError(`Secrets Manager is unavailable (${awsName}) for secret "${name}"`, { secret: name }, { cause: error });
  return new SecretVaultError(`Secrets Manager refused secret "${name}": ${awsName}`, { cause: error });
}

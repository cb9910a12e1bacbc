/**
 * The local vault: values sealed with AES-256-GCM (a fresh 96-bit IV per value, the owner and name as
 * additional data, so a sealed value cannot be moved to another owner or name) and stored in the table. The
 * 256-bit key is `<dataDir>/secrets.key`, created with mode 0600, or held in memory for in-memory stacks.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { storeCall } from '../store/errors';
import type { TableRef } from '../store/table';
import { SecretVaultError } from './errors';
import type { SecretVault } from './vault';

/** File name of the local key inside the data directory. */
export const LOCAL_SECRETS_KEY_FILE = 'secrets.key';

const KEY_BYTES = 32;

/** Loads `<dataDir>/secrets.key`, creating it (mode 0600) on first use. */
export async function loadOrCreateSecretsKey(dataDir: string): Promise<Buffer> {
  const file = join(dataDir, LOCAL_SECRETS_KEY_FILE);
  try {
    return decodeKey(await readFile(file, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(dataDir, { recursive: true });
  const key = randomBytes(KEY_BYTES);
  try {
    await writeFile(file, key.toString('base64'), { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return decodeKey(await readFile(file, 'utf8'));
    throw error;
  }
  return key;
}

function decodeKey(text: string): Buffer {
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== KEY_BYTES) throw new SecretVaultError(`${LOCAL_SECRETS_KEY_FILE} must hold ${KEY_BYTES} base64 bytes`);
  return key;
}

/** The vault on the table, sealing with `key` (32 bytes). */
export function createLocalVault(table: TableRef, key: Buffer = randomBytes(KEY_BYTES)): SecretVault {
  if (key.length !== KEY_BYTES) throw new SecretVaultError(`the local secrets key must be ${KEY_BYTES} bytes`);
  const itemKey = (ownerId: string, name: string) => ({ PK: `SECRETS#${ownerId}`, SK: `VALUE#${name}` });
  const aad = (ownerId: string, name: string) => Buffer.from(JSON.stringify([ownerId, name]), 'utf8');
  return {
    async put(ownerId, name, value) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(aad(ownerId, name));
      const sealed = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
      const item = { ...itemKey(ownerId, name), entity: 'secretValue', iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), sealed: sealed.toString('base64') };
      await storeCall(() => table.client.send(new PutCommand({ TableName: table.tableName, Item: item })));
    },
    async get(ownerId, name) {
      const out = await storeCall(() => table.client.send(new GetCommand({ TableName: table.tableName, Key: itemKey(ownerId, name), ConsistentRead: true })));
      if (!out.Item) return undefined;
      const { iv, tag, sealed } = out.Item as { iv: string; tag: string; sealed: string };
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64'));
        decipher.setAAD(aad(ownerId, name));
        decipher.setAuthTag(Buffer.from(tag, 'base64'));
        return Buffer.concat([decipher.update(Buffer.from(sealed, 'base64')), decipher.final()]).toString('utf8');
      } catch (error) {
        throw new SecretVaultError(`secret "${name}" does not decrypt with this data directory's key`, { cause: error });
      }
    },
    async delete(ownerId, name) {
      await storeCall(() => table.client.send(new DeleteCommand({ TableName: table.tableName, Key: itemKey(ownerId, name) })));
    },
  };
}

/**
 * Names and dates of a user's secrets (`SECRETS#<ownerId>` / `SECRET#<name>`), never values: listing a user's
 * secrets reads only these.
 */
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { storeCall } from '../store/errors';
import { queryPage, stripKeys } from '../store/query';
import type { TableRef } from '../store/table';
import type { PageKey } from '../store/cursor';
import { MAX_SECRETS_PER_OWNER } from './names';

/** What Braid shows of a secret. */
export interface SecretMeta {
  name: string;
  createdAt: string;
  updatedAt: string;
}

/** Reads and writes secret metadata. */
export class SecretRepository {
  constructor(private readonly table: TableRef) {}

  /** Records a secret; keeps `createdAt` of an existing one. Returns the record and whether it was new. */
  async upsert(ownerId: string, name: string, at: string): Promise<{ meta: SecretMeta; created: boolean }> {
    const existing = (await this.list(ownerId)).find((s) => s.name === name);
    const meta: SecretMeta = { name, createdAt: existing?.createdAt ?? at, updatedAt: at };
    await storeCall(() =>
      this.table.client.send(new PutCommand({ TableName: this.table.tableName, Item: { PK: `SECRETS#${ownerId}`, SK: `SECRET#${name}`, entity: 'secret', ...meta } })),
    );
    return { meta, created: existing === undefined };
  }

  /** Removes the record; returns whether one existed. */
  async delete(ownerId: string, name: string): Promise<boolean> {
    const out = await storeCall(() =>
      this.table.client.send(new DeleteCommand({ TableName: this.table.tableName, Key: { PK: `SECRETS#${ownerId}`, SK: `SECRET#${name}` }, ReturnValues: 'ALL_OLD' })),
    );
    return out.Attributes !== undefined;
  }

  /** Every secret of the owner, by name. */
  async list(ownerId: string): Promise<SecretMeta[]> {
    const items: SecretMeta[] = [];
    let startKey: PageKey | undefined;
    do {
      const page = await queryPage(this.table, { index: 'table', partition: `SECRETS#${ownerId}`, sortPrefix: 'SECRET#', ascending: true, limit: 100, startKey, consistent: true });
      for (const item of page.items) {
        const { name, createdAt, updatedAt } = stripKeys(item) as unknown as SecretMeta;
        items.push({ name, createdAt, updatedAt });
      }
      startKey = page.lastKey;
    } while (startKey && items.length < MAX_SECRETS_PER_OWNER * 2);
    return items;
  }
}

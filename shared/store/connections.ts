/**
 * WebSocket connections: one `CONN#<id>` / `META` item per open connection, with the user it authenticated as.
 * Items carry a TTL so a connection whose `$disconnect` never arrived disappears on its own.
 */
import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { storeCall } from './errors';
import { keys, type TableRef } from './table';

/** How long a connection item lives: API Gateway closes a WebSocket after 2 hours, plus an hour of slack. */
export const CONNECTION_TTL_SECONDS = 3 * 60 * 60;

/** An open WebSocket connection. */
export interface Connection {
  connectionId: string;
  userId: string;
  connectedAt: string;
  /** Epoch seconds after which the store may delete the item (the table's TTL attribute, `ttl`). */
  ttl: number;
  /** Open subscriptions (maintained by the subscription repository). */
  subscriptionCount: number;
}

/** Stores WebSocket connections. */
export interface ConnectionRepository {
  /** Records a new connection (idempotent for a repeated `$connect`). */
  put(input: { connectionId: string; userId: string; now: Date }): Promise<Connection>;
  /** The connection, or undefined when it is gone. */
  get(connectionId: string): Promise<Connection | undefined>;
  /** Deletes the connection item (its subscriptions are removed by the subscription repository). */
  delete(connectionId: string): Promise<void>;
}

/** Creates the connection repository over the Braid table. */
export function createConnectionRepository(table: TableRef): ConnectionRepository {
  const { client, tableName } = table;
  return {
    async put({ connectionId, userId, now }) {
      const connection: Connection = {
        connectionId,
        userId,
        connectedAt: now.toISOString(),
        ttl: Math.floor(now.getTime() / 1000) + CONNECTION_TTL_SECONDS,
        subscriptionCount: 0,
      };
      await storeCall(() => client.send(new PutCommand({ TableName: tableName, Item: { ...keys.connection(connectionId), ...connection } })));
      return connection;
    },
    async get(connectionId) {
      const out = await storeCall(() => client.send(new GetCommand({ TableName: tableName, Key: keys.connection(connectionId), ConsistentRead: true })));
      if (!out.Item) return undefined;
      return {
        connectionId: String(out.Item.connectionId),
        userId: String(out.Item.userId),
        connectedAt: String(out.Item.connectedAt),
        ttl: Number(out.Item.ttl ?? 0),
        subscriptionCount: Number(out.Item.subscriptionCount ?? 0),
      };
    },
    async delete(connectionId) {
      await storeCall(() => client.send(new DeleteCommand({ TableName: tableName, Key: keys.connection(connectionId) })));
    },
  };
}

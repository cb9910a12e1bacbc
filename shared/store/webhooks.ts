/**
 * Webhook bookkeeping of a workflow: its signing secret (`WF#<id>` / `WEBHOOK`, created on first use, rotated
 * by the owner; server-side, shown only to the owner) and its deliveries (`WF#<id>` / `DELIVERY#<at>#<id>`,
 * kept 30 days), each with every attempt's status.
 */
import { randomBytes } from 'node:crypto';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ConflictError } from '../errors';
import { keys, type TableRef } from './table';
import { storeCall } from './errors';
import { queryPage, stripKeys } from './query';

/** How long a delivery record is kept. */
export const DELIVERY_TTL_SECONDS = 30 * 86_400;

/** One attempt to deliver a webhook. */
export interface DeliveryAttempt {
  at: string;
  /** The receiver's HTTP status, absent when the request failed before a response. */
  status?: number;
  error?: string;
}

/** A recorded webhook delivery. */
export interface WebhookDelivery {
  id: string;
  workflowId: string;
  runId: string;
  type: string;
  url: string;
  createdAt: string;
  outcome: 'delivered' | 'failed';
  attempts: DeliveryAttempt[];
}

/** Reads and writes webhook secrets and deliveries. */
export class WebhookRepository {
  constructor(private readonly table: TableRef) {}

  /** The workflow's signing secret, created (once, under concurrency) when it has none. */
  async secret(workflowId: string, now: string): Promise<string> {
    const existing = await this.read(workflowId);
    if (existing) return existing;
    try {
      return await this.write(workflowId, now, true);
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      const raced = await this.read(workflowId);
      if (!raced) throw error;
      return raced;
    }
  }

  /** Replaces the signing secret; returns the new one. */
  async rotate(workflowId: string, now: string): Promise<string> {
    return this.write(workflowId, now, false);
  }

  /** Records a delivery. */
  async recordDelivery(delivery: WebhookDelivery): Promise<void> {
    const ttl = Math.floor(Date.parse(delivery.createdAt) / 1000) + DELIVERY_TTL_SECONDS;
    await storeCall(() => this.table.client.send(new PutCommand({
      TableName: this.table.tableName,
      Item: { ...keys.webhookDelivery(delivery.workflowId, delivery.createdAt, delivery.id), entity: 'delivery', ...delivery, ttl },
    })));
  }

  /** The workflow's most recent deliveries, newest first. */
  async listDeliveries(workflowId: string, limit: number): Promise<WebhookDelivery[]> {
    const page = await queryPage(this.table, { index: 'table', partition: `WF#${workflowId}`, sortPrefix: 'DELIVERY#', ascending: false, limit, consistent: true });
    return page.items.map((item) => stripKeys(item) as unknown as WebhookDelivery);
  }

  private async read(workflowId: string): Promise<string | undefined> {
    const out = await storeCall(() => this.table.client.send(new GetCommand({ TableName: this.table.tableName, Key: keys.webhookSecret(workflowId), ConsistentRead: true })));
    return typeof out.Item?.secret === 'string' ? out.Item.secret : undefined;
  }

  private async write(workflowId: string, now: string, onlyIfAbsent: boolean): Promise<string> {
    const secret = `whsec_${randomBytes(32).toString('base64url')}`;
    await storeCall(() => this.table.client.send(new PutCommand({
      TableName: this.table.tableName,
      Item: { ...keys.webhookSecret(workflowId), entity: 'webhook', secret, createdAt: now },
      ...(onlyIfAbsent ? { ConditionExpression: 'attribute_not_exists(PK)' } : {}),
    })), { reason: 'secret_exists', message: 'the webhook secret exists' });
    return secret;
  }
}

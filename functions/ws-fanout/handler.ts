/**
 * Fan-out: DynamoDB Stream records of event items (`SK` begins with `EV#`) → drain every subscription of each
 * run in the batch. Runs are independent; a run whose fan-out failed is reported as a batch item failure from
 * its first record (the event source mapping needs `ReportBatchItemFailures`), and the retry resumes each
 * subscription from its cursor, so nothing is sent twice.
 */
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import * as z from 'zod';
import type { LiveService } from '../../shared/live/live-service';
import { LiveConfigSchema, liveServiceFromConfig } from '../../shared/live/runtime';
import { EVENT_SK_PREFIX } from '../../shared/store/table';
import { readConfig, lazyHandler } from '../runtime';

const RecordSchema = z.object({
  eventName: z.string().optional(),
  dynamodb: z.object({
    SequenceNumber: z.string().optional(),
    NewImage: z.object({
      PK: z.object({ S: z.string() }),
      SK: z.object({ S: z.string() }),
    }).loose().optional(),
  }).loose().optional(),
}).loose();
const EventSchema = z.object({ Records: z.array(RecordSchema) });

/** Builds the fan-out handler on a live service. */
export function createWsFanoutHandler(service: LiveService): (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse> {
  return async (event) => {
    const { Records } = EventSchema.parse(event);
    // First record (and its sequence number) per run: a failure retries from there.
    const runs = new Map<string, string | undefined>();
    for (const record of Records) {
      const image = record.dynamodb?.NewImage;
      if (record.eventName === 'REMOVE' || !image || !image.SK.S.startsWith(EVENT_SK_PREFIX)) continue;
      const runId = image.PK.S.replace(/^RUN#/, '');
      if (!runs.has(runId)) runs.set(runId, record.dynamodb?.SequenceNumber);
    }
    const entries = [...runs];
    const results = await Promise.allSettled(entries.map(([runId]) => service.fanOut(runId)));
    const failures: DynamoDBBatchResponse['batchItemFailures'] = [];
    results.forEach((result, i) => {
      const sequence = entries[i]?.[1];
      if (result.status === 'rejected') {
        // Without a sequence number the batch cannot be retried partly: fail it whole.
        if (sequence === undefined) throw result.reason;
        failures.push({ itemIdentifier: sequence });
      }
    });
    return { batchItemFailures: failures };
  };
}

/** Lambda entry point. */
export const handler = lazyHandler(() => createWsFanoutHandler(liveServiceFromConfig(readConfig(LiveConfigSchema))));

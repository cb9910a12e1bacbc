/**
 * Fan-out: DynamoDB Stream records of event items (`SK` begins with `EV#`) → for each run in the batch, its
 * events pushed in seq order to every subscriber (`LiveService.fanOut`, which starts from the run's fan-out
 * mark). Runs are independent; a run whose fan-out failed is reported as a batch item failure from its first
 * record (the event source mapping needs `ReportBatchItemFailures`); the retry starts again from the run's mark,
 * so subscribers may get an event twice, which the client drops by seq.
 */
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import * as z from 'zod';
import type { LiveService } from '../../shared/live/live-service';
import { LiveConfigSchema, liveServiceFromConfig } from '../../shared/live/runtime';
import type { RunEvent } from '../../shared/model/types';
import { fromItem } from '../../shared/store/events';
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

/** The event an image holds, when it is a whole one (else the fan-out reads it from the log). */
function eventOf(image: Record<string, unknown>): RunEvent | undefined {
  try {
    const event = fromItem(unmarshall(image as Record<string, AttributeValue>, { wrapNumbers: (value: string) => Number(value) }));
    return Number.isSafeInteger(event.seq) && event.seq > 0 && typeof event.type === 'string' ? event : undefined;
  } catch {
    return undefined;
  }
}

/** Builds the fan-out handler on a live service. */
export function createWsFanoutHandler(service: LiveService): (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse> {
  return async (event) => {
    const { Records } = EventSchema.parse(event);
    // Per run: the first record's sequence number (a failure retries from there) and the events carried.
    const runs = new Map<string, { sequence: string | undefined; events: RunEvent[]; whole: boolean }>();
    for (const record of Records) {
      const image = record.dynamodb?.NewImage;
      if (record.eventName === 'REMOVE' || !image || !image.SK.S.startsWith(EVENT_SK_PREFIX)) continue;
      const runId = image.PK.S.replace(/^RUN#/, '');
      const run = runs.get(runId) ?? { sequence: record.dynamodb?.SequenceNumber, events: [], whole: true };
      runs.set(runId, run);
      const carried = eventOf(image);
      if (carried && carried.runId === runId) run.events.push(carried);
      else run.whole = false;
    }
    const entries = [...runs];
    // An image that did not parse: let the fan-out read the log instead of trusting the batch.
    const results = await Promise.allSettled(entries.map(([runId, run]) => service.fanOut(runId, run.whole ? run.events : undefined)));
    const failures: DynamoDBBatchResponse['batchItemFailures'] = [];
    results.forEach((result, i) => {
      const sequence = entries[i]?.[1].sequence;
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

/**
 * The table's stream -> ws-fanout, filtered to event items (`SK` begins with `EV#`), in order per shard,
 * with bisect-on-error and an SQS on-failure destination for records that still fail.
 */
import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { FilterCriteria, FilterRule, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { EVENT_SK_PREFIX } from '../../shared/store/table';
import type { BraidFunction } from './braid-function';
import { suppress } from './nag';

/** Props of {@link LiveStream}. */
export interface LiveStreamProps {
  table: ITable;
  fanout: BraidFunction;
}

/** Wires the stream of new event items to the fan-out function. */
export class LiveStream extends Construct {
  /** Where stream batches that kept failing are described (not the records themselves). */
  readonly failures: Queue;

  constructor(scope: Construct, id: string, props: LiveStreamProps) {
    super(scope, id);
    this.failures = new Queue(this, 'FanoutFailures', {
      encryption: QueueEncryption.SQS_MANAGED, enforceSSL: true, retentionPeriod: Duration.days(14),
    });
    suppress(this.failures, {
      'AwsSolutions-SQS3': 'This queue is itself the on-failure destination of the fan-out stream mapping.',
      'Serverless-SQSRedrivePolicy': 'This queue is itself a failure destination; nothing consumes it automatically.',
    });
    props.fanout.fn.addEventSource(new DynamoEventSource(props.table, {
      startingPosition: StartingPosition.LATEST,
      batchSize: 100,
      maxBatchingWindow: Duration.millis(0),
      // One batch at a time per shard: events of a run stay in order.
      parallelizationFactor: 1,
      bisectBatchOnError: true,
      retryAttempts: 5,
      maxRecordAge: Duration.hours(1),
      reportBatchItemFailures: true,
      onFailure: new SqsDlq(this.failures),
      filters: [FilterCriteria.filter({
        eventName: FilterRule.isEqual('INSERT'),
        dynamodb: { NewImage: { SK: { S: FilterRule.beginsWith(EVENT_SK_PREFIX) } } },
      })],
    }));
  }
}

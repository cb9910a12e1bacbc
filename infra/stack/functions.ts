/**
 * The ten functions, one per role (ARCHITECTURE.md "Functions"), with the configuration every one reads.
 * Grants and resource-specific variables are added by the constructs that own those resources.
 */
import { Duration } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { TABLE_ACTIONS, TABLE_CALLERS } from '../../shared/adapters/aws-calls';
import { EXECUTOR_LAMBDA_TIMEOUT_SECONDS } from '../../shared/definition/execution-limits';
import { BraidFunction, type FunctionName } from './braid-function';
import { DEFAULT_QUOTAS, QUOTA_ENV, type QuotaLimits } from '../../shared/quotas/config';
import { logicalId, suppress } from './nag';

/** Per-role sizing: the HTTP API gives up after 30 s, the executor may wait on a slow agent. */
const SIZING: Record<FunctionName, { memorySize: number; timeout: Duration }> = {
  api: { memorySize: 1024, timeout: Duration.seconds(29) },
  compile: { memorySize: 1024, timeout: Duration.seconds(29) },
  gate: { memorySize: 512, timeout: Duration.seconds(15) },
  // The validator bounds executor nodes by this timeout minus a margin (shared/definition/execution-limits.ts).
  executor: { memorySize: 1024, timeout: Duration.seconds(EXECUTOR_LAMBDA_TIMEOUT_SECONDS) },
  finalizer: { memorySize: 512, timeout: Duration.minutes(5) },
  'ws-authorizer': { memorySize: 512, timeout: Duration.seconds(10) },
  'ws-connect': { memorySize: 512, timeout: Duration.seconds(10) },
  'ws-disconnect': { memorySize: 512, timeout: Duration.seconds(10) },
  'ws-message': { memorySize: 512, timeout: Duration.seconds(29) },
  'ws-fanout': { memorySize: 512, timeout: Duration.minutes(1) },
};

/** Every function name, in a stable order. */
export const FUNCTION_NAMES = Object.keys(SIZING) as FunctionName[];

/** Props of {@link Functions}. */
export interface FunctionsProps {
  table: ITable;
  logLevel: string;
  logRetention: RetentionDays;
  destroyLogs: boolean;
  /** Custom metrics namespace (`Braid/<stack>`), as `POWERTOOLS_METRICS_NAMESPACE` of every function. */
  metricsNamespace: string;
  /**
   * Token settings for the function that verifies tokens itself (the WebSocket authorizer). Like the HTTP API's
   * JWT authorizer, it finds the keys through the issuer's discovery document, so both trust the same keys.
   */
  jwt: { issuer: string; audience: string };
  /** Quotas the API and compile functions enforce. @default DEFAULT_QUOTAS */
  quotas?: QuotaLimits;
  /** Reserved concurrency of the executor. @default none */
  executorReservedConcurrency?: number;
}

/** The functions, by name. */
export class Functions extends Construct {
  /** Each function by its entry folder name. */
  readonly byName: Record<FunctionName, BraidFunction>;
  /** Dead letters of the finalizer, the one asynchronously invoked function (EventBridge). */
  readonly finalizerDlq: Queue;

  constructor(scope: Construct, id: string, props: FunctionsProps) {
    super(scope, id);
    this.finalizerDlq = new Queue(this, 'FinalizerDlq', {
      encryption: QueueEncryption.SQS_MANAGED, enforceSSL: true, retentionPeriod: Duration.days(14),
    });
    suppress(this.finalizerDlq, {
      'AwsSolutions-SQS3': 'This queue is itself the dead-letter queue of the finalizer (function and EventBridge targets).',
      'Serverless-SQSRedrivePolicy': 'This queue is itself a dead-letter queue; nothing consumes it automatically.',
    });
    const entries = FUNCTION_NAMES.map((name) => {
      const environment: Record<string, string> = {
        TABLE_NAME: props.table.tableName,
        POWERTOOLS_SERVICE_NAME: `braid-${name}`,
        LOG_LEVEL: props.logLevel,
        POWERTOOLS_METRICS_NAMESPACE: props.metricsNamespace,
      };
      if (name === 'api' || name === 'compile') {
        const quotas = props.quotas ?? DEFAULT_QUOTAS;
        for (const [key, variable] of Object.entries(QUOTA_ENV) as [keyof QuotaLimits, string][]) environment[variable] = String(quotas[key]);
      }
      if (name === 'ws-authorizer') {
        environment['JWT_ISSUER'] = props.jwt.issuer;
        environment['JWT_AUDIENCE'] = props.jwt.audience;
      }
      const fn = new BraidFunction(this, toId(name), {
        name,
        ...SIZING[name],
        environment,
        logRetention: props.logRetention,
        destroyLogs: props.destroyLogs,
        deadLetterQueue: name === 'finalizer' ? this.finalizerDlq : undefined,
        // Bindings and conditions run on expression workers that can be stopped at the node's budget.
        ...(name === 'executor' ? { workers: { 'expression-worker.mjs': 'shared/expressions/worker.ts' } } : {}),
        // The RE2 engine of inputSchema patterns, loaded on first use (shared/expressions/re2-ajv.ts).
        ...(name === 'api' ? { workers: { 're2.cjs': 'node_modules/re2js/build/index.cjs' } } : {}),
        // One tenant's fan-out cannot take the account's concurrency from the API functions.
        ...(name === 'executor' && props.executorReservedConcurrency !== undefined ? { reservedConcurrentExecutions: props.executorReservedConcurrency } : {}),
      });
      return [name, fn] as const;
    });
    this.byName = Object.fromEntries(entries) as Record<FunctionName, BraidFunction>;

    // Exactly the actions the store's commands need (shared/adapters/aws-calls.ts), not grantReadWriteData's
    // Scan, BatchWriteItem, ConditionCheckItem, DescribeTable and stream reads.
    const indexes = `AwsSolutions-IAM5[Resource::<${logicalId(props.table)}.Arn>/index/*]`;
    for (const name of TABLE_CALLERS) {
      const role = this.byName[name].role;
      role.addToPolicy(new PolicyStatement({
        sid: 'Table', actions: [...TABLE_ACTIONS], resources: [props.table.tableArn, `${props.table.tableArn}/index/*`],
      }));
      suppress(role, { [indexes]: 'The table\'s own indexes (GSI1, GSI2): listings query them.' });
    }
    // The authorizer checks tokens only; it never touches the table.
  }
}

/** `ws-fanout` -> `WsFanout`: construct ids stay readable in the console. */
function toId(name: string): string {
  return name.split('-').map((part) => part.charAt(0).toUpperCase() + part.slice(1)).join('');
}

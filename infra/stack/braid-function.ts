/**
 * One Braid Lambda function, the same way for every role: Node 22 on ARM64, bundled locally by esbuild
 * (minified, source maps, metafile for the bundle report), X-Ray, its own log group and its own role.
 */
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Tags } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { suppress } from './nag';

/** The repository root: entries, the lockfile and esbuild live here. */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Every function of the stack, named by its entry folder `functions/<name>/handler.ts`. */
export type FunctionName =
  | 'api' | 'compile' | 'gate' | 'executor' | 'finalizer'
  | 'ws-authorizer' | 'ws-connect' | 'ws-disconnect' | 'ws-message' | 'ws-fanout';

/** Tag on every function so reports and tests can tell them apart. */
export const FUNCTION_TAG = 'braid:function';

/** Props of {@link BraidFunction}. */
export interface BraidFunctionProps {
  name: FunctionName;
  /** Memory in MB. @default 512 */
  memorySize?: number;
  timeout: Duration;
  /** Configuration only: never a secret. */
  environment: Record<string, string>;
  logRetention: RetentionDays;
  /** Delete the log group with the stack. @default false */
  destroyLogs?: boolean;
  /** Dead-letter queue for asynchronous invocations; only asynchronously invoked functions have one. */
  deadLetterQueue?: IQueue;
  /**
   * Files bundled on their own next to the handler (a `worker_threads` script, or a package loaded lazily): output
   * file name (`.cjs`: CommonJS, else ESM) → entry path from the repository root. @default none
   * @example { 'expression-worker.mjs': 'shared/expressions/worker.ts' }
   */
  workers?: Record<string, string>;
  /** Concurrency reserved for (and capping) this function. @default none */
  reservedConcurrentExecutions?: number;
}

/** Shell-quotes one argument. */
function quote(arg: string): string {
  return `'${arg.replaceAll("'", "'\\''")}'`;
}

/** esbuild commands that bundle each worker into the function's asset, after the handler is bundled. */
function workerBundling(workers: Record<string, string>): { commandHooks: { beforeBundling(): string[]; beforeInstall(): string[]; afterBundling(inputDir: string, outputDir: string): string[] } } {
  return {
    commandHooks: {
      beforeBundling: () => [],
      beforeInstall: () => [],
      afterBundling: (inputDir, outputDir) => Object.entries(workers).map(([file, entry]) => [
        quote(`${REPO_ROOT}node_modules/.bin/esbuild`), quote(`${inputDir}/${entry}`), '--bundle', '--platform=node', `--format=${file.endsWith('.cjs') ? 'cjs' : 'esm'}`,
        '--target=node22', '--minify', '--log-level=warning', `--outfile=${quote(`${outputDir}/${file}`)}`,
      ].join(' ')),
    },
  };
}

/** A function with least-privilege logging: its role may write only its own log group. */
export class BraidFunction extends Construct {
  /** The Lambda function. */
  readonly fn: NodejsFunction;
  /** Its execution role; grants are added by the stack. */
  readonly role: Role;
  /** Its log group. */
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: BraidFunctionProps) {
    super(scope, id);
    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: props.destroyLogs ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    });
    // Our own role instead of the default one: the managed AWSLambdaBasicExecutionRole allows writing to any log group.
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Braid ${props.name} function`,
    });
    this.role.addToPolicy(new PolicyStatement({
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [this.logGroup.logGroupArn],
    }));
    this.fn = new NodejsFunction(this, 'Function', {
      entry: `${REPO_ROOT}functions/${props.name}/handler.ts`,
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: `${REPO_ROOT}package-lock.json`,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout,
      tracing: Tracing.ACTIVE,
      role: this.role,
      logGroup: this.logGroup,
      deadLetterQueue: props.deadLetterQueue,
      ...(props.reservedConcurrentExecutions !== undefined ? { reservedConcurrentExecutions: props.reservedConcurrentExecutions } : {}),
      description: `Braid ${props.name} (functions/${props.name}/handler.ts)`,
      environment: { ...props.environment, NODE_OPTIONS: '--enable-source-maps' },
      bundling: {
        forceDockerBundling: false,
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        metafile: true,
        format: OutputFormat.ESM,
        target: 'node22',
        mainFields: ['module', 'main'],
        // The Node.js 22 runtime provides AWS SDK v3 and its @smithy packages (the SigV4 signer among them).
        externalModules: ['@aws-sdk/*', '@smithy/*'],
        // ESM bundles still meet CommonJS dependencies that call require(): give them one.
        banner: "import{createRequire as __braidCreateRequire}from'module';const require=__braidCreateRequire(import.meta.url);",
        ...(props.workers ? workerBundling(props.workers) : {}),
      },
    });
    Tags.of(this.fn).add(FUNCTION_TAG, props.name);
    suppress(this.fn, {
      'AwsSolutions-L1': 'Pinned to Node.js 22 on purpose: the code, the local stack and the tests run on Node 22; move runtimes deliberately.',
      'Serverless-LambdaLatestVersion': 'Pinned to Node.js 22 on purpose: the code, the local stack and the tests run on Node 22; move runtimes deliberately.',
    });
    if (!props.deadLetterQueue) {
      suppress(this.fn, {
        'Serverless-LambdaDLQ': 'Invoked synchronously (API Gateway, Step Functions lambda:invoke) or by a stream mapping with its own on-failure destination; a DLQ applies to asynchronous invocations only.',
      });
    }
    suppress(this.role, {
      'AwsSolutions-IAM5[Resource::*]': 'Only xray:PutTraceSegments/PutTelemetryRecords (Lambda active tracing), which support no resource-level permissions, plus dynamodb:ListStreams on the fan-out role, which has none either.',
    });
  }
}

/**
 * Test helper: loads every function of a synthesized template the way Lambda does at cold start, with
 * exactly the template's environment (intrinsics resolved to well-formed placeholder values) plus what the
 * Lambda runtime itself sets, and nothing from the local stack. Each load runs in its own child process.
 *
 * Module resolution matches the Node.js 22 runtime: the bundle sits in its asset directory, and only the AWS
 * SDK v3 (`@aws-sdk/*`, `@smithy/*`, which the runtime provides and the bundles leave external) resolves
 * outside it, through a `node_modules` beside the asset directories that holds links to those two scopes.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const REGION = 'us-east-1';
const ACCOUNT = '123456789012';

/** A resource of a CloudFormation template, as far as this helper reads it. */
export interface TemplateResource {
  Type: string;
  Properties?: Record<string, unknown>;
}

/** A template's resources by logical id. */
export type TemplateResources = Record<string, TemplateResource>;

/** A value that no rule below can resolve: the helper needs a rule for a new intrinsic or resource type. */
export class UnresolvedIntrinsicError extends Error {
  constructor(value: unknown) {
    super(`cannot resolve ${JSON.stringify(value)}`);
    this.name = 'UnresolvedIntrinsicError';
  }
}

const SERVICE_OF_TYPE: Record<string, string> = {
  'AWS::Lambda::Function': 'lambda', 'AWS::DynamoDB::Table': 'dynamodb', 'AWS::IAM::Role': 'iam', 'AWS::Logs::LogGroup': 'logs',
  'AWS::SQS::Queue': 'sqs', 'AWS::SNS::Topic': 'sns', 'AWS::Cognito::UserPool': 'cognito-idp', 'AWS::ApiGatewayV2::Api': 'execute-api',
};

/** What `Ref` returns for a resource, by type (a name, an id, or a URL), shaped like the real value. */
function refOf(id: string, resource: TemplateResource): string {
  switch (resource.Type) {
    case 'AWS::Cognito::UserPool': return `${REGION}_Pool${id.length}x`;
    case 'AWS::Cognito::UserPoolClient': return 'abcdefghij1234567890abcdef';
    case 'AWS::ApiGatewayV2::Api': return 'abcde12345';
    case 'AWS::SQS::Queue': return `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${id}`;
    case 'AWS::SNS::Topic': return `arn:aws:sns:${REGION}:${ACCOUNT}:${id}`;
    case 'AWS::SecretsManager::Secret': return `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${id}-AbCdEf`;
    default: return id;
  }
}

/** What `Fn::GetAtt` returns for the attributes the templates use. */
function attOf(id: string, resource: TemplateResource, attribute: string): string {
  const name = refOf(id, resource);
  if (attribute === 'Arn') {
    switch (resource.Type) {
      case 'AWS::Lambda::Function': return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;
      case 'AWS::IAM::Role': return `arn:aws:iam::${ACCOUNT}:role/${name}`;
      case 'AWS::Logs::LogGroup': return `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${name}:*`;
      case 'AWS::DynamoDB::Table': return `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${name}`;
      case 'AWS::SQS::Queue': return `arn:aws:sqs:${REGION}:${ACCOUNT}:${id}`;
      default: {
        const service = SERVICE_OF_TYPE[resource.Type];
        if (!service) throw new UnresolvedIntrinsicError({ 'Fn::GetAtt': [id, attribute], type: resource.Type });
        return `arn:aws:${service}:${REGION}:${ACCOUNT}:${name}`;
      }
    }
  }
  if (resource.Type === 'AWS::Cognito::UserPool' && attribute === 'ProviderURL') return `https://cognito-idp.${REGION}.amazonaws.com/${name}`;
  if (resource.Type === 'AWS::Cognito::UserPool' && attribute === 'ProviderName') return `cognito-idp.${REGION}.amazonaws.com/${name}`;
  if (resource.Type === 'AWS::SQS::Queue' && attribute === 'QueueName') return id;
  if (resource.Type === 'AWS::SQS::Queue' && attribute === 'QueueUrl') return refOf(id, resource);
  throw new UnresolvedIntrinsicError({ 'Fn::GetAtt': [id, attribute], type: resource.Type });
}

const PSEUDO: Record<string, string> = {
  'AWS::Region': REGION, 'AWS::AccountId': ACCOUNT, 'AWS::Partition': 'aws', 'AWS::URLSuffix': 'amazonaws.com',
};

/**
 * Resolves a template value (a string or an intrinsic: `Ref`, `Fn::GetAtt`, `Fn::Join`, `Fn::Select`,
 * `Fn::Split`, `Fn::Sub`) to a placeholder shaped like what CloudFormation would put there.
 */
export function resolveValue(value: unknown, resources: TemplateResources, stackName: string): unknown {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.map((v) => resolveValue(v, resources, stackName));
  if (value === null || typeof value !== 'object') throw new UnresolvedIntrinsicError(value);
  const [key, arg] = Object.entries(value)[0] ?? [];
  const res = (v: unknown) => resolveValue(v, resources, stackName);
  const resource = (id: string) => {
    const r = resources[id];
    if (!r) throw new UnresolvedIntrinsicError(value);
    return r;
  };
  switch (key) {
    case 'Ref': {
      const id = String(arg);
      if (id === 'AWS::StackName') return stackName;
      return PSEUDO[id] ?? refOf(id, resource(id));
    }
    case 'Fn::GetAtt': {
      const [id, attribute] = Array.isArray(arg) ? arg.map(String) : String(arg).split('.');
      return attOf(id as string, resource(id as string), attribute as string);
    }
    case 'Fn::Join': {
      const [sep, parts] = arg as [string, unknown[]];
      return (res(parts) as string[]).join(sep);
    }
    case 'Fn::Select': {
      const [index, list] = arg as [number, unknown];
      return (res(list) as string[])[Number(index)];
    }
    case 'Fn::Split': {
      const [sep, text] = arg as [string, unknown];
      return String(res(text)).split(sep);
    }
    case 'Fn::Sub': {
      const text = typeof arg === 'string' ? arg : (arg as [string])[0];
      return text.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
        if (name.includes('.')) {
          const [id, attribute] = name.split('.') as [string, string];
          return attOf(id, resource(id), attribute);
        }
        return String(res({ Ref: name }));
      });
    }
    default:
      throw new UnresolvedIntrinsicError(value);
  }
}

/** One function to load: its template entry, resolved. */
export interface ColdStartTarget {
  logicalId: string;
  /** The `braid:function` tag, if any. */
  name: string | undefined;
  /** Absolute path of the handler module. */
  file: string;
  /** The handler's export name. */
  exportName: string;
  /** The template's environment, resolved. */
  environment: Record<string, string>;
  memorySize: number;
}

/** True for a Node.js function (the only kind Node can load; CDK's BucketDeployment function is Python). */
export function isNodeFunction(resource: { Type: string; Properties?: Record<string, unknown> }): boolean {
  return resource.Type === 'AWS::Lambda::Function' && String(resource.Properties?.['Runtime'] ?? '').startsWith('nodejs');
}

/** Every Node.js `AWS::Lambda::Function` of the template with a bundled asset, ready to load. */
export function coldStartTargets(assemblyDir: string, resources: TemplateResources, stackName: string): ColdStartTarget[] {
  const out: ColdStartTarget[] = [];
  for (const [logicalId, resource] of Object.entries(resources)) {
    if (!isNodeFunction(resource)) continue;
    const props = resource.Properties ?? {};
    const key = (props['Code'] as { S3Key?: unknown } | undefined)?.S3Key;
    if (typeof key !== 'string') throw new Error(`${logicalId}: no asset (inline code is not checked)`);
    const dir = join(assemblyDir, `asset.${key.replace(/\.zip$/, '')}`);
    const [base, exportName] = String(props['Handler']).split(/\.(?=[^.]+$)/) as [string, string];
    const file = ['.mjs', '.js', '.cjs'].map((ext) => join(dir, `${base}${ext}`)).find((f) => existsSync(f));
    if (!file) throw new Error(`${logicalId}: handler module ${base} not found in ${dir}`);
    const variables = ((props['Environment'] as { Variables?: Record<string, unknown> } | undefined)?.Variables) ?? {};
    const environment = Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, String(resolveValue(v, resources, stackName))]));
    const tags = (props['Tags'] as { Key: string; Value: string }[] | undefined) ?? [];
    out.push({
      logicalId, name: tags.find((t) => t.Key === 'braid:function')?.Value, file, exportName,
      environment, memorySize: Number(props['MemorySize'] ?? 128),
    });
  }
  return out.sort((a, b) => (a.name ?? a.logicalId).localeCompare(b.name ?? b.logicalId));
}

/**
 * Gives the asset directories the SDK the Lambda runtime provides: `<assembly>/node_modules/{@aws-sdk,@smithy}`
 * linked to the repository's copies, and nothing else.
 */
export function provideRuntimeSdk(assemblyDir: string, repoRoot: string): void {
  const modules = join(assemblyDir, 'node_modules');
  mkdirSync(modules, { recursive: true });
  for (const scope of ['@aws-sdk', '@smithy']) {
    const link = join(modules, scope);
    if (!existsSync(link)) symlinkSync(join(repoRoot, 'node_modules', scope), link, 'dir');
  }
}

/** What the Lambda runtime sets in every function's environment (reserved variables), with dummy credentials. */
export function runtimeEnvironment(target: ColdStartTarget): Record<string, string> {
  const fnName = target.name ? `Braid-${target.name}` : target.logicalId;
  return {
    PATH: '/usr/local/bin:/usr/bin:/bin',
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
    AWS_REGION: REGION,
    AWS_DEFAULT_REGION: REGION,
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
    AWS_LAMBDA_FUNCTION_NAME: fnName,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(target.memorySize),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${fnName}`,
    AWS_LAMBDA_LOG_STREAM_NAME: '2026/12/01/[$LATEST]0123456789abcdef',
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    AWS_SESSION_TOKEN: 'dummy-session-token',
    AWS_XRAY_DAEMON_ADDRESS: '169.254.79.129:2000',
    AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR',
    _HANDLER: `index.${target.exportName}`,
  };
}

/** The outcome of loading one function. */
export interface ColdStartResult {
  target: ColdStartTarget;
  exitCode: number | null;
  /** The last lines the load wrote to stderr (the error, when it failed). */
  stderr: string;
}

const LOADER = `
const [file, exportName] = process.argv.slice(-2);
const mod = await import(file);
if (typeof mod[exportName] !== 'function') {
  console.error('the handler export "' + exportName + '" is not a function');
  process.exit(3);
}
`;

/**
 * Loads one function's handler module in a fresh Node process with only `env`, as Lambda's init phase does,
 * and reports how it exited. A load that has not finished after `timeoutMs` is killed (exit code null).
 */
export function coldStart(target: ColdStartTarget, env: Record<string, string>, timeoutMs = 30_000): Promise<ColdStartResult> {
  return new Promise((resolve, reject) => {
    const nodeOptions = env['NODE_OPTIONS'];
    const child = spawn(process.execPath, ['--input-type=module', '-e', LOADER, pathToFileURL(target.file).href, target.exportName], {
      cwd: join(target.file, '..'),
      env: { ...env, ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}) },
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: timeoutMs,
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-4_000);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ target, exitCode: code, stderr }));
  });
}

/** Runs `fn` over `items`, at most `limit` at a time, keeping the order of `items`. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

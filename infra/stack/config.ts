/**
 * The deployment's settings, read once from CDK context (`cdk.json` or `-c key=value`).
 */
import { DEFAULT_QUOTAS, type QuotaLimits } from '../../shared/quotas/config';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Node } from 'constructs';
import { parseEgressAllowlist } from '../../shared/egress/allowlist';
import { ConfigError } from './errors';

/** An external OpenID Connect provider that issues Braid's tokens instead of a stack-created user pool. */
export interface ExternalOidc {
  /** Issuer URL (the `iss` claim), e.g. `https://login.example.com/`. */
  issuer: string;
  /** Expected audience (`aud` or Cognito's `client_id`). */
  audience: string;
}

/** Everything the stack reads from context, validated. */
export interface BraidConfig {
  /** CloudFormation stack name; also the prefix of every compiled state machine. @default `Braid` */
  stackName: string;
  /** Destroy the table and user pool with the stack (dev accounts only). @default false (RETAIN) */
  destroyData: boolean;
  /** Use an external OIDC issuer; `undefined` creates a Cognito user pool. */
  oidc: ExternalOidc | undefined;
  /** Allowed CORS origins of the HTTP API; empty means CORS off. @default [] */
  corsOrigins: string[];
  /** `LOG_LEVEL` of every function. @default `INFO` */
  logLevel: string;
  /** Days CloudWatch keeps function, API and state machine logs. @default 30 */
  logRetentionDays: number;
  /** Steady-state requests per second of the HTTP and WebSocket stages. @default 50 */
  throttleRate: number;
  /** Burst of the HTTP and WebSocket stages. @default 100 */
  throttleBurst: number;
  /** Function-name pattern the executor may invoke for `lambda` tools. @default `braid-tool-*` */
  toolFunctionPattern: string;
  /** Create the account-wide API Gateway CloudWatch role (needed once per account/region for WebSocket logs). @default true */
  apiGatewayAccountRole: boolean;
  /** Per-user and per-run quotas (`braid:quota*`), passed to the API and compile functions as `BRAID_QUOTA_*`. @default DEFAULT_QUOTAS */
  quotas: QuotaLimits;
  /**
   * Reserved concurrency of the executor, so one tenant's fan-out cannot take the account's whole Lambda
   * concurrency from the API functions (`braid:executorReservedConcurrency`; `off` leaves it unreserved). @default 200
   */
  executorReservedConcurrency: number | undefined;
  /** An email address subscribed to the alarm topic. @default none (subscribe yourself to the `AlarmTopicArn` output) */
  alarmEmail: string | undefined;
  /** `BRAID_EGRESS_ALLOW` of the executor: hosts, host:port and CIDRs it may reach besides public addresses. @default none */
  egressAllow: string | undefined;
  /** Per-owner allowlist of Lambda tool ARNs (`{ "<ownerId>": ["arn…", "arn…prefix*"] }`); `undefined`: any function of the pattern. */
  lambdaToolOwners: Record<string, string[]> | undefined;
}

/**
 * Checks `braid:toolFunctionPattern`: a literal name prefix of at least 3 characters, optionally followed by one
 * trailing `*`, that cannot match the stack's own functions (whose names start with the stack name).
 */
export function checkToolFunctionPattern(pattern: string, stackName: string): string {
  const key = 'braid:toolFunctionPattern';
  if (!/^[A-Za-z0-9_-]{3,64}\*?$/.test(pattern)) {
    throw new ConfigError(key, 'must be a function-name prefix of at least 3 letters, digits, "-" or "_", optionally ending in one "*" (a bare "*" would let workflows invoke any function, Braid\'s own included)');
  }
  const prefix = pattern.endsWith('*') ? pattern.slice(0, -1) : pattern;
  // The stack's functions are named `<stackName>-<logical id>-<suffix>` (and denied to the executor as
  // `<stackName>-*`): a pattern overlapping that namespace either reaches them or is denied with them.
  if (`${stackName}-`.startsWith(prefix) || prefix.startsWith(`${stackName}-`)) {
    throw new ConfigError(key, `must not match the stack's own functions (named ${stackName}-…)`);
  }
  return pattern;
}

function lambdaToolOwners(node: Node): Record<string, string[]> | undefined {
  const key = 'braid:lambdaToolOwners';
  const value: unknown = node.tryGetContext(key);
  if (value === undefined || value === null || value === '') return undefined;
  let parsed: unknown = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value) as unknown;
    } catch {
      throw new ConfigError(key, 'must be JSON: { "<ownerId>": ["<function ARN or prefix*>", ...] }');
    }
  }
  const ok = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
    && Object.values(parsed).every((arns) => Array.isArray(arns) && arns.every((arn) => typeof arn === 'string' && /^arn:aws[a-z-]*:lambda:/.test(arn)));
  if (!ok) throw new ConfigError(key, 'must map owner ids to lists of Lambda function ARNs (a trailing "*" matches a prefix)');
  return parsed as Record<string, string[]>;
}


function str(node: Node, key: string): string | undefined {
  const value: unknown = node.tryGetContext(key);
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new ConfigError(key, `must be a string`);
  return value;
}

function bool(node: Node, key: string, fallback: boolean): boolean {
  const value: unknown = node.tryGetContext(key);
  if (value === undefined || value === null || value === '') return fallback;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new ConfigError(key, `must be true or false`);
}

function int(node: Node, key: string, fallback: number): number {
  const value: unknown = node.tryGetContext(key);
  if (value === undefined || value === null || value === '') return fallback;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new ConfigError(key, `must be a positive integer`);
  return n;
}

/** An optional email address for the alarm topic. */
function email(node: Node): string | undefined {
  const value = str(node, 'braid:alarmEmail');
  if (value !== undefined && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(value)) throw new ConfigError('braid:alarmEmail', 'must be an email address');
  return value;
}

/** CloudWatch accepts only its own list of retention periods. */
function retention(node: Node): number {
  const days = int(node, 'braid:logRetentionDays', 30);
  const allowed = Object.values(RetentionDays).filter((v): v is number => typeof v === 'number' && v > 0 && v !== RetentionDays.INFINITE);
  if (!allowed.includes(days)) throw new ConfigError('braid:logRetentionDays', `must be one of ${allowed.join(', ')}`);
  return days;
}

/** `braid:egressAllow`, checked with the executor's own parser so a typo fails the synth, not a run. */
function egressAllow(node: Node): string | undefined {
  const value = str(node, 'braid:egressAllow');
  if (value === undefined) return undefined;
  try {
    parseEgressAllowlist(value);
  } catch (error) {
    throw new ConfigError('braid:egressAllow', (error as Error).message);
  }
  return value;
}

/**
 * Reads and validates the `braid:*` context keys (see the README's deploy section).
 * @example readConfig(app.node) // { stackName: 'Braid', destroyData: false, ... }
 */
export function readConfig(node: Node): BraidConfig {
  const stackName = str(node, 'braid:stackName') ?? 'Braid';
  if (!/^[A-Za-z][A-Za-z0-9-]{0,39}$/.test(stackName)) {
    throw new ConfigError('braid:stackName', 'must be 1-40 letters, digits or dashes, starting with a letter');
  }
  const issuer = str(node, 'braid:oidcIssuer');
  const audience = str(node, 'braid:oidcAudience');
  if ((issuer === undefined) !== (audience === undefined)) {
    throw new ConfigError('braid:oidcIssuer', 'and braid:oidcAudience go together');
  }
  if (issuer !== undefined && !issuer.startsWith('https://')) throw new ConfigError('braid:oidcIssuer', 'must be an https URL');
  const oidc = issuer !== undefined && audience !== undefined
    ? { issuer, audience }
    : undefined;
  // Both authorizers find keys through the issuer's discovery document (the HTTP API's JWT authorizer can do
  // nothing else), so a separate JWKS URL could only make the WebSocket door trust other keys than the HTTP one.
  if (str(node, 'braid:oidcJwksUrl') !== undefined) {
    throw new ConfigError('braid:oidcJwksUrl', 'is no longer read: keys come from <issuer>/.well-known/openid-configuration (jwks_uri) for both APIs');
  }
  const cors = str(node, 'braid:corsOrigins');
  return {
    stackName,
    destroyData: bool(node, 'braid:destroyData', false),
    oidc,
    corsOrigins: cors === undefined ? [] : cors.split(',').map((o) => o.trim()).filter((o) => o.length > 0),
    logLevel: str(node, 'braid:logLevel') ?? 'INFO',
    logRetentionDays: retention(node),
    throttleRate: int(node, 'braid:throttleRate', 50),
    throttleBurst: int(node, 'braid:throttleBurst', 100),
    toolFunctionPattern: checkToolFunctionPattern(str(node, 'braid:toolFunctionPattern') ?? 'braid-tool-*', stackName),
    apiGatewayAccountRole: bool(node, 'braid:apiGatewayAccountRole', true),
    quotas: {
      activeRunsPerUser: int(node, 'braid:quotaActiveRuns', DEFAULT_QUOTAS.activeRunsPerUser),
      runStartsPerMinute: int(node, 'braid:quotaRunStartsPerMinute', DEFAULT_QUOTAS.runStartsPerMinute),
      workflowsPerUser: int(node, 'braid:quotaWorkflows', DEFAULT_QUOTAS.workflowsPerUser),
      secretsPerUser: int(node, 'braid:quotaSecrets', DEFAULT_QUOTAS.secretsPerUser),
      parallelWidth: int(node, 'braid:quotaParallelWidth', DEFAULT_QUOTAS.parallelWidth),
    },
    executorReservedConcurrency: node.tryGetContext('braid:executorReservedConcurrency') === 'off' ? undefined : int(node, 'braid:executorReservedConcurrency', 200),
    alarmEmail: email(node),
    egressAllow: egressAllow(node),
    lambdaToolOwners: lambdaToolOwners(node),
  };
}

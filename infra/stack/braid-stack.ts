/**
 * The Braid stack: data, auth, functions, HTTP and WebSocket APIs, Step Functions wiring, and outputs.
 */
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ApiGatewayAccount } from './api-gateway-account';
import { Auth } from './auth';
import type { BraidConfig } from './config';
import { Data } from './data';
import { Functions } from './functions';
import { BraidHttpApi } from './http-api';
import { LiveStream } from './live-stream';
import { Monitoring } from './monitoring';
import { metricNamespace } from '../../shared/observability/metric-names';
import { Orchestration } from './orchestration';
import { ConsoleSite, consoleEnabled } from './console';
import { BraidWebSocketApi } from './websocket-api';
import { TenantSecurity } from './tenant-security';

/** Props of {@link BraidStack}. */
export interface BraidStackProps extends StackProps {
  config: BraidConfig;
}

/** Everything Braid needs in one AWS account and region. */
export class BraidStack extends Stack {
  /** The table construct. */
  readonly data: Data;
  /** The functions by name. */
  readonly functions: Functions;
  /** Step Functions wiring. */
  readonly orchestration: Orchestration;
  /** The HTTP API. */
  readonly httpApi: BraidHttpApi;
  /** The WebSocket API. */
  readonly webSocketApi: BraidWebSocketApi;
  /** The web console, unless context `braid:console` is `false`. */
  readonly console: ConsoleSite | undefined;
  /** Dashboard, alarms and the alarm topic. */
  readonly monitoring: Monitoring;

  constructor(scope: Construct, id: string, props: BraidStackProps) {
    super(scope, id, { ...props, stackName: props.config.stackName });
    const config = props.config;
    const logRetention = config.logRetentionDays as RetentionDays;
    const destroyLogs = config.destroyData;
    const throttle = { rateLimit: config.throttleRate, burstLimit: config.throttleBurst };

    this.data = new Data(this, 'Data', { destroyData: config.destroyData });
    const auth = new Auth(this, 'Auth', { oidc: config.oidc, destroyData: config.destroyData });
    const jwt = { issuer: auth.issuer, audience: auth.audience };
    this.functions = new Functions(this, 'Functions', {
      table: this.data.table, logLevel: config.logLevel, logRetention, destroyLogs, jwt,
      quotas: config.quotas, executorReservedConcurrency: config.executorReservedConcurrency,
      metricsNamespace: metricNamespace(config.stackName),
    });
    const fns = this.functions.byName;

    this.orchestration = new Orchestration(this, 'Orchestration', {
      functions: fns, finalizerDlq: this.functions.finalizerDlq, prefix: config.stackName, logRetention, destroyLogs, toolFunctionPattern: config.toolFunctionPattern,
    });
    new TenantSecurity(this, 'TenantSecurity', {
      functions: fns, stackName: config.stackName, toolFunctionPattern: config.toolFunctionPattern,
      egressAllow: config.egressAllow, lambdaToolOwners: config.lambdaToolOwners, destroyData: config.destroyData,
    });
    // The console's origin is known before the API exists, so the API can allow it (CORS).
    this.console = consoleEnabled(this.node) ? new ConsoleSite(this, 'Console', { destroyData: config.destroyData }) : undefined;
    this.httpApi = new BraidHttpApi(this, 'Http', {
      owners: { api: fns.api, compile: fns.compile, gate: fns.gate },
      jwt, corsOrigins: this.console ? [...config.corsOrigins, this.console.url] : config.corsOrigins, throttle, logRetention, destroyLogs,
    });
    this.webSocketApi = new BraidWebSocketApi(this, 'Live', {
      functions: fns, liveFunctions: ['ws-connect', 'ws-disconnect', 'ws-message', 'ws-fanout'], posters: ['ws-message', 'ws-fanout'], throttle, logRetention, destroyLogs,
    });
    if (config.apiGatewayAccountRole) {
      const account = new ApiGatewayAccount(this, 'ApiGatewayAccount');
      this.webSocketApi.stage.node.addDependency(account.account);
    }
    const live = new LiveStream(this, 'LiveStream', { table: this.data.table, fanout: fns['ws-fanout'] });
    this.monitoring = new Monitoring(this, 'Monitoring', {
      functions: fns, namespace: metricNamespace(config.stackName), table: this.data.table, finalizerDlq: this.functions.finalizerDlq,
      fanoutFailures: live.failures, destroyData: config.destroyData,
      ...(config.alarmEmail ? { alarmEmail: config.alarmEmail } : {}),
    });

    if (this.console) {
      const consoleAuth = auth.userPool && auth.userPoolClient ? this.console.enableHostedUi(auth.userPool, auth.userPoolClient, config.stackName) : { mode: 'token' as const };
      this.console.deploy({ apiUrl: this.httpApi.url, wsUrl: this.webSocketApi.url, auth: consoleAuth });
      new CfnOutput(this, 'ConsoleUrl', { value: this.console.url, description: 'The web console' });
    }
    new CfnOutput(this, 'HttpUrl', { value: this.httpApi.url, description: 'BRAID_URL: base URL of the HTTP API' });
    new CfnOutput(this, 'WebSocketUrl', { value: this.webSocketApi.url, description: 'BRAID_WS_URL: WebSocket URL for live progress' });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.monitoring.topic.topicArn, description: 'SNS topic every Braid alarm notifies (subscribe on-call here)' });
    new CfnOutput(this, 'DashboardName', { value: this.monitoring.dashboard.dashboardName, description: 'CloudWatch dashboard of runs, nodes, gates, live delivery and functions' });
    new CfnOutput(this, 'TableName', { value: this.data.table.tableName, description: 'The DynamoDB table' });
    if (auth.userPool && auth.userPoolClient) {
      new CfnOutput(this, 'UserPoolId', { value: auth.userPool.userPoolId, description: 'Cognito user pool id' });
      new CfnOutput(this, 'UserPoolClientId', { value: auth.userPoolClient.userPoolClientId, description: 'Cognito app client id (no secret)' });
    }
  }
}

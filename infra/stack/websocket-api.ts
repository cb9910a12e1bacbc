/**
 * The WebSocket API for live run progress: `$connect` behind a Lambda REQUEST authorizer reading `?token=`,
 * then `$disconnect`, `subscribe`, `unsubscribe` and `$default`; one stage with access and execution logs.
 */
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { CfnStage, LogGroupLogDestination, WebSocketApi, WebSocketStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { WebSocketLambdaAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { BraidFunction, FunctionName } from './braid-function';
import { logicalId, suppress } from './nag';

/** Props of {@link BraidWebSocketApi}. */
export interface BraidWebSocketApiProps {
  functions: Record<FunctionName, BraidFunction>;
  /**
   * Functions that build the live service (`shared/live/runtime.ts`), whose configuration requires
   * `WS_ENDPOINT` at cold start: every WebSocket route handler and the fan-out.
   */
  liveFunctions: FunctionName[];
  /** Those of them that post to connections (get `execute-api:ManageConnections`). */
  posters: FunctionName[];
  throttle: { rateLimit: number; burstLimit: number };
  logRetention: RetentionDays;
  destroyLogs: boolean;
}

/** The stage name: part of the WebSocket URL and the management endpoint. */
export const WS_STAGE = 'live';

/** Access-log fields (WebSocket `$context` variables). */
const ACCESS_LOG = AccessLogFormat.custom(JSON.stringify({
  requestId: '$context.requestId',
  connectionId: '$context.connectionId',
  eventType: '$context.eventType',
  routeKey: '$context.routeKey',
  status: '$context.status',
  ip: '$context.identity.sourceIp',
  time: '$context.requestTimeEpoch',
  principal: '$context.authorizer.principalId',
  authorizerError: '$context.authorizer.error',
  integrationError: '$context.integrationErrorMessage',
}));

/** Live progress over WebSocket. */
export class BraidWebSocketApi extends Construct {
  /** The API. */
  readonly api: WebSocketApi;
  /** Its stage. */
  readonly stage: WebSocketStage;
  /** `https://<id>.execute-api.<region>.amazonaws.com/<stage>`: where functions post to connections. */
  readonly managementEndpoint: string;

  constructor(scope: Construct, id: string, props: BraidWebSocketApiProps) {
    super(scope, id);
    const fns = props.functions;
    const authorizer = new WebSocketLambdaAuthorizer('TokenAuthorizer', fns['ws-authorizer'].fn, {
      identitySource: ['route.request.querystring.token'],
    });
    const integrate = (name: FunctionName) => new WebSocketLambdaIntegration(`${name}-integration`, fns[name].fn);
    this.api = new WebSocketApi(this, 'Api', {
      description: 'Braid live progress',
      routeSelectionExpression: '$request.body.action',
      connectRouteOptions: { integration: integrate('ws-connect'), authorizer },
      disconnectRouteOptions: { integration: integrate('ws-disconnect') },
      defaultRouteOptions: { integration: integrate('ws-message') },
    });
    this.api.addRoute('subscribe', { integration: integrate('ws-message') });
    this.api.addRoute('unsubscribe', { integration: integrate('ws-message') });
    // API Gateway runs an authorizer on $connect only: later messages ride the connection it admitted.
    for (const route of ['$disconnect-Route', '$default-Route', 'subscribe-Route', 'unsubscribe-Route']) {
      const child = this.api.node.tryFindChild(route);
      if (child) {
        suppress(child, {
          'AwsSolutions-APIG4': 'WebSocket APIs authorize only $connect; this route is reached on a connection the $connect authorizer admitted.',
        });
      }
    }

    const logs = new LogGroup(this, 'AccessLogs', {
      retention: props.logRetention,
      removalPolicy: props.destroyLogs ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    });
    this.stage = new WebSocketStage(this, 'Stage', {
      webSocketApi: this.api,
      stageName: WS_STAGE,
      autoDeploy: true,
      throttle: props.throttle,
      accessLogSettings: { destination: new LogGroupLogDestination(logs), format: ACCESS_LOG },
    });
    const cfnStage = this.stage.node.defaultChild as CfnStage;
    cfnStage.addPropertyOverride('DefaultRouteSettings.LoggingLevel', 'ERROR');
    cfnStage.addPropertyOverride('DefaultRouteSettings.DataTraceEnabled', false);

    this.managementEndpoint = this.stage.callbackUrl;
    const connectionsArn = Stack.of(this).formatArn({
      service: 'execute-api', resource: this.api.apiId, resourceName: `${WS_STAGE}/*/@connections/*`,
    });
    // Configuration goes to every function that reads it (a missing WS_ENDPOINT fails the cold start of
    // $connect and $disconnect too); the grant only to those that post.
    for (const name of new Set([...props.liveFunctions, ...props.posters])) {
      fns[name].fn.addEnvironment('WS_ENDPOINT', this.managementEndpoint);
    }
    for (const name of props.posters) {
      const fn = fns[name];
      fn.role.addToPolicy(new PolicyStatement({
        sid: 'PostToConnections', actions: ['execute-api:ManageConnections'], resources: [connectionsArn],
      }));
      suppress(fn.role, {
        [`AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<${logicalId(this.api)}>/${WS_STAGE}/*/@connections/*]`]:
          'Connection ids are known only at run time; the grant covers the @connections resource of this API and stage only.',
      });
    }
  }

  /** `wss://<id>.execute-api.<region>.amazonaws.com/<stage>`. */
  get url(): string {
    return this.stage.url;
  }
}

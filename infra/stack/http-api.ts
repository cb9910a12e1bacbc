/**
 * The HTTP API: one route per entry of `functions/http/routes.ts`, each sent to its owning function and
 * guarded by the JWT authorizer; a `$default` stage with access logs and throttling; CORS only when asked.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { CorsHttpMethod, HttpApi, HttpMethod, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ROUTES, type RouteOwner } from '../../functions/http/routes';
import type { BraidFunction } from './braid-function';

/** Props of {@link BraidHttpApi}. */
export interface BraidHttpApiProps {
  owners: Record<RouteOwner, BraidFunction>;
  jwt: { issuer: string; audience: string };
  corsOrigins: string[];
  throttle: { rateLimit: number; burstLimit: number };
  logRetention: RetentionDays;
  destroyLogs: boolean;
}

/** Access-log fields (HTTP API `$context` variables), one JSON object per request. */
const ACCESS_LOG = AccessLogFormat.custom(JSON.stringify({
  requestId: '$context.requestId',
  ip: '$context.identity.sourceIp',
  time: '$context.requestTimeEpoch',
  routeKey: '$context.routeKey',
  status: '$context.status',
  latencyMs: '$context.responseLatency',
  integrationLatencyMs: '$context.integrationLatency',
  responseLength: '$context.responseLength',
  sub: '$context.authorizer.claims.sub',
  authorizerError: '$context.authorizer.error',
  integrationError: '$context.integrationErrorMessage',
}));

/** The REST-style API of Braid. */
export class BraidHttpApi extends Construct {
  /** The API. */
  readonly api: HttpApi;
  /** The `$default` stage. */
  readonly stage: HttpStage;

  constructor(scope: Construct, id: string, props: BraidHttpApiProps) {
    super(scope, id);
    this.api = new HttpApi(this, 'Api', {
      description: 'Braid HTTP API',
      createDefaultStage: false,
      corsPreflight: props.corsOrigins.length === 0 ? undefined : {
        allowOrigins: props.corsOrigins,
        allowMethods: [CorsHttpMethod.GET, CorsHttpMethod.POST, CorsHttpMethod.PUT, CorsHttpMethod.DELETE],
        allowHeaders: ['authorization', 'content-type', 'idempotency-key'],
        maxAge: Duration.hours(1),
      },
    });
    const logs = new LogGroup(this, 'AccessLogs', {
      retention: props.logRetention,
      removalPolicy: props.destroyLogs ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    });
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: props.throttle,
      accessLogSettings: { destination: new LogGroupLogDestination(logs), format: ACCESS_LOG },
    });

    const authorizer = new HttpJwtAuthorizer('Jwt', props.jwt.issuer, { jwtAudience: [props.jwt.audience] });
    const integrations = new Map<RouteOwner, HttpLambdaIntegration>();
    for (const route of ROUTES) {
      let integration = integrations.get(route.owner);
      if (!integration) {
        integration = new HttpLambdaIntegration(`${route.owner}-integration`, props.owners[route.owner].fn);
        integrations.set(route.owner, integration);
      }
      this.api.addRoutes({
        path: route.path,
        methods: [HttpMethod[route.method]],
        integration,
        authorizer,
      });
    }
  }

  /** `https://<id>.execute-api.<region>.amazonaws.com` (the `$default` stage has no path). */
  get url(): string {
    return this.stage.url;
  }
}

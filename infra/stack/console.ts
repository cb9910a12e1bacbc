/**
 * The web console in AWS: the built assets (`console/dist`, from `npm run console:build`) in a private S3
 * bucket behind CloudFront with Origin Access Control, and a `config.json` written next to them at deploy time
 * naming the API and WebSocket URLs and the sign-in (the Cognito hosted UI with PKCE when the stack has a
 * user pool; a pasted token with an external issuer). Turn it off with context `braid:console=false`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Annotations, Aws, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { CfnUserPoolClient, UserPool, UserPoolClient } from 'aws-cdk-lib/aws-cognito';
import {
  Distribution, HttpVersion, PriceClass, ResponseHeadersPolicy, ViewerProtocolPolicy,
  HeadersFrameOption, HeadersReferrerPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership, type CfnBucket } from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, Source } from 'aws-cdk-lib/aws-s3-deployment';
import { Construct, type Node } from 'constructs';
import { suppress } from './nag';

/** Where the built console is, relative to the repository root (the CDK app's working directory). */
export const CONSOLE_DIST = join('console', 'dist');

/** False when context `braid:console` is `false`. */
export function consoleEnabled(node: Node): boolean {
  return String(node.tryGetContext('braid:console') ?? 'true') !== 'false';
}

/** Props of {@link ConsoleSite}. */
export interface ConsoleSiteProps {
  /** The built console. @default CONSOLE_DIST */
  distDir?: string;
  /** Delete the bucket (and its objects) with the stack. @default false */
  destroyData?: boolean;
}

/** The sign-in the console is given. */
export type ConsoleAuth = { mode: 'cognito'; domain: string; clientId: string } | { mode: 'token' };

/** Hosting first (its URL is a CORS origin of the API), then `deploy` once the API URLs exist. */
export class ConsoleSite extends Construct {
  /** The private asset bucket. */
  readonly bucket: Bucket;
  /** The CloudFront distribution. */
  readonly distribution: Distribution;
  /** `https://<distribution domain>`. */
  readonly url: string;
  private readonly distDir: string;

  constructor(scope: Construct, id: string, props: ConsoleSiteProps = {}) {
    super(scope, id);
    this.distDir = props.distDir ?? CONSOLE_DIST;
    this.bucket = new Bucket(this, 'Assets', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: props.destroyData ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
      autoDeleteObjects: props.destroyData === true,
    });
    const region = Stack.of(this).region;
    const headers = new ResponseHeadersPolicy(this, 'Headers', {
      comment: 'Braid console security headers',
      securityHeadersBehavior: {
        contentSecurityPolicy: {
          override: true,
          // ajv compiles the run input's JSON schema to a function in the browser ('unsafe-eval'); bars set
          // their width inline ('unsafe-inline' styles). The API, the WebSocket and Cognito are the only peers.
          contentSecurityPolicy: [
            "default-src 'self'", "script-src 'self' 'unsafe-eval'", "style-src 'self' 'unsafe-inline'", "img-src 'self' data:",
            `connect-src 'self' https://*.execute-api.${region}.amazonaws.com wss://*.execute-api.${region}.amazonaws.com https://*.auth.${region}.amazoncognito.com`,
            "frame-ancestors 'none'", "base-uri 'self'", "form-action 'self'",
          ].join('; '),
        },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.NO_REFERRER, override: true },
        strictTransportSecurity: { accessControlMaxAge: Duration.days(365), includeSubdomains: true, override: true },
      },
    });
    this.distribution = new Distribution(this, 'Cdn', {
      comment: 'Braid console',
      defaultRootObject: 'index.html',
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        responseHeadersPolicy: headers,
      },
      httpVersion: HttpVersion.HTTP2_AND_3,
      priceClass: PriceClass.PRICE_CLASS_100,
    });
    this.url = `https://${this.distribution.distributionDomainName}`;
    suppress(this.bucket, {
      'AwsSolutions-S1': 'Static, public-by-design console assets behind CloudFront; object reads are not an audit trail worth a log bucket. Add server access logs with an override if your policy requires them.',
    });
    suppress(this.distribution, {
      'AwsSolutions-CFR1': 'The console is for any region where users sign in; restrict with an override if needed.',
      'AwsSolutions-CFR2': 'Static assets only: the API behind it has its own throttling and JWT authorizers. Attach a WAF web ACL with an override if required.',
      'AwsSolutions-CFR3': 'Static assets only; enable standard logging with an override if your policy requires it.',
      'AwsSolutions-CFR4': 'The default *.cloudfront.net certificate is used, whose TLS policy CloudFront fixes; set a domain, certificate and minimum TLS 1.2 with an override.',
    });
  }

  /** Lets users sign in through the Cognito hosted UI: a domain and OAuth (code + PKCE) on the app client. */
  enableHostedUi(pool: UserPool, client: UserPoolClient, stackName: string): ConsoleAuth {
    // Globally unique: the stack name (lower case) and the account. Cognito refuses "aws", "amazon", "cognito".
    const base = stackName.toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/aws|amazon|cognito/g, 'x').slice(0, 40);
    const prefix = String(this.node.tryGetContext('braid:consoleDomainPrefix') ?? `${base}-${Aws.ACCOUNT_ID}`);
    const domain = pool.addDomain('ConsoleDomain', { cognitoDomain: { domainPrefix: prefix } });
    const cfn = client.node.defaultChild as CfnUserPoolClient;
    // Code flow with PKCE for a public client (no secret); the ID token's `aud` is this client, as the API expects.
    cfn.allowedOAuthFlowsUserPoolClient = true;
    cfn.allowedOAuthFlows = ['code'];
    cfn.allowedOAuthScopes = ['openid', 'email', 'profile'];
    cfn.supportedIdentityProviders = ['COGNITO'];
    cfn.callbackUrLs = [`${this.url}/`, `${this.url}/index.html`];
    cfn.logoutUrLs = [`${this.url}/`];
    return { mode: 'cognito', domain: domain.baseUrl(), clientId: client.userPoolClientId };
  }

  /** Uploads the assets and writes `config.json` next to them. */
  deploy(config: { apiUrl: string; wsUrl: string; auth: ConsoleAuth }): BucketDeployment {
    const built = existsSync(join(this.distDir, 'index.html'));
    if (!built) Annotations.of(this).addWarning(`${this.distDir} is missing: run npm run console:build before deploying (a placeholder page is deployed)`);
    const assets = built
      ? Source.asset(this.distDir)
      : Source.data('index.html', '<!doctype html><title>Braid</title><p>The console was not built: run <code>npm run console:build</code>, then deploy again.</p>');
    const deployment = new BucketDeployment(this, 'Deploy', {
      sources: [assets, Source.jsonData('config.json', config)],
      destinationBucket: this.bucket,
      distribution: this.distribution,
      distributionPaths: ['/index.html', '/config.json'],
      memoryLimit: 256,
    });
    // BucketDeployment runs one singleton Lambda per stack (CDK's own): acknowledge its findings there.
    const stack = Stack.of(this);
    for (const child of stack.node.children) {
      if (!child.node.id.startsWith('Custom::CDKBucketDeployment')) continue;
      suppress(child, {
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]': "CDK's BucketDeployment function: CloudWatch Logs only.",
        'AwsSolutions-IAM5[Action::s3:GetObject*]': "CDK's BucketDeployment reads the CDK asset bucket (granted by CDK).",
        'AwsSolutions-IAM5[Action::s3:GetBucket*]': "CDK's BucketDeployment reads the CDK asset bucket (granted by CDK).",
        'AwsSolutions-IAM5[Action::s3:List*]': "CDK's BucketDeployment lists the asset and console buckets (granted by CDK).",
        'AwsSolutions-IAM5[Action::s3:DeleteObject*]': "CDK's BucketDeployment prunes old console files, in the console bucket only.",
        'AwsSolutions-IAM5[Action::s3:Abort*]': "CDK's BucketDeployment uploads to the console bucket only.",
        'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*]': 'The CDK bootstrap asset bucket holding the console zip.',
        [`AwsSolutions-IAM5[Resource::<${stack.resolve((this.bucket.node.defaultChild as CfnBucket).logicalId)}.Arn>/*]`]: 'Objects of the console bucket only.',
        'AwsSolutions-IAM5[Resource::*]': 'cloudfront:CreateInvalidation and GetInvalidation have no resource-level scoping in the CDK-generated policy.',
        'AwsSolutions-L1': "The runtime is chosen by CDK's BucketDeployment; it moves with aws-cdk-lib.",
        'Serverless-LambdaLatestVersion': "The runtime is chosen by CDK's BucketDeployment; it moves with aws-cdk-lib.",
        'Serverless-LambdaDLQ': 'Invoked synchronously by CloudFormation at deploy time; a failure fails the deployment, nothing to redrive.',
        'Serverless-LambdaTracing': 'A deploy-time custom resource; tracing adds nothing.',
      });
    }
    return deployment;
  }
}

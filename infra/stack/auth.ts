/**
 * Who signs Braid's tokens: a Cognito user pool created by the stack, or an external OIDC issuer from context.
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { AccountRecovery, Mfa, UserPool, type UserPoolClient } from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import type { ExternalOidc } from './config';
import { suppress } from './nag';

/** Props of {@link Auth}. */
export interface AuthProps {
  /** External issuer; `undefined` creates a user pool and client. */
  oidc: ExternalOidc | undefined;
  /** Delete the user pool with the stack. @default false */
  destroyData?: boolean;
}

/** The token issuer every authorizer (HTTP JWT, WebSocket Lambda) trusts. */
export class Auth extends Construct {
  /** `iss` claim of accepted tokens. */
  readonly issuer: string;
  /** Accepted audience (`aud`, or `client_id` in Cognito access tokens). */
  readonly audience: string;
  /** The stack's user pool, when it created one. */
  readonly userPool: UserPool | undefined;
  /** The user pool's app client (no secret: the CLI is a public client), when created. */
  readonly userPoolClient: UserPoolClient | undefined;

  constructor(scope: Construct, id: string, props: AuthProps) {
    super(scope, id);
    if (props.oidc) {
      this.issuer = props.oidc.issuer;
      this.audience = props.oidc.audience;
      this.userPool = undefined;
      this.userPoolClient = undefined;
      return;
    }
    const pool = new UserPool(this, 'UserPool', {
      selfSignUpEnabled: false,
      signInAliases: { email: true, username: true },
      passwordPolicy: { minLength: 12, requireDigits: true, requireLowercase: true, requireUppercase: true, requireSymbols: true },
      mfa: Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      deletionProtection: !props.destroyData,
      removalPolicy: props.destroyData ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    });
    suppress(pool, {
      'AwsSolutions-COG2': 'MFA is optional (TOTP): administrators create users; requiring MFA would block the CLI password flow used by the quick start. Turn it on with an override for production pools.',
      'AwsSolutions-COG3': 'Threat protection needs the Cognito Plus plan (billed per MAU); Braid stays on the Essentials plan by default.',
      'AwsSolutions-COG8': 'The Plus feature plan is billed per MAU; Braid stays on the Essentials plan by default.',
    });
    const client = pool.addClient('CliClient', {
      authFlows: { userPassword: true, userSrp: true },
      generateSecret: false,
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(30),
      preventUserExistenceErrors: true,
    });
    this.userPool = pool;
    this.userPoolClient = client;
    this.issuer = `https://cognito-idp.${Stack.of(this).region}.amazonaws.com/${pool.userPoolId}`;
    this.audience = client.userPoolClientId;
  }
}

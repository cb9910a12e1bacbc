/**
 * API Gateway's account-wide CloudWatch Logs role, which WebSocket (and REST) stage logging requires.
 * It is one setting per account and region: skip it with `-c braid:apiGatewayAccountRole=false` when the
 * account already has one. The role is retained when the stack is deleted: the setting outlives the stack,
 * and deleting the role it names would break API Gateway logging for every API in the account and region
 * (aws-cdk #10878; CDK's own `RestApi` retains it by default since #26836).
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import { CfnAccount } from 'aws-cdk-lib/aws-apigateway';
import { ManagedPolicy, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { suppress } from './nag';

/** Sets the account's API Gateway CloudWatch role. */
export class ApiGatewayAccount extends Construct {
  /** The account setting; stages that log should depend on it. */
  readonly account: CfnAccount;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const role = new Role(this, 'CloudWatchRole', {
      assumedBy: new ServicePrincipal('apigateway.amazonaws.com'),
      managedPolicies: [ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonAPIGatewayPushToCloudWatchLogs')],
      description: 'API Gateway account role: write stage logs to CloudWatch',
    });
    role.applyRemovalPolicy(RemovalPolicy.RETAIN);
    suppress(role, {
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]':
        'The AWS-maintained policy API Gateway documents for its account logging role; it creates log groups named by API id at run time.',
    });
    this.account = new CfnAccount(this, 'Account', { cloudWatchRoleArn: role.roleArn });
    // Deleting AWS::ApiGateway::Account changes nothing in the account; retaining says so in the template.
    this.account.applyRemovalPolicy(RemovalPolicy.RETAIN);
  }
}

/**
 * What keeps tenants apart in AWS (README, "Security"): user secrets in Secrets Manager under
 * `braid/<stack>/u/` (the api function writes them, the executor only reads them), the key that signs
 * pagination cursors, the executor's egress allowlist and Lambda tool policy, and an explicit Deny on invoking
 * the stack's own functions whatever `braid:toolFunctionPattern` says.
 */
import { ArnFormat, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { BraidFunction, FunctionName } from './braid-function';
import { suppress } from './nag';

/** Props of {@link TenantSecurity}. */
export interface TenantSecurityProps {
  functions: Record<FunctionName, BraidFunction>;
  stackName: string;
  toolFunctionPattern: string;
  egressAllow: string | undefined;
  lambdaToolOwners: Record<string, string[]> | undefined;
  destroyData: boolean;
}

/** Secrets prefix of a stack's users: `braid/<stack>/u/`. */
export function userSecretsPrefix(stackName: string): string {
  return `braid/${stackName}/u/`;
}

/** Secrets, cursor key, egress and Lambda tool policy wiring. */
export class TenantSecurity extends Construct {
  /** The key that signs pagination cursors (read by the api function at cold start). */
  readonly cursorKey: Secret;

  constructor(scope: Construct, id: string, props: TenantSecurityProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { api, executor } = props.functions;
    const prefix = userSecretsPrefix(props.stackName);
    // Secret ARNs end in `-` + 6 random characters; the trailing `*` after the prefix's `/` covers every user's
    // secrets and nothing outside the prefix.
    const userSecrets = stack.formatArn({ service: 'secretsmanager', resource: 'secret', resourceName: `${prefix}*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    const nagSecrets = `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${prefix}*]`;

    executor.role.addToPolicy(new PolicyStatement({ sid: 'ReadUserSecrets', actions: ['secretsmanager:GetSecretValue'], resources: [userSecrets] }));
    executor.fn.addEnvironment('VAULT_PREFIX', prefix);
    suppress(executor.role, { [nagSecrets]: 'Users create secrets at run time under their own name; the executor reads only the stack\'s user-secrets prefix.' });

    api.role.addToPolicy(new PolicyStatement({
      sid: 'WriteUserSecrets',
      actions: ['secretsmanager:CreateSecret', 'secretsmanager:PutSecretValue', 'secretsmanager:DeleteSecret', 'secretsmanager:TagResource'],
      resources: [userSecrets],
    }));
    api.fn.addEnvironment('VAULT_PREFIX', prefix);
    suppress(api.role, { [nagSecrets]: 'The write-only secrets API creates, replaces and deletes secrets under the stack\'s user-secrets prefix only.' });

    this.cursorKey = new Secret(this, 'CursorKey', {
      secretName: `braid/${props.stackName}/system/cursor-key`,
      description: 'HMAC key that signs Braid pagination cursors (never leaves the api function)',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy: props.destroyData ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    });
    this.cursorKey.grantRead(api.role);
    api.fn.addEnvironment('CURSOR_KEY_ARN', this.cursorKey.secretArn);
    suppress(this.cursorKey, {
      'AwsSolutions-SMG4': 'The cursor key only signs pagination cursors; rotating it merely invalidates cursors in flight, done by replacing the secret.',
    });

    // Lambda tools: the name pattern, the optional per-owner allowlist, and never the stack's own functions.
    executor.fn.addEnvironment('TOOL_FUNCTION_PATTERN', props.toolFunctionPattern);
    if (props.lambdaToolOwners) executor.fn.addEnvironment('LAMBDA_TOOL_OWNERS', JSON.stringify(props.lambdaToolOwners));
    if (props.egressAllow) executor.fn.addEnvironment('BRAID_EGRESS_ALLOW', props.egressAllow);
    // CloudFormation names every function of the stack `<stackName>-<logical id>-<suffix>`. (Naming the functions'
    // ARNs instead would make the executor's policy depend on the executor itself.)
    const own = stack.formatArn({ service: 'lambda', resource: 'function', resourceName: `${props.stackName}-*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    executor.role.addToPolicy(new PolicyStatement({
      sid: 'NeverInvokeBraid', effect: Effect.DENY, actions: ['lambda:InvokeFunction', 'lambda:InvokeFunctionUrl'], resources: [own, `${own}:*`],
    }));
  }
}

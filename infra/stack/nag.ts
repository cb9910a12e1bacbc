/**
 * cdk-nag wiring: the packs every synth runs, and the one way the stack acknowledges a finding.
 */
import { CfnElement, Stack, Validations, type App } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { ConfigError } from './errors';

/** Runs the AwsSolutions and Serverless packs on every synth; an unacknowledged finding fails it. */
export function addNagChecks(app: App): void {
  Validations.of(app).addPlugins(
    new AwsSolutionsChecks(app, { verbose: true }),
    new ServerlessChecks(app, { verbose: true }),
  );
}

/**
 * Acknowledges cdk-nag findings on one construct (and its children), each with the reason it is acceptable.
 * A finding id is `Rule` or `Rule[Finding]`, e.g. `AwsSolutions-IAM5[Resource::*]`.
 * @example suppress(role, { 'AwsSolutions-IAM5[Resource::*]': 'X-Ray has no resource-level permissions' })
 */
export function suppress(construct: IConstruct, findings: Record<string, string>): void {
  for (const [id, reason] of Object.entries(findings)) {
    Validations.of(construct).acknowledge({ id, reason });
  }
}

/** The CloudFormation logical id of a construct's resource, as cdk-nag spells it in finding ids (`<Id>`). */
export function logicalId(construct: IConstruct): string {
  const resource = construct.node.defaultChild;
  if (!CfnElement.isCfnElement(resource)) throw new ConfigError('construct', `${construct.node.path} has no CloudFormation resource`);
  const stack = Stack.of(construct);
  return String(stack.resolve(stack.getLogicalId(resource)));
}

/**
 * Test helper: synthesizes the Braid stack once, as `infra/app.ts` does, with extra context.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { BraidStack } from '../../infra/stack/braid-stack';
import { readConfig } from '../../infra/stack/config';

/** A synthesized stack and where its assembly was written. */
export interface Synthesized {
  app: App;
  stack: BraidStack;
  template: Template;
  assemblyDir: string;
}

/**
 * Builds the app in a fresh temp directory. `bundle: false` skips esbuild (placeholder assets), which is
 * enough for every template assertion and keeps those files fast; the bundle test bundles for real.
 */
export function synthBraid(options: { bundle: boolean; context?: Record<string, unknown> }): Synthesized {
  const outdir = mkdtempSync(join(tmpdir(), 'braid-cdk-'));
  const app = new App({
    outdir,
    context: {
      ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
      ...options.context,
    },
  });
  const config = readConfig(app.node);
  const stack = new BraidStack(app, config.stackName, { config });
  const template = Template.fromStack(stack);
  return { app, stack, template, assemblyDir: app.synth().directory };
}

/** One IAM statement as it appears in the template. */
export interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

/** Every policy statement of the template, with the logical id of the policy that holds it. */
export function statements(template: Template): { policy: string; roles: unknown; statement: Statement }[] {
  const out: { policy: string; roles: unknown; statement: Statement }[] = [];
  const policies = template.findResources('AWS::IAM::Policy');
  for (const [policy, resource] of Object.entries(policies)) {
    const doc = resource['Properties'].PolicyDocument as { Statement: Statement[] };
    for (const statement of doc.Statement) out.push({ policy, roles: resource['Properties'].Roles, statement });
  }
  return out;
}

/** A statement's actions as a list. */
export function actionsOf(statement: Statement): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}

/** A statement's resources as a list. */
export function resourcesOf(statement: Statement): unknown[] {
  return Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
}

/**
 * The CDK app: one Braid stack, checked by cdk-nag on every synth (`npx cdk synth -q`).
 */
import { App } from 'aws-cdk-lib';
import { BraidStack } from './stack/braid-stack';
import { readConfig } from './stack/config';
import { addNagChecks } from './stack/nag';

const app = new App();
const config = readConfig(app.node);
new BraidStack(app, config.stackName, {
  config,
  env: { account: process.env['CDK_DEFAULT_ACCOUNT'], region: process.env['CDK_DEFAULT_REGION'] },
});
addNagChecks(app);
app.synth();

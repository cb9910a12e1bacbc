/**
 * The CDK app: one Braid stack, checked by cdk-nag on every synth (`npx cdk synth -q`).
 */
import { App } from 'aws-cdk-lib';
import { BraidStack } from './stack/braid-stack';
import { readConfig } from './stack/config';
import { addNagChecks } from './stack/nag';

const app = new App();
const config = readConfig(app.node);
// Environment-agnostic: the template is the same on every machine; region and account come from the deploy.
new BraidStack(app, config.stackName, { config });
addNagChecks(app);
app.synth();

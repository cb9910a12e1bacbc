import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { Validations } from 'aws-cdk-lib';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE_LIMIT_BYTES, bundleLimit, bundleReport, FORBIDDEN_PACKAGES, formatReport, unneededHeavyPackages, type BundleInfo } from '../../infra/bundle-report';
import { REPO_ROOT } from '../../infra/stack/braid-function';
import { FUNCTION_NAMES } from '../../infra/stack/functions';
import { coldStart, coldStartTargets, isNodeFunction, mapLimit, provideRuntimeSdk, runtimeEnvironment, type ColdStartResult, type ColdStartTarget, type TemplateResources } from './cold-start';
import { synthBraid, type Synthesized } from './synth';

let s: Synthesized;
let report: BundleInfo[];

beforeAll(() => {
  // The one real bundling of the test run: esbuild builds every function as `cdk deploy` would.
  s = synthBraid({ bundle: true });
  report = bundleReport(s.assemblyDir, s.template.toJSON() as Parameters<typeof bundleReport>[1]);
  console.log(`bundle sizes (minified):\n${formatReport(report)}`);
}, 120_000);

afterAll(() => {
  rmSync(s.assemblyDir, { recursive: true, force: true });
});

describe('bundles', () => {
  it('reports a bundle for every function', () => {
    // Prepare, Act
    const names = report.map((b) => b.name);
    // Assess
    expect(names).toEqual([...FUNCTION_NAMES].sort());
    for (const b of report) expect(b.bytes, b.name).toBeGreaterThan(0);
  });

  it('contains no build, test or local-engine package and no AWS SDK v2', () => {
    // Prepare
    const forbidden = new Set<string>(FORBIDDEN_PACKAGES);
    // Act
    const found = report.flatMap((b) => b.packages.filter((p) => forbidden.has(p.name)).map((p) => `${b.name}: ${p.name}`));
    // Assess
    expect(found).toEqual([]);
  });

  it('carries heavy packages (A2A, MCP, ajv, jsonata, hono, jose) only into the functions that use them', () => {
    // Prepare, Act
    const unneeded = unneededHeavyPackages(report);
    // Assess
    expect(unneeded).toEqual([]);
  });

  it('bundles no @aws-sdk/* or @smithy/* client: the Node 22 runtime provides SDK v3', () => {
    // Prepare, Act
    const found = report.flatMap((b) => b.packages.filter((p) => /^@(aws-sdk|smithy)\//.test(p.name)).map((p) => `${b.name}: ${p.name}`));
    // Assess
    expect(found).toEqual([]);
  });

  it(`keeps every bundle under its budget (${BUNDLE_LIMIT_BYTES / 1024} KB minified; executor ${bundleLimit('executor') / 1024} KB)`, () => {
    // Prepare, Act
    const over = report.filter((b) => b.bytes > bundleLimit(b.name)).map((b) => `${b.name}: ${(b.bytes / 1024).toFixed(1)} KB (${b.packages.slice(0, 3).map((p) => `${p.name} ${(p.bytes / 1024).toFixed(1)} KB`).join(', ')})`);
    // Assess
    expect(over).toEqual([]);
  });
});

describe('deployability: every function starts cold with exactly its template environment', () => {
  let targets: ColdStartTarget[];
  let results: ColdStartResult[];

  beforeAll(async () => {
    provideRuntimeSdk(s.assemblyDir, REPO_ROOT);
    targets = coldStartTargets(s.assemblyDir, (s.template.toJSON() as { Resources: TemplateResources }).Resources, s.stack.stackName);
    results = await mapLimit(targets, 2, (t) => coldStart(t, { ...runtimeEnvironment(t), ...t.environment }));
  }, 120_000);

  it('covers every Node.js function of the template, the ten Braid functions among them', () => {
    // Prepare: CDK's BucketDeployment function (the console upload) is Python; Node cannot load it.
    const functions = Object.entries(s.template.findResources('AWS::Lambda::Function')).filter(([, r]) => isNodeFunction(r as never)).map(([id]) => id);
    // Act
    const named = targets.map((t) => t.name).filter((n): n is string => n !== undefined).sort();
    // Assess
    expect(targets.map((t) => t.logicalId).sort()).toEqual(functions.sort());
    expect(named).toEqual([...FUNCTION_NAMES].sort());
  });

  it('loads each bundle, parses its configuration and builds its clients without throwing', () => {
    // Prepare, Act
    const failed = results.filter((r) => r.exitCode !== 0).map((r) => `${r.target.name ?? r.target.logicalId}: exit ${r.exitCode}\n${r.stderr}`);
    // Assess
    expect(failed).toEqual([]);
  });

  it('fails a function whose template lacks a variable its configuration requires (the check can fail)', async () => {
    // Prepare: $connect without WS_ENDPOINT, as the stack once deployed it
    const connect = targets.find((t) => t.name === 'ws-connect') as ColdStartTarget;
    const { WS_ENDPOINT: _dropped, ...without } = connect.environment;
    // Act
    const result = await coldStart(connect, { ...runtimeEnvironment(connect), ...without });
    // Assess
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain('WS_ENDPOINT');
  }, 60_000);
});

describe('cdk-nag', () => {
  it('finds nothing unacknowledged in the AwsSolutions and Serverless packs', () => {
    // Prepare
    const packs = [new AwsSolutionsChecks(), new ServerlessChecks()];
    // Act
    const violations = packs.flatMap((p) => p.validateScope(s.stack).violations)
      .map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`);
    // Assess
    expect(violations).toEqual([]);
  });

  it('gives every acknowledgement a reason', () => {
    // Prepare
    const acks: { path: string; id: string; reason: unknown }[] = [];
    for (const node of s.stack.node.findAll()) {
      for (const entry of node.node.metadata) {
        if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
        for (const [id, reason] of Object.entries(entry.data as Record<string, unknown>)) acks.push({ path: node.node.path, id, reason });
      }
    }
    // Act
    const weak = acks.filter((a) => typeof a.reason !== 'string' || a.reason.length < 30);
    // Assess
    expect(acks.length).toBeGreaterThan(10);
    expect(weak).toEqual([]);
  });
});

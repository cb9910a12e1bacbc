/**
 * Bundle report: each function's minified size and its heaviest packages, read from the esbuild metafiles
 * that the CDK's NodejsFunction bundling writes next to each bundle (`asset.<hash>/index.meta.json`).
 * Used by `test/infra` and the benchmark; run it after `npm run synth`: `npx tsx infra/bundle-report.ts [cdk.out]`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { FUNCTION_TAG } from './stack/braid-function';

/**
 * The minified-bundle budget of every function but the executor, in bytes: a tripwire for a heavy package pulled
 * in by mistake (the smallest such, the MCP SDK, is 69 KB). 600 KB until the executor gained Powertools Metrics
 * and the trace bridge; 640 KB since.
 */
export const BUNDLE_LIMIT_BYTES = 640 * 1024;

/**
 * Budgets of functions that legitimately carry more. The executor runs every node type: the A2A SDK (123 KB),
 * ajv (MCP tool schemas), zod, the MCP SDK, the egress guard and outbound auth (oauth4webapi), map, budget and
 * redrive logic, workflow calls (the run service starts child runs) and agents' reply turns. It measured 723 KB after
 * issues 11–19 landed (was 614 KB before them) and about 780 KB with workflow calls and replies (the run service
 * once pulled the whole compiler and validator in for a rerun's contract: 22 KB); 800 KB is the tripwire. Cold start cost of the difference: tens of milliseconds on Node 22.
 */
export const BUNDLE_LIMITS: Readonly<Record<string, number>> = { executor: 800 * 1024 };

/** The budget of one function's bundle. */
export function bundleLimit(name: string): number {
  return BUNDLE_LIMITS[name] ?? BUNDLE_LIMIT_BYTES;
}

/** Packages no Lambda bundle should contain: build tools, local engines, test tools, the v2 SDK. */
export const FORBIDDEN_PACKAGES = [
  'aws-cdk-lib', 'aws-cdk', 'constructs', 'cdk-nag', 'aws-sdk', 'typescript', 'esbuild', 'tsx', 'vitest',
  'aws-local-stepfunctions', 'dynalite', 'fast-check', 'asl-validator', 'aws-sdk-client-mock',
] as const;

/**
 * Large runtime packages and the only functions that need them. A bundle that carries one elsewhere pulled it
 * in through a barrel import or a shared module that does too much (the fix is a narrower import).
 */
export const HEAVY_PACKAGES: Record<string, readonly string[]> = {
  '@a2a-js/sdk': ['executor'],
  '@modelcontextprotocol/sdk': ['executor'],
  // ajv: MCP tool schemas (executor), run-input validation against the workflow's input schema (api), a gate
  // vote's data against its dataSchema (gate), and checking that a gate's dataSchema compiles (compile, api, and
  // the finalizer, whose re-planning compiles, and so validates, a version again).
  ajv: ['executor', 'api', 'gate', 'compile', 'finalizer'],
  // jsonata: bindings and conditions (executor), expression checks when validating definitions (api, compile),
  // and re-planning a version with learned durations, which compiles it again (finalizer).
  jsonata: ['executor', 'api', 'compile', 'finalizer'],
  // re2js: never in a main bundle: the executor's expression worker and the api's re2.cjs are bundled on their own,
  // and validation finds what RE2 lacks with a scan (shared/definition/bindings.ts).
  re2js: [],
  hono: ['api', 'compile', 'gate'],
  jose: ['ws-authorizer'],
};

/** `function: package` for every heavy package a bundle carries but its function does not need. */
export function unneededHeavyPackages(report: BundleInfo[]): string[] {
  return report.flatMap((b) => b.packages
    .filter((p) => HEAVY_PACKAGES[p.name] !== undefined && !HEAVY_PACKAGES[p.name]!.includes(b.name))
    .map((p) => `${b.name}: ${p.name} (${(p.bytes / 1024).toFixed(1)} KB)`));
}

/** One function's bundle. */
export interface BundleInfo {
  /** Function name (entry folder). */
  name: string;
  /** Minified JavaScript output, in bytes (source map excluded). */
  bytes: number;
  /** Bytes each npm package contributes to the output, largest first. */
  packages: { name: string; bytes: number }[];
  /** Bytes from the repository's own files. */
  ownBytes: number;
}

interface Metafile {
  outputs: Record<string, { bytes: number; inputs: Record<string, { bytesInOutput: number }> }>;
}

interface TemplateJson {
  Resources: Record<string, { Type: string; Properties?: { Code?: { S3Key?: unknown }; Tags?: { Key: string; Value: string }[] } }>;
}

/** `node_modules/@scope/pkg/x.js` -> `@scope/pkg`; `shared/x.ts` -> undefined. */
export function packageOf(inputPath: string): string | undefined {
  const at = inputPath.lastIndexOf('node_modules/');
  if (at < 0) return undefined;
  const parts = inputPath.slice(at + 'node_modules/'.length).split('/');
  const first = parts[0] ?? '';
  return first.startsWith('@') ? `${first}/${parts[1] ?? ''}` : first;
}

/** Summarizes one esbuild metafile (JavaScript outputs only). */
export function summarizeMetafile(name: string, meta: Metafile): BundleInfo {
  const packages = new Map<string, number>();
  let bytes = 0;
  let ownBytes = 0;
  for (const [file, output] of Object.entries(meta.outputs)) {
    if (file.endsWith('.map')) continue;
    bytes += output.bytes;
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const pkg = packageOf(input);
      if (pkg === undefined) ownBytes += bytesInOutput;
      else packages.set(pkg, (packages.get(pkg) ?? 0) + bytesInOutput);
    }
  }
  return {
    name,
    bytes,
    ownBytes,
    packages: [...packages].map(([pkg, b]) => ({ name: pkg, bytes: b })).sort((a, b) => b.bytes - a.bytes),
  };
}

/**
 * Reads every tagged function of a synthesized stack: its asset directory from the template's S3 key.
 * @example bundleReport('cdk.out', JSON.parse(readFileSync('cdk.out/Braid.template.json', 'utf8')))
 */
export function bundleReport(assemblyDir: string, template: TemplateJson): BundleInfo[] {
  const report: BundleInfo[] = [];
  for (const resource of Object.values(template.Resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const name = resource.Properties?.Tags?.find((t) => t.Key === FUNCTION_TAG)?.Value;
    const key = resource.Properties?.Code?.S3Key;
    if (name === undefined || typeof key !== 'string') continue;
    const metaPath = join(assemblyDir, `asset.${key.replace(/\.zip$/, '')}`, 'index.meta.json');
    if (!existsSync(metaPath)) throw new Error(`no esbuild metafile for ${name} at ${metaPath}`);
    report.push(summarizeMetafile(name, JSON.parse(readFileSync(metaPath, 'utf8')) as Metafile));
  }
  return report.sort((a, b) => a.name.localeCompare(b.name));
}

/** Renders the report as a plain-text table with each function's three heaviest packages. */
export function formatReport(report: BundleInfo[]): string {
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
  return report.map((b) => {
    const top = b.packages.slice(0, 3).map((p) => `${p.name} ${kb(p.bytes)}`).join(', ');
    return `${b.name.padEnd(14)} ${kb(b.bytes).padStart(10)}  own ${kb(b.ownBytes)}${top ? `; ${top}` : ''}`;
  }).join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const dir = process.argv[2] ?? 'cdk.out';
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as {
    artifacts: Record<string, { type: string; properties?: { templateFile?: string } }>;
  };
  for (const artifact of Object.values(manifest.artifacts)) {
    const file = artifact.type === 'aws:cloudformation:stack' ? artifact.properties?.templateFile : undefined;
    if (file === undefined) continue;
    console.log(formatReport(bundleReport(dir, JSON.parse(readFileSync(join(dir, file), 'utf8')) as TemplateJson)));
  }
}

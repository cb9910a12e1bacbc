/**
 * Benchmark (4): Lambda bundles. Each `functions/<name>/handler.ts` is bundled with esbuild using
 * the CDK stack's options (`infra/stack/braid-function.ts`: minified ESM for Node 22, `@aws-sdk/*`
 * left to the runtime), then loaded in a fresh Node process to time the import (a cold start's
 * module-loading part). Sizes and packages come from the esbuild metafile (`infra/bundle-report.ts`).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { summarizeMetafile, type BundleInfo } from '../infra/bundle-report';
import { median } from './stats';

/** A function's bundle and its load times. */
export interface BundleResult extends BundleInfo {
  /** Median time to import the bundle in a fresh process, ms. */
  loadMs: number;
  /** Median wall time of the whole fresh process (start, import, exit), ms. */
  processMs: number;
}

/** Environment a handler may read at cold start (placeholders; nothing is called). */
const ENV = {
  TABLE_NAME: 'braid',
  EXECUTOR_ARN: 'arn:aws:lambda:us-east-1:123456789012:function:braid-executor',
  JWKS_URL: 'https://example.com/.well-known/jwks.json',
  JWT_AUDIENCE: 'braid',
  JWT_ISSUER: 'https://example.com',
  STATE_MACHINE_PREFIX: 'braid-',
  STATE_MACHINE_ROLE_ARN: 'arn:aws:iam::123456789012:role/braid-sfn',
  WS_ENDPOINT: 'https://example.com/ws',
  AWS_REGION: 'us-east-1',
  POWERTOOLS_LOG_LEVEL: 'ERROR',
};

/** Bundles every function into `outDir` and times loading each `loads` times. */
export async function bundleFunctions(root: string, outDir: string, loads: number): Promise<BundleResult[]> {
  const names = readdirSync(join(root, 'functions')).filter((n) => existsSync(join(root, 'functions', n, 'handler.ts'))).sort();
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const node = join(root, 'node_modules', '.bin', 'node');
  const results: BundleResult[] = [];
  for (const name of names) {
    const outfile = join(outDir, name, 'index.mjs');
    const result = await build({
      entryPoints: [join(root, 'functions', name, 'handler.ts')],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node22',
      minify: true,
      metafile: true,
      logLevel: 'silent',
      mainFields: ['module', 'main'],
      external: ['@aws-sdk/*'],
      banner: { js: "import{createRequire as __braidCreateRequire}from'module';const require=__braidCreateRequire(import.meta.url);" },
    });
    const info = summarizeMetafile(name, result.metafile as never);
    const loadTimes: number[] = [];
    const processTimes: number[] = [];
    const script = `const t=performance.now();await import(${JSON.stringify('file://' + outfile)});console.log(performance.now()-t)`;
    for (let i = 0; i < loads; i++) {
      const t0 = performance.now();
      const out = execFileSync(existsSync(node) ? node : process.execPath, ['--input-type=module', '-e', script], {
        cwd: root,
        env: { PATH: process.env.PATH ?? '', ...ENV },
        encoding: 'utf8',
        timeout: 30_000,
      });
      processTimes.push(performance.now() - t0);
      loadTimes.push(Number(out.trim().split('\n').at(-1)));
    }
    results.push({ ...info, loadMs: median(loadTimes), processMs: median(processTimes) });
  }
  return results;
}

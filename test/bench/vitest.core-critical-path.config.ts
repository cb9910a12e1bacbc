/**
 * Runs the core's execution tests with `critical-path` as the default compile strategy:
 * `npx vitest run --config test/bench/vitest.core-critical-path.config.ts`. The whole-output tests
 * (`compile.test.ts`) pin the `levels` ASL byte for byte and are left out.
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: new URL('../..', import.meta.url).pathname,
    include: ['test/core/execute.test.ts', 'test/core/properties.test.ts', 'test/core/asl-runner.test.ts'],
    setupFiles: ['test/support/property-seed.ts', 'test/bench/critical-path-default.setup.ts'],
    env: { BRAID_EXPRESSION_WORKER_NICE: '0' },
    testTimeout: 30_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});

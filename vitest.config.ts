import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Every fast-check property runs from a fixed seed (random exploration behind BRAID_FUZZ_RUNS / BRAID_FUZZ_SEED).
    setupFiles: ['test/support/property-seed.ts'],
    // Expression workers at normal priority in tests: on a machine loaded by other processes a nice-19 worker can
    // be starved past a benign expression's budget (the bench measures the production setting, 19).
    env: { BRAID_EXPRESSION_WORKER_NICE: '0' },
    // Generous: CI is a shared, loaded 2-core machine, and a timeout only matters when a test is failing anyway
    // (every wait inside a test polls with its own, shorter deadline that names what it waited for).
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration tests start servers on loopback; two workers match this machine's two cores.
    pool: 'forks',
    maxWorkers: 2,
  },
});

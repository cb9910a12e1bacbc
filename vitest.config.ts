import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Every fast-check property runs from a fixed seed (random exploration behind BRAID_FUZZ_RUNS / BRAID_FUZZ_SEED).
    setupFiles: ['test/support/property-seed.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Integration tests start servers on loopback; two workers match this machine's two cores.
    pool: 'forks',
    maxWorkers: 2,
  },
});

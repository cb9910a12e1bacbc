/**
 * Vitest setup that makes `critical-path` the default strategy of `compileWorkflow`, so the core's
 * own execution tests (`test/core`) run unchanged against the critical-path plan. Used only by
 * `test/bench/vitest.core-critical-path.config.ts`.
 */
import { vi } from 'vitest';

vi.mock('../../shared/compiler/compile', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../shared/compiler/compile')>();
  return {
    ...original,
    compileWorkflow: (def: Parameters<typeof original.compileWorkflow>[0], options: Parameters<typeof original.compileWorkflow>[1]) =>
      original.compileWorkflow(def, { strategy: 'critical-path', ...options }),
  };
});

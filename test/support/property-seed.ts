/**
 * Vitest setup: every fast-check property in the suite runs from one fixed seed, so `npm test` draws the same
 * cases on every machine and cannot go red on a seed no one chose. fast-check names the seed (and the shrink
 * path) in every failure message, so a failure replays with `BRAID_FUZZ_SEED=<seed>`.
 *
 * Random exploration is opt-in: `BRAID_FUZZ_RUNS=<n>` (the existing knob that also raises the number of cases)
 * or `BRAID_FUZZ_SEED=random` draws a fresh seed and prints it. A counterexample found that way becomes a named
 * regression case in the test file it came from.
 */
import fc from 'fast-check';

/** The seed `npm test` uses. Changing it changes every property's cases: do it only on purpose. */
export const FIXED_PROPERTY_SEED = 20_261_201;

/** The seed this process uses: `BRAID_FUZZ_SEED` when it is an integer, a fresh one when exploring, else fixed. */
export function propertySeed(env: NodeJS.ProcessEnv = process.env): { seed: number; exploring: boolean } {
  const asked = env.BRAID_FUZZ_SEED;
  if (asked !== undefined && asked !== 'random' && Number.isInteger(Number(asked))) return { seed: Number(asked), exploring: false };
  const exploring = asked === 'random' || env.BRAID_FUZZ_RUNS !== undefined;
  if (!exploring) return { seed: FIXED_PROPERTY_SEED, exploring };
  return { seed: (Date.now() ^ (process.pid << 16)) | 0, exploring };
}

const { seed, exploring } = propertySeed();
if (exploring) console.info(`[properties] exploring with seed ${seed} (replay: BRAID_FUZZ_SEED=${seed})`);
fc.configureGlobal({ ...fc.readConfigureGlobal(), seed });

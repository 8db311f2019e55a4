/**
 * Fuzzing budget and seed, shared by the property tests in `test/fuzz/`.
 *
 * CI runs every property with its base `numRuns` (a few minutes in total across the suite on
 * a loaded 2-core machine); `LETHEQL_FUZZ_RUNS=N` multiplies them for a longer run
 * (`node scripts/fuzz-long.mjs`, nightly). The seed is fixed per run: `LETHEQL_FUZZ_SEED`
 * when set, else derived from the clock once, printed here, and printed again by fast-check
 * in any failure (`seed: …, path: …`), so a CI failure replays with
 * `LETHEQL_FUZZ_SEED=<seed> npx vitest run test/fuzz`.
 *
 * A crash the fuzzer finds is fixed, then kept as a case in `regressions.ts`.
 */
import fc from 'fast-check';

const envSeed = process.env['LETHEQL_FUZZ_SEED'];
export const FUZZ_SEED = envSeed !== undefined && envSeed !== '' ? Number(envSeed) : Date.now() % 2 ** 31;
export const FUZZ_SCALE = Math.max(1, Number(process.env['LETHEQL_FUZZ_RUNS'] ?? 1) || 1);

// eslint-disable-next-line no-console
console.log(`letheql fuzz: seed ${FUZZ_SEED} (LETHEQL_FUZZ_SEED), scale ${FUZZ_SCALE} (LETHEQL_FUZZ_RUNS)`);

/** fast-check parameters for a property whose CI budget is `numRuns`. */
export function fuzzParams<T>(numRuns: number): fc.Parameters<T> {
  return { seed: FUZZ_SEED, numRuns: numRuns * FUZZ_SCALE, endOnFailure: true };
}

/** Vitest timeout of a property test: generous, scaled with the run count (a hang fails here). */
export function fuzzTimeout(baseMs: number): number {
  return baseMs * FUZZ_SCALE;
}

#!/usr/bin/env node
/**
 * The long (nightly) fuzz run: the property tests of `test/fuzz/` with their CI run counts
 * multiplied (default ×50; `node scripts/fuzz-long.mjs 200` for ×200) and a fresh seed
 * unless `LETHEQL_FUZZ_SEED` is set. The seed is printed first and in any failure; replay a
 * failure with `LETHEQL_FUZZ_SEED=<seed> LETHEQL_FUZZ_RUNS=<scale> npx vitest run test/fuzz`.
 * Keep what it finds in `test/fuzz/regressions.ts` once fixed.
 */
import { spawnSync } from 'node:child_process';

const scale = process.argv[2] ?? process.env.LETHEQL_FUZZ_RUNS ?? '50';
const seed = process.env.LETHEQL_FUZZ_SEED ?? String(Date.now() % 2 ** 31);
console.log(`fuzz-long: LETHEQL_FUZZ_SEED=${seed} LETHEQL_FUZZ_RUNS=${scale}`);
const r = spawnSync('npx', ['vitest', 'run', 'test/fuzz'], { stdio: 'inherit', env: { ...process.env, LETHEQL_FUZZ_RUNS: scale, LETHEQL_FUZZ_SEED: seed } });
if (r.status !== 0) console.error(`fuzz-long failed: replay with LETHEQL_FUZZ_SEED=${seed} LETHEQL_FUZZ_RUNS=${scale} npx vitest run test/fuzz`);
process.exit(r.status ?? 1);

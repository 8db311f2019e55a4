// How many times the bench runs each contender on each query, and how it times them.
//
// One rule for every contender (letheql in process, ripgrep as a child, the naive baseline
// as a child), so that their figures rest on the same kind of evidence:
// - The first run warms up (JIT, WASM compilation, page cache) and estimates the cost.
// - A contender whose first run took half the time budget or more is not run again: that
//   run is its only sample (shown as `1*`). Over 1 GiB the naive baseline and a regex with
//   no literal land here; running them five times would cost minutes and change little.
// - Otherwise it makes as many timed runs as fit the budget, at most `maxIterations` — but at
//   least `ceil(minBytes / bytes)` for small inputs (the one-hour query reads ~2 MB), so that
//   every figure rests on enough scanning to be stable — and at least one.
// The figure reported is the mean of the timed runs (all samples go to --json). Timed runs
// are tinybench tasks.
import { Bench } from 'tinybench';

/**
 * @param {number} firstMs duration of the warm-up run
 * @param {{ budgetMs: number, maxIterations: number, bytes: number, minBytes: number }} rule
 * @returns {number} timed runs to make after the warm-up (0: the warm-up is the sample)
 */
export function timedRuns(firstMs, rule) {
  if (firstMs >= rule.budgetMs / 2) return 0;
  const wanted = Math.max(rule.maxIterations, Math.ceil(rule.minBytes / Math.max(1, rule.bytes)));
  return Math.max(1, Math.min(wanted, Math.floor(rule.budgetMs / Math.max(firstMs, 1e-3))));
}

/**
 * Runs `once` (async; resolves to `{ count }`) by the rule above: the warm-up run by hand
 * (its duration decides the number of runs), the timed runs through tinybench (one `Bench`
 * per contender and query, samples retained). Returns the samples in ms, the count of the
 * first run, whether the warm-up was the only sample, and every count seen (a contender that
 * answers differently from one run to the next is a bug worth showing).
 */
export async function measure(once, rule) {
  const t = performance.now();
  const first = await once();
  const firstMs = performance.now() - t;
  const n = timedRuns(firstMs, rule);
  if (n === 0) return { samplesMs: [firstMs], warmupOnly: true, count: first.count, counts: [first.count] };
  const counts = [first.count];
  const bench = new Bench({ iterations: n, warmupIterations: 0, time: 0, warmupTime: 0, retainSamples: true, throws: true });
  bench.add('run', async () => {
    counts.push((await once()).count);
  });
  await bench.run();
  const samplesMs = [...(bench.tasks[0].result.latency.samples ?? [])];
  return { samplesMs, warmupOnly: false, count: first.count, counts };
}

// How bench/browser.mjs times one engine on one query, in Node, in the page and in a Web
// Worker alike (this file is served to Chromium as is, so it imports nothing: the caller
// passes tinybench's `Bench`, which Node imports by name and the browser from the server).
//
// The rule: one warm-up run by hand (JIT, WASM compilation, worker start-up, page cache),
// then `iterations` timed runs as one tinybench task. The figure is the median of the timed
// runs; every sample goes to --json. Each run returns the number of matching lines, and all
// of them are kept, so that an engine that answers differently from one run to the next (or
// from Node) shows.

/**
 * @param {typeof import('tinybench').Bench} Bench
 * @param {() => Promise<number>} once one run; resolves to the count of matching lines
 * @param {number} iterations timed runs after the warm-up
 * @returns {Promise<{ warmupMs: number, samplesMs: number[], medianMs: number, counts: number[] }>}
 */
export async function timeRuns(Bench, once, iterations) {
  const t = performance.now();
  const counts = [await once()];
  const warmupMs = performance.now() - t;
  const bench = new Bench({ iterations, warmupIterations: 0, time: 0, warmupTime: 0, retainSamples: true, throws: true });
  bench.add('run', async () => {
    counts.push(await once());
  });
  await bench.run();
  const latency = bench.tasks[0].result.latency;
  return { warmupMs, samplesMs: [...(latency.samples ?? [])], medianMs: latency.p50, counts };
}

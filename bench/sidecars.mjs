#!/usr/bin/env node
// Sidecar indexes: what they cost and what they save, on the seeded store of bench/run.mjs.
//
// 1. Generates (or finds) bench/data/store-<size> (seed 1), removes its sidecars, times
//    `indexStore` (what `letheql index` runs) and reports sidecar bytes / store bytes.
// 2. Counts each query with the sidecars and without them (the same store through a source
//    that hides them), in process, and prints the median of --runs runs (after a warm-up),
//    the bytes read, and the blocks skipped. Counts must agree (exit code 1 otherwise).
//
// Times include planning (reading and checking the sidecars). Usage:
//   npm run build && node bench/sidecars.mjs [--size 1GiB] [--runs 5] [--workers 0]
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { generateStore, parseSize } from '../scripts/lib/generate.mjs';
import { FsChunkSource, LogStore } from '../dist/node.js';
import { indexStore } from '../dist/write/sidecar-files.js';

const { values } = parseArgs({ options: { size: { type: 'string', default: '1GiB' }, runs: { type: 'string', default: '5' }, workers: { type: 'string', default: '0' } } });
const root = fileURLToPath(new URL(`./data/store-${values.size}`, import.meta.url));
const info = await generateStore({ out: root, sizeBytes: parseSize(values.size), seed: 1, log: (m) => console.log(m) });
const window = { start: info.start, end: info.end };

rmSync(`${root}/.letheql/index`, { recursive: true, force: true });
let t0 = performance.now();
const report = await indexStore(root, { nowNs: 4_000_000_000_000_000_000n });
const buildMs = performance.now() - t0;
console.log(`index: ${report.built} sidecars, ${report.sidecarBytes} bytes = ${((100 * report.sidecarBytes) / report.fileBytes).toFixed(2)}% of ${report.fileBytes} bytes, built in ${(buildMs / 1000).toFixed(1)} s (${(report.fileBytes / 1e6 / (buildMs / 1000)).toFixed(0)} MB/s)`);

const fs = new FsChunkSource(root);
/** The same store with its sidecars hidden. */
const hidden = { description: fs.description, listTargets: (t) => fs.listTargets(t), listFiles: (t, n, s) => fs.listFiles(t, n, s), open: (t, n, f) => fs.open(t, n, f) };
const pool = Number(values.workers) > 0 ? (await import('../dist/platform/node/pool.js')).createNodeScanPool(new URL('../dist/scan-worker.js', import.meta.url), { workers: Number(values.workers) }) : null;
const stores = { with: new LogStore(fs, { pool }), without: new LogStore(hidden, { pool }) };

const QUERIES = [
  `pod{namespace=~".+"} |= "${info.rareToken}"`,
  'pod{namespace=~".+"} |~ "(?i)rare-7f3a"',
  'pod{namespace=~".+"}',
  'pod{namespace="shop", container="api"}',
  'pod{namespace=~".+"} |= "level=error"',
];
let bad = 0;
console.log('query | without sidecars | with sidecars | bytes read without → with | blocks skipped (bloom/time) | files counted');
for (const q of QUERIES) {
  const res = {};
  for (const [k, s] of Object.entries(stores)) {
    await s.count(q, window);
    const times = [];
    let last;
    for (let i = 0; i < Number(values.runs); i++) {
      t0 = performance.now();
      last = await s.count(q, window);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    res[k] = { ms: times[Math.floor(times.length / 2)], ...last };
  }
  if (res.with.count !== res.without.count) bad++;
  const ix = res.with.stats.index ?? {};
  console.log(`${q} | ${res.without.ms.toFixed(0)} ms | ${res.with.ms.toFixed(0)} ms | ${(res.without.stats.bytesScanned / 1e6).toFixed(1)} → ${(res.with.stats.bytesScanned / 1e6).toFixed(1)} MB | ${ix.blocksSkippedByBloom ?? 0}/${ix.blocksSkippedByTime ?? 0} of ${(ix.blocksSkippedByBloom ?? 0) + (ix.blocksSkippedByTime ?? 0) + (ix.blocksScanned ?? 0)} | ${ix.filesCounted ?? 0}${res.with.count !== res.without.count ? `  COUNTS DIFFER ${res.with.count} vs ${res.without.count}` : ''}`);
}
await stores.with.close();
await stores.without.close();
process.exit(bad ? 1 : 0);

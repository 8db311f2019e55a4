#!/usr/bin/env node
// A/B of two (or more) builds of the WASM kernel over the same in-memory store files: per
// query of `queries.mjs`, each build's MB/s, the builds run alternately so that a busy
// machine disturbs them alike. For judging a kernel change, where a few percent matter and
// whole-process timings on this shared 2-core VM move by ±10% from one minute to the next.
//
//   git stash; npm run build:wasm; cp build/kernel.wasm /tmp/before.wasm; git stash pop
//   npm run build; node bench/kernel-ab.mjs /tmp/before.wasm build/kernel.wasm
//
// Options (environment): ONLY=<substring of a query name>, RUNS (timed runs after a warm-up,
// best of; default 7), MB (pod and node data held in memory; default 300), SIZE (the
// generated store, default 1GiB). Programs come from the planner of the current dist/
// (`store.explain(query).program`); the matches and line counts of every build are printed
// once when they agree, and as MISMATCH when they do not.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { generateStore, parseSize } from '../scripts/lib/generate.mjs';
import { ALL, POD_QUERIES } from './queries.mjs';
import { loadStoreFiles, MemReader } from './in-memory.mjs';
import { openStore } from '../dist/node.js';
import { Kernel } from '../dist/scan/kernel.js';

const wasms = process.argv.slice(2);
if (wasms.length === 0 || wasms.some((w) => !w.endsWith('.wasm'))) {
  console.error('usage: node bench/kernel-ab.mjs A.wasm B.wasm [...]');
  process.exit(2);
}
const only = process.env.ONLY?.toLowerCase();
const runs = Number(process.env.RUNS ?? 7);
const mb = Number(process.env.MB ?? 300);
const size = process.env.SIZE ?? '1GiB';
const root = fileURLToPath(new URL(`./data/store-${size}`, import.meta.url));
const info = await generateStore({ out: root, sizeBytes: parseSize(size), seed: 1, log: (m) => console.log(m) });

const store = openStore(root, { workers: 0 });
const kernels = await Promise.all(wasms.map(async (w) => Kernel.load(await WebAssembly.compile(readFileSync(w)))));
const data = { pod: loadStoreFiles(root, 'pod', mb), node: loadStoreFiles(root, 'node', mb) };
const queries = [...POD_QUERIES, { name: 'selector only', q: ALL }, { name: 'node regex + !~ regex', q: 'node{node=~".+"} |~ "(?i)(error|fail)" !~ "ContainerStatus|pod_workers"' }].filter(
  (q) => !only || q.name.toLowerCase().includes(only),
);
const window = { start: info.start, end: info.end };
console.log(`kernel-ab: best of ${runs}, alternating; pod ${(data.pod.bytes / 1e6).toFixed(0)} MB, node ${(data.node.bytes / 1e6).toFixed(0)} MB in memory`);
console.log(['query'.padEnd(30), ...wasms.map((w) => w.slice(-24).padStart(24))].join(' '));
for (const q of queries) {
  const plan = await store.explain(q.q, window);
  const { files, bytes } = data[plan.logType];
  for (const k of kernels) k.setProgram(plan.program);
  const best = kernels.map(() => Infinity);
  const seen = kernels.map(() => '');
  for (let r = 0; r <= runs; r++) {
    for (let j = 0; j < kernels.length; j++) {
      const t = performance.now();
      let matched = 0;
      let lines = 0;
      for (const f of files) {
        const st = await kernels[j].scanFile(new MemReader(f), { blockSize: 1 << 20 }, () => true);
        matched += st.matched;
        lines += st.lines;
      }
      const ms = performance.now() - t;
      if (r > 0) best[j] = Math.min(best[j], ms);
      seen[j] = `${matched} matches / ${lines} lines`;
    }
  }
  const same = seen.every((x) => x === seen[0]);
  console.log([q.name.padEnd(30), ...best.map((ms) => `${(bytes / 1e3 / ms).toFixed(0)} MB/s`.padStart(24))].join(' '), same ? seen[0] : `MISMATCH ${seen.join(' | ')}`);
}
await store.close();

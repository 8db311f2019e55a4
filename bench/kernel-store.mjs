#!/usr/bin/env node
// Kernel throughput over a generated store, in process, beside ripgrep in the same run.
//
// For each query of issue 13 §2's target list it times `store.count(query)` through the
// public API (dist/node.js) in this thread (`workers: 0`) and with two scan workers, and
// `rg -c -j2` over the same files (per-file counts summed, wall clock of the child). MB/s =
// bytes of the files the plan reads (10⁶ bytes a MB) / best of --runs runs after one
// warm-up; best-of rather than mean because the machine is shared and noise only ever adds.
// The ratio column is letheql (2 workers) / rg -j2. Counts of letheql and rg are printed
// side by side; they may differ where rg matches a timestamp or a label (rg sees whole
// lines), or for the queries rg cannot say in one pattern (noted per row).
//
// It also reports the kernel's `linesValidated` (lines it framed and validated) next to
// `linesScanned`, to show how much framing search-first saved.
//
// Usage: npm run build && node bench/kernel-store.mjs [--size 1GiB] [--runs 3] [--only <substring>] [--no-rg] [--workers 0,2]
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import os from 'node:os';
import { generateStore, parseSize } from '../scripts/lib/generate.mjs';
import { ALL, POD_QUERIES } from './queries.mjs';
import { openStore } from '../dist/node.js';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: '1GiB' },
    runs: { type: 'string', default: '3' },
    only: { type: 'string' },
    workers: { type: 'string', default: '0,2' },
    'no-rg': { type: 'boolean', default: false },
  },
});
const runs = Number(values.runs);
const workerCounts = values.workers.split(',').map(Number);
const root = fileURLToPath(new URL(`./data/store-${values.size}`, import.meta.url));
const info = await generateStore({ out: root, sizeBytes: parseSize(values.size), seed: 1, log: (m) => console.log(m) });
const window = { start: info.start, end: info.end };

const QUERIES = [
  ...POD_QUERIES,
  // rg has no "A and not B" in one pattern: it runs the positive regex only (same bytes read).
  { name: 'node regex + !~ regex', q: 'node{node=~".+"} |~ "(?i)(error|fail)" !~ "ContainerStatus|pod_workers"', rg: ['-e', '(?i)(error|fail)'], note: 'rg: positive regex only' },
];
const only = values.only?.toLowerCase();
const queries = only ? QUERIES.filter((s) => s.name.toLowerCase().includes(only)) : QUERIES;

function rgOnce(args, files) {
  return new Promise((resolve, reject) => {
    const child = spawn('rg', ['--no-config', '--no-ignore', '-c', '-j2', '--with-filename', ...args, '--', ...files], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0 && code !== 1) return reject(new Error(`rg exited with ${code}`));
      let count = 0;
      for (const line of out.split('\n')) if (line) count += Number(line.slice(line.lastIndexOf(':') + 1));
      resolve({ count });
    });
  });
}

async function best(once) {
  let r = await once(); // warm-up
  let ms = Infinity;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    r = await once();
    ms = Math.min(ms, performance.now() - t);
  }
  return { ...r, ms };
}

const stores = new Map(workerCounts.map((w) => [w, openStore(root, { workers: w })]));
console.log(`kernel-store: ${(info.bytes / 2 ** 20).toFixed(0)} MiB store, ${os.cpus().length} × ${os.cpus()[0]?.model}, node ${process.version}, load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}, best of ${runs}`);
const head = ['query'.padEnd(30), 'MB'.padStart(5), 'count'.padStart(9), ...workerCounts.map((w) => `w${w} MB/s`.padStart(9)), 'rg MB/s'.padStart(8), 'rg count'.padStart(9), 'ratio'.padStart(6), 'validated'.padStart(10)];
console.log(head.join(' '));
for (const s of queries) {
  const plan = await stores.get(workerCounts[0]).explain(s.q, window);
  const files = plan.files.map((f) => f.path);
  const mb = plan.files.reduce((a, f) => a + f.size, 0) / 1e6;
  const cells = [];
  let count = 0;
  let stats = null;
  let lastMbs = 0;
  for (const w of workerCounts) {
    const r = await best(async () => {
      const out = await stores.get(w).count(s.q, window);
      return { count: out.count, stats: out.stats };
    });
    count = r.count;
    stats = r.stats;
    lastMbs = mb / (r.ms / 1000);
    cells.push(lastMbs.toFixed(0).padStart(9));
  }
  let rg = null;
  if (!values['no-rg']) rg = await best(() => rgOnce(s.rg, files));
  const rgMbs = rg ? mb / (rg.ms / 1000) : NaN;
  const validated = stats?.linesValidated !== undefined ? `${((100 * stats.linesValidated) / Math.max(1, stats.linesScanned)).toFixed(1)}%` : '-';
  console.log([s.name.padEnd(30), mb.toFixed(0).padStart(5), String(count).padStart(9), ...cells, (rg ? rgMbs.toFixed(0) : '-').padStart(8), (rg ? String(rg.count) : '-').padStart(9), (rg ? (lastMbs / rgMbs).toFixed(2) : '-').padStart(6), validated.padStart(10), s.note ?? ''].join(' '));
}
for (const st of stores.values()) await st.close?.();

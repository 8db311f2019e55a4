#!/usr/bin/env node
// The scan kernel alone over real store bytes: per query, MB/s of `Kernel.scanFile` over
// files of the generated store held in memory (no I/O, no workers, no Arrow), one thread.
// It isolates what the kernel costs per byte (search, framing, filters) from reading and
// scheduling, which `bench/kernel-store.mjs` and `bench/run.mjs` include.
//
// Programs come from the planner (`store.explain(query).program`), so they are exactly what
// a query runs. MB/s = bytes scanned (10⁶ a MB) / best of --runs runs (after one warm-up);
// best-of because the machine is shared and noise only ever adds time. Two figures: by wall
// clock, and by this thread's CPU time (user + system, `process.cpuUsage`), which a busy
// machine disturbs much less. Beside them ripgrep's CPU MB/s over the same files
// (`rg -c -j2`, user + system of the child, from /usr/bin/time; bytes / CPU seconds, so a
// per-core figure like ours) and the ratio of the two CPU figures.
//
// Usage: npm run build && node bench/kernel-search.mjs [--size 1GiB] [--mb 300] [--runs 5] [--only <substring>] [--block 1048576] [--no-rg]
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import os from 'node:os';
import { generateStore, parseSize } from '../scripts/lib/generate.mjs';
import { ALL, POD_QUERIES } from './queries.mjs';
import { loadStoreFiles, MemReader } from './in-memory.mjs';
import { openStore } from '../dist/node.js';
import { Kernel } from '../dist/scan/kernel.js';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: '1GiB' },
    mb: { type: 'string', default: '300' },
    runs: { type: 'string', default: '5' },
    block: { type: 'string', default: String(1 << 20) },
    only: { type: 'string' },
    'no-rg': { type: 'boolean', default: false },
  },
});
const runs = Number(values.runs);
const blockSize = Number(values.block);
const root = fileURLToPath(new URL(`./data/store-${values.size}`, import.meta.url));
const info = await generateStore({ out: root, sizeBytes: parseSize(values.size), seed: 1, log: (m) => console.log(m) });
const window = { start: info.start, end: info.end };

const QUERIES = [
  ...POD_QUERIES,
  { name: 'selector only', q: ALL, rg: ['-e', '^'] },
  // rg has no "A and not B" in one pattern: it runs the positive regex (the same bytes to read).
  { name: 'node regex + !~ regex', q: 'node{node=~".+"} |~ "(?i)(error|fail)" !~ "ContainerStatus|pod_workers"', rg: ['-e', '(?i)(error|fail)'] },
];
const only = values.only?.toLowerCase();
const queries = only ? QUERIES.filter((s) => s.name.toLowerCase().includes(only)) : QUERIES;

const store = openStore(root, { workers: 0 });
const kernel = await Kernel.load();
const data = { pod: loadStoreFiles(root, 'pod', Number(values.mb)), node: loadStoreFiles(root, 'node', Number(values.mb)) };
console.log(`kernel-search: ${os.cpus()[0]?.model}, node ${process.version}, load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}, block ${blockSize}, best of ${runs}; pod ${(data.pod.bytes / 1e6).toFixed(0)} MB, node ${(data.node.bytes / 1e6).toFixed(0)} MB in memory`);
console.log(['query'.padEnd(30), 'wall MB/s'.padStart(9), 'cpu MB/s'.padStart(9), 'rg cpu'.padStart(7), 'ratio'.padStart(6), 'matches'.padStart(9), 'rg count'.padStart(9), 'lines'.padStart(9), 'validated'.padStart(10), 'anchor'.padStart(8)].join(' '));

const RUSAGE_PY = 'import resource, subprocess, sys\nsubprocess.run(sys.argv[1:])\nr = resource.getrusage(resource.RUSAGE_CHILDREN)\nsys.stderr.write("%f %f\\n" % (r.ru_utime, r.ru_stime))';

/** ripgrep's best CPU time (user + system, ms) and count over `paths`, by getrusage. */
function rgCpu(args, paths) {
  let best = Infinity;
  let count = 0;
  for (let i = 0; i <= runs; i++) {
    // getrusage(RUSAGE_CHILDREN) through python: microseconds, where /usr/bin/time rounds to 10 ms.
    const r = spawnSync('python3', ['-c', RUSAGE_PY, 'rg', '--no-config', '--no-ignore', '-c', '-j2', '--with-filename', ...args, '--', ...paths], { encoding: 'utf8', maxBuffer: 1 << 26 });
    const [u, sys] = r.stderr.trim().split('\n').pop().split(' ').map(Number);
    count = 0;
    for (const line of r.stdout.split('\n')) if (line) count += Number(line.slice(line.lastIndexOf(':') + 1));
    if (i > 0) best = Math.min(best, (u + sys) * 1000);
  }
  return { ms: best, count };
}
for (const s of queries) {
  const plan = await store.explain(s.q, window);
  const { files, bytes } = data[plan.logType];
  kernel.setProgram(plan.program);
  const once = async () => {
    const t = { matched: 0, lines: 0, validated: 0 };
    for (const f of files) {
      const st = await kernel.scanFile(new MemReader(f), { blockSize }, () => true);
      t.matched += st.matched;
      t.lines += st.lines;
      t.validated += st.validated ?? st.lines;
    }
    return t;
  };
  let r = await once();
  let best = Infinity;
  let bestCpu = Infinity;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    r = await once();
    const c = process.cpuUsage(c0);
    best = Math.min(best, performance.now() - t0);
    bestCpu = Math.min(bestCpu, (c.user + c.system) / 1000);
  }
  const a = kernel.searchAnchor;
  const mbs = (ms) => bytes / 1e6 / (ms / 1000);
  const rg = values['no-rg'] ? null : rgCpu(s.rg, data[plan.logType].paths);
  console.log([s.name.padEnd(30), mbs(best).toFixed(0).padStart(9), mbs(bestCpu).toFixed(0).padStart(9), (rg ? mbs(rg.ms).toFixed(0) : '-').padStart(7), (rg ? (mbs(bestCpu) / mbs(rg.ms)).toFixed(2) : '-').padStart(6), String(r.matched).padStart(9), (rg ? String(rg.count) : '-').padStart(9), String(r.lines).padStart(9), `${((100 * r.validated) / r.lines).toFixed(1)}%`.padStart(10), (a ? a.kind : '-').padStart(8)].join(' '));
}
await store.close?.();

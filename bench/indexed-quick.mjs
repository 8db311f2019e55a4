// Whole-process timings of a few queries over an *already indexed* store (sidecars and
// target summaries in place, e.g. after `letheql index --store DIR`), beside `rg -c -j2`
// over the same files, a cold start (an empty window) and `node -e 0`, in one run.
// `run.mjs` measures its sidecar rows by indexing the store first (minutes on 4 GiB); this
// script is for iterating on the index and planner: it never writes to the store.
//
//   node bench/indexed-quick.mjs --store bench/data/store-4GiB [--runs 7]
//
// Each figure is the median of `--runs` runs after one warm-up, page cache warm.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { store: { type: 'string' }, runs: { type: 'string', default: '7' } } });
if (!values.store) {
  console.error('usage: node bench/indexed-quick.mjs --store DIR [--runs N]');
  process.exit(2);
}
const root = values.store;
const runs = Number(values.runs);
const CLI = new URL('../bin/letheql.js', import.meta.url).pathname;
const WINDOW = ['--start', '2024-09-01T00:00:00Z', '--end', '2024-10-30T00:00:00Z'];
const EMPTY = ['--start', '2020-09-01T00:00:00Z', '--end', '2020-09-01T01:00:00Z'];
const podFiles = readdirSync(join(root, 'pod')).flatMap((t) => readdirSync(join(root, 'pod', t)).filter((n) => n.endsWith('.log')).map((n) => join(root, 'pod', t, n)));
const hasRg = spawnSync('rg', ['--version']).status === 0;

const QUERIES = [
  { name: 'rare literal', q: 'pod{namespace=~".*"} |= "RARE-7f3a"', rg: ['-F', '-e', 'RARE-7f3a'] },
  { name: 'rare literal (?i)', q: 'pod{namespace=~".*"} |~ "(?i)rare-7f3a"', rg: ['-i', '-F', '-e', 'rare-7f3a'] },
  { name: 'rare message', q: 'pod{namespace=~".*"} |= "NullPointerException"', rg: ['-F', '-e', 'NullPointerException'] },
];

/** Median wall-clock ms of `runs` runs (after a warm-up) and the last stdout. */
function time(cmd, args) {
  spawnSync(cmd, args);
  const ms = [];
  let out = '';
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
    ms.push(Number(process.hrtime.bigint() - t) / 1e6);
    out = r.stdout;
  }
  ms.sort((a, b) => a - b);
  return { ms: ms[Math.floor(ms.length / 2)], out };
}

const cold = time(process.execPath, [CLI, 'query', '--count', '--store', root, ...EMPTY, QUERIES[0].q]).ms;
const node = time(process.execPath, ['-e', '0']).ms;
console.log(`store ${root}: ${podFiles.length} pod files; ${runs} runs each; load ${(await import('node:os')).loadavg()[0].toFixed(2)}`);
console.log(`cold start ${cold.toFixed(0)} ms, node -e 0 ${node.toFixed(0)} ms (${(cold / node).toFixed(2)}×)`);
console.log('| query | letheql ms | lines | rg -j2 ms | letheql / rg |');
console.log('|---|---:|---:|---:|---:|');
for (const q of QUERIES) {
  const lq = time(process.execPath, [CLI, 'query', '--count', '--store', root, ...WINDOW, q.q]);
  const rg = hasRg ? time('rg', ['-c', '-j2', ...q.rg, ...podFiles]) : null;
  const rgLines = rg ? rg.out.split('\n').filter(Boolean).reduce((a, l) => a + Number(l.slice(l.lastIndexOf(':') + 1)), 0) : null;
  const note = rgLines !== null && rgLines !== Number(lq.out.trim()) ? ` (rg counts ${rgLines})` : '';
  console.log(`| \`${q.q.replaceAll("|", "\\|")}\` | ${lq.ms.toFixed(0)} | ${lq.out.trim()}${note} | ${rg ? rg.ms.toFixed(0) : 'n/a'} | ${rg ? (lq.ms / rg.ms).toFixed(2) : 'n/a'} |`);
}

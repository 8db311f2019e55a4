#!/usr/bin/env node
// `npm run bench`: throughput of letheql's scan beside a naive in-process baseline, in one run.
//
// Generates (once) a seeded store of realistic Kubernetes logs (default 256 MiB, not
// committed), then for each query shape measures, with tinybench, a full `count` through
// letheql (WASM kernel + re2-wasm for regex) and through a naive baseline that reads each
// file, splits lines, parses time and labels with string operations, and tests filters
// with `String.includes`/`RegExp` per line. Both must agree on the count.
// MB/s = bytes of the files the query has to read / mean time per run.
//
// Usage: node bench/run.mjs [--size 256MiB] [--iterations 5] [--json bench/results/x.json]
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import os from 'node:os';
import { Bench } from 'tinybench';
import { generateStore, parseSize } from './generate.mjs';
import { openStore, parseTime } from '../dist/node.js';

const { values } = parseArgs({
  options: { size: { type: 'string', default: '256MiB' }, iterations: { type: 'string', default: '5' }, json: { type: 'string' } },
});
const root = fileURLToPath(new URL(`./data/store-${values.size}`, import.meta.url));
const info = await generateStore({ out: root, sizeBytes: parseSize(values.size), seed: 1 });
const store = openStore(root);
const start = info.start;
const end = info.end;

const namespaces = readdirSync(join(root, 'pod')).sort();
const oneNs = namespaces.includes('shop') ? 'shop' : namespaces[0];
const hours = readdirSync(join(root, 'pod', oneNs)).sort();
const oneHour = hours[Math.floor(hours.length / 2)]; // YYYY-MM-DD_HH.log
const hourStart = `${oneHour.slice(0, 10)}T${oneHour.slice(11, 13)}:00:00Z`;
const hourEnd = `${oneHour.slice(0, 10)}T${oneHour.slice(11, 13)}:59:59.999999999Z`;

const shapes = [
  { name: 'rare literal', q: 'pod{namespace=~".*"} |= "RARE-7f3a"' },
  { name: 'common literal', q: 'pod{namespace=~".*"} |= "GET"' },
  { name: 'negated literal', q: 'pod{namespace=~".*"} != "GET"' },
  { name: 'two literals', q: 'pod{namespace=~".*"} |= "GET" |= "/api/v1"' },
  { name: 'regex user/[0-9]+', q: 'pod{namespace=~".*"} |~ "user/[0-9]+"' },
  { name: 'one hour, one namespace', q: `pod{namespace="${oneNs}"} |= "error"`, start: hourStart, end: hourEnd },
];

// ---- naive baseline: what a small script would do --------------------------------------
const HOUR_NS = 3_600_000_000_000n;
function nsOf(ts) {
  const ms = Date.parse(ts.replace(/\.\d+/, ''));
  const frac = /\.(\d+)/.exec(ts)?.[1] ?? '';
  return BigInt(ms) * 1_000_000n + BigInt(frac.padEnd(9, '0').slice(0, 9));
}
function naiveCount(q, startNs, endNs) {
  const m = /^pod\{namespace(=~|=)"([^"]*)"\}\s*(.*)$/.exec(q);
  const targetRe = m[1] === '=' ? null : new RegExp(`^(?:${m[2]})$`);
  const filters = [...m[3].matchAll(/(\|=|!=|\|~|!~)\s*"((?:[^"\\]|\\.)*)"/g)].map(([, op, v]) => {
    const s = JSON.parse(`"${v}"`);
    if (op === '|=') return (l) => l.includes(s);
    if (op === '!=') return (l) => !l.includes(s);
    const re = new RegExp(s);
    return op === '|~' ? (l) => re.test(l) : (l) => !re.test(l);
  });
  let count = 0;
  for (const ns of readdirSync(join(root, 'pod'))) {
    if (targetRe ? !targetRe.test(ns) : ns !== m[2]) continue;
    for (const f of readdirSync(join(root, 'pod', ns))) {
      const hour = BigInt(Date.parse(`${f.slice(0, 10)}T${f.slice(11, 13)}:00:00Z`)) * 1_000_000n;
      if (!(startNs < hour + HOUR_NS && endNs >= hour)) continue;
      const text = readFileSync(join(root, 'pod', ns, f), 'utf8');
      for (let line of text.split('\n')) {
        if (line.endsWith('\r')) line = line.slice(0, -1);
        const b = line.indexOf('[');
        const e = line.indexOf(']', b);
        if (b < 0 || e < 0) continue;
        const t = nsOf(line.slice(0, b));
        if (t < startNs || t > endNs) continue;
        if (line.slice(b + 1, e).split('|').length !== 3) continue;
        const msg = line.slice(e + 2);
        if (filters.every((fn) => fn(msg))) count++;
      }
    }
  }
  return count;
}

// ---- measure --------------------------------------------------------------------------
const rows = [];
for (const s of shapes) {
  const opts = { start: s.start ?? start, end: s.end ?? end };
  const plan = await store.explain(s.q, opts);
  const bytes = plan.files.reduce((a, f) => a + f.size, 0);
  let ours = -1;
  let naive = -1;
  // Small reads get more iterations so that each figure rests on at least ~200 MB of scanning.
  const iterations = Math.max(Number(values.iterations), Math.ceil(200e6 / Math.max(1, bytes)));
  const bench = new Bench({ iterations, warmupIterations: 2, time: 0, warmupTime: 0 });
  bench.add('letheql', async () => {
    ours = (await store.count(s.q, opts)).count;
  });
  bench.add('naive', () => {
    naive = naiveCount(s.q, parseTime(opts.start), parseTime(opts.end));
  });
  await bench.run();
  if (ours !== naive) {
    console.error(`MISMATCH on ${s.name}: letheql ${ours}, naive ${naive}`);
    process.exitCode = 1;
  }
  const [a, b] = bench.tasks.map((t) => t.result.latency.mean / 1000); // seconds
  rows.push({ shape: s.name, query: s.q, mb: bytes / 1e6, matches: ours, letheqlMBs: bytes / 1e6 / a, naiveMBs: bytes / 1e6 / b, speedup: b / a });
}

const pad = (v, n) => String(v).padStart(n);
console.log(`\nletheql bench — store ${(info.bytes / 2 ** 20).toFixed(0)} MiB, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, node ${process.version}`);
console.log(`${'query shape'.padEnd(26)}${pad('MB read', 9)}${pad('matches', 10)}${pad('letheql MB/s', 14)}${pad('naive MB/s', 12)}${pad('speedup', 9)}`);
for (const r of rows) {
  console.log(`${r.shape.padEnd(26)}${pad(r.mb.toFixed(0), 9)}${pad(r.matches, 10)}${pad(r.letheqlMBs.toFixed(0), 14)}${pad(r.naiveMBs.toFixed(0), 12)}${pad(r.speedup.toFixed(1) + '×', 9)}`);
}
if (values.json) {
  mkdirSync(dirname(values.json), { recursive: true });
  writeFileSync(values.json, JSON.stringify({ date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, cpu: os.cpus()[0]?.model, storeBytes: info.bytes, rows }, null, 2));
}

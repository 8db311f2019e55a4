#!/usr/bin/env node
// `npm run bench`: letheql's scan beside ripgrep and a naive JS baseline, in one run, one table.
//
// It generates (once; cached under bench/data, not committed) a seeded store of realistic
// Kubernetes logs, 1 GiB by default (see bench/generate.mjs for the mix), then for each query
// counts the matching lines with every contender available:
// - letheql, through the public API: `openStore(root).count(query, { start, end })`;
// - ripgrep, when `rg` is on PATH: `rg -c -j2` with an equivalent pattern over the same files
//   the query plan reads (per-file counts summed), timed as the wall clock of the child
//   process. ripgrep matches whole lines, timestamp and labels included, where LetheQL
//   filters see the message only; the patterns here cannot match in a timestamp or a label,
//   so the counts should agree, and a difference is printed as a note, not a failure. Two
//   literals (`|= "GET" |= "/api/v1"`: both, anywhere, either order) become the regex
//   `GET.*/api/v1|/api/v1.*GET`, which says exactly that of a line (the two cannot overlap);
//   a negated literal becomes `rg -v`;
// - the naive baseline (bench/naive.mjs): read, split, parse, `includes`/`RegExp` per line.
//   It runs in a child process killed after --cap seconds, because JS `RegExp` backtracks
//   and takes exponential time on the hostile patterns; a killed run prints as
//   `>30s (timed out)`. letheql and the naive baseline must agree on every count they both
//   finish: a mismatch makes the exit code 1.
// How many runs each contender gets is one shared rule (bench/measure.mjs): a warm-up run,
// then as many timed runs as fit --budget seconds (at most --iterations); a contender whose
// warm-up took half the budget or more is measured by that one run (`1*`).
// MB/s = bytes of the files the query has to read (1 MB = 10⁶ bytes) / mean time of a run.
// letheql's column `how` says what the WASM kernel runs per line, from the query plan, in
// order: `lit` (literal search), `fold` (ASCII case-insensitive literal search), `dfa` or
// `pike` (a regex automaton), joined by `+` (`lit+dfa`: a required-literal prefilter, then
// the DFA on the lines that have it).
//
// Usage: node bench/run.mjs [--size 1GiB] [--iterations 5] [--only <substring>]
//          [--budget 10] [--cap 30] [--no-rg] [--no-naive] [--no-metric] [--no-append] [--json bench/results/x.json]
// After the query table: append throughput of the store writer per fsync policy (append.mjs).
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import os from 'node:os';
import { generateStore, parseSize } from './generate.mjs';
import { appendBench, printAppendRows } from './append.mjs';
import { measure } from './measure.mjs';
import { openStore } from '../dist/node.js';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: '1GiB' },
    iterations: { type: 'string', default: '5' },
    only: { type: 'string' },
    budget: { type: 'string', default: '10' },
    cap: { type: 'string', default: '30' },
    'no-rg': { type: 'boolean', default: false },
    'no-append': { type: 'boolean', default: false },
    'no-metric': { type: 'boolean', default: false },
    'no-naive': { type: 'boolean', default: false },
    json: { type: 'string' },
  },
});
const maxIterations = Number(values.iterations);
const budgetMs = Number(values.budget) * 1000;
const capMs = Number(values.cap) * 1000;
/** Small inputs get more runs, so that each figure rests on at least this much scanning. */
const MIN_BYTES = 200e6;

// ---- machine and tools --------------------------------------------------------------------
const rgVersion = values['no-rg'] ? null : toolVersion('rg');
const distBuilt = statSync(new URL('../dist/node.js', import.meta.url)).mtime.toISOString();
const machine = {
  cpu: os.cpus()[0]?.model ?? 'cpu',
  cores: os.cpus().length,
  memGiB: Math.round(os.totalmem() / 2 ** 30),
  os: `${os.type()} ${os.release()} ${os.arch()}`,
  node: process.version,
  ripgrep: rgVersion,
  loadavg: os.loadavg().map((x) => Number(x.toFixed(2))),
};
console.log(`machine: ${machine.cores} × ${machine.cpu}, ${machine.memGiB} GiB, ${machine.os}, node ${machine.node}, load ${machine.loadavg.join(' ')}`);
console.log(`contenders: letheql (dist/ built ${distBuilt})${rgVersion ? `, ${rgVersion} (rg -c -j2)` : values['no-rg'] ? '' : ', ripgrep not on PATH (skipped)'}${values['no-naive'] ? '' : `, naive JS baseline (cap ${values.cap}s)`}`);

function toolVersion(cmd) {
  const r = spawnSync(cmd, ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.split('\n')[0].trim() : null;
}

// ---- the store ------------------------------------------------------------------------------
const root = fileURLToPath(new URL(`./data/store-${values.size}`, import.meta.url));
const info = await generateStore({ out: root, sizeBytes: parseSize(values.size), seed: 1, log: (m) => console.log(m) });
if (info.skipped) console.log(`store: ${root} (cached; generated in ${(info.elapsedMs / 1000).toFixed(1)} s)`);
console.log(`store: ${(info.bytes / 2 ** 20).toFixed(0)} MiB, ${info.files} files, ${info.lines} lines, ${info.longLines ?? '?'} long lines, ${info.rareLines} rare-token lines, ${info.start} … ${info.end}`);
const store = openStore(root);

const namespaces = readdirSync(join(root, 'pod')).sort();
const oneNs = namespaces.includes('shop') ? 'shop' : namespaces[0];
const hours = readdirSync(join(root, 'pod', oneNs)).sort();
const oneHour = hours[Math.floor(hours.length / 2)]; // YYYY-MM-DD_HH.log
const hourStart = `${oneHour.slice(0, 10)}T${oneHour.slice(11, 13)}:00:00Z`;
const hourEnd = `${oneHour.slice(0, 10)}T${oneHour.slice(11, 13)}:59:59.999999999Z`;

// ---- the queries: LetheQL, and ripgrep's equivalent (flags and pattern) -----------------------
// A row is `{ name, q, rg?, naive?, start?, end? }`: without `rg` ripgrep sits the row out, and
// `naive: false` skips the naive baseline (for queries it cannot read, such as metric ones).
const ALL = 'pod{namespace=~".*"}';
const QUERIES = [
  { name: 'rare literal', q: `${ALL} |= "RARE-7f3a"`, rg: ['-F', '-e', 'RARE-7f3a'] },
  { name: 'common literal', q: `${ALL} |= "GET"`, rg: ['-F', '-e', 'GET'] },
  { name: 'negated literal', q: `${ALL} != "GET"`, rg: ['-F', '-v', '-e', 'GET'] },
  { name: 'two literals', q: `${ALL} |= "GET" |= "/api/v1"`, rg: ['-e', 'GET.*/api/v1|/api/v1.*GET'] },
  { name: 'regex user/[0-9]+', q: `${ALL} |~ "user/[0-9]+"`, rg: ['-e', 'user/[0-9]+'] },
  { name: 'regex (GET|POST) /api/v[12]/', q: `${ALL} |~ "(GET|POST) /api/v[12]/"`, rg: ['-e', '(GET|POST) /api/v[12]/'] },
  { name: 'regex (?i)error', q: `${ALL} |~ "(?i)error"`, rg: ['-e', '(?i)error'] },
  { name: 'regex [A-Za-z]{30} (no literal)', q: `${ALL} |~ "[A-Za-z]{30}"`, rg: ['-e', '[A-Za-z]{30}'] },
  { name: 'hostile (a+)+$', q: `${ALL} |~ "(a+)+$"`, rg: ['-e', '(a+)+$'] },
  { name: 'hostile (x+x+)+y', q: `${ALL} |~ "(x+x+)+y"`, rg: ['-e', '(x+x+)+y'] },
  { name: 'one hour, one namespace', q: `pod{namespace="${oneNs}"} |= "error"`, start: hourStart, end: hourEnd, rg: ['-F', '-e', 'error'] },
];
const only = values.only?.toLowerCase();
const queries = only ? QUERIES.filter((s) => s.name.toLowerCase().includes(only)) : QUERIES;
if (queries.length === 0 && only !== 'metric') {
  console.error(`--only ${JSON.stringify(values.only)} matches no query; names: ${QUERIES.map((s) => s.name).join(', ')}`);
  process.exit(2);
}

// ---- contenders -----------------------------------------------------------------------------
/** Which engine letheql's plan filters with (see the header). */
function letheqlPath(plan) {
  const parts = plan.program.lineFilters.map((f) => (f.automaton ? f.automaton.engine : f.caseInsensitive ? 'fold' : 'lit'));
  return parts.length ? parts.join('+') : 'scan';
}

/** One `rg -c` over `files` (store-relative), per-file counts summed. */
function rgOnce(args, files) {
  return new Promise((resolve, reject) => {
    // --no-config: ignore RIPGREP_CONFIG_PATH; --no-ignore: bench/data is in .gitignore.
    const child = spawn('rg', ['--no-config', '--no-ignore', '-c', '-j2', '--with-filename', ...args, '--', ...files], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      // Exit status 1 means "no line matched"; 2 is an error.
      if (code !== 0 && code !== 1) return reject(new Error(`rg exited with ${code}: ${err.trim()}`));
      let count = 0;
      for (const line of out.split('\n')) if (line) count += Number(line.slice(line.lastIndexOf(':') + 1));
      resolve({ count });
    });
  });
}

/**
 * The naive baseline in a child process (bench/naive.mjs), killed when one run takes longer
 * than `capMs`. The child reports each run; the first is its warm-up.
 */
function runNaive(query, plan, rule) {
  return new Promise((resolve) => {
    const arg = JSON.stringify({ root, query, startNs: plan.window.startNs, endNs: plan.window.endNs, rule });
    const child = spawn(process.execPath, [fileURLToPath(new URL('./naive.mjs', import.meta.url)), arg], { stdio: ['ignore', 'pipe', 'pipe'] });
    const runs = [];
    let error = null;
    let timedOut = false;
    let buf = '';
    let err = '';
    let watchdog;
    const arm = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, capMs);
    };
    arm();
    child.stdout.setEncoding('utf8').on('data', (d) => {
      buf += d;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const msg = JSON.parse(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
        if (msg.error) error = msg.error;
        else runs.push(msg);
        arm();
      }
    });
    child.stderr.setEncoding('utf8').on('data', (d) => (err += d));
    child.on('close', (code) => {
      clearTimeout(watchdog);
      if (!timedOut && code !== 0 && !error) error = `exit ${code}: ${err.trim().split('\n').pop()}`;
      if (runs.length === 0) return resolve({ timedOut, error, samplesMs: [], counts: [] });
      const warmupOnly = runs.length === 1;
      const timed = warmupOnly ? runs : runs.slice(1);
      resolve({ timedOut, error, warmupOnly, samplesMs: timed.map((r) => r.ms), count: runs[0].count, counts: runs.map((r) => r.count) });
    });
  });
}

// ---- measure --------------------------------------------------------------------------------
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const summary = (m, mb) => (m.samplesMs.length ? { ...m, meanMs: mean(m.samplesMs), mbs: mb / (mean(m.samplesMs) / 1000), runs: m.samplesMs.length } : m);
const rows = [];
let failed = false;
for (const [i, s] of queries.entries()) {
  const opts = { start: s.start ?? info.start, end: s.end ?? info.end };
  const plan = await store.explain(s.q, opts);
  const bytes = plan.files.reduce((a, f) => a + f.size, 0);
  const mb = bytes / 1e6;
  const rule = { budgetMs, maxIterations, bytes, minBytes: MIN_BYTES };
  const row = { shape: s.name, query: s.q, how: letheqlPath(plan), files: plan.files.length, mb, notes: [] };
  process.stderr.write(`[${i + 1}/${queries.length}] ${s.name} (${mb.toFixed(0)} MB): letheql…`);

  const ours = summary(await measure(async () => ({ count: (await store.count(s.q, opts)).count }), rule), mb);
  row.letheql = ours;
  row.matches = ours.count;
  if (new Set(ours.counts).size > 1) {
    row.notes.push(`letheql counted differently across runs: ${ours.counts.join(', ')}`);
    failed = true;
  }

  if (rgVersion && s.rg) {
    process.stderr.write(' rg…');
    const files = plan.files.map((f) => f.path);
    row.rg = { args: s.rg, ...summary(await measure(() => rgOnce(s.rg, files), rule), mb) };
    if (row.rg.count !== ours.count) {
      row.notes.push(`ripgrep counts ${row.rg.count} lines (${row.rg.count > ours.count ? '+' : ''}${row.rg.count - ours.count}): it matches whole lines, timestamp and labels included`);
    }
  }

  if (!values['no-naive'] && s.naive !== false) {
    process.stderr.write(' naive…');
    const naive = summary(await runNaive(s.q, plan, rule), mb);
    row.naive = naive;
    if (naive.timedOut && naive.runs === undefined) row.notes.push(`naive baseline: killed after ${values.cap} s (JS RegExp backtracking)`);
    else if (naive.timedOut) row.notes.push(`naive baseline: a later run was killed after ${values.cap} s; ${naive.runs} run(s) kept`);
    if (naive.error) {
      row.notes.push(`naive baseline failed: ${naive.error}`);
      failed = true;
    } else if (naive.count !== undefined && new Set([...naive.counts, ours.count]).size > 1) {
      row.notes.push(`MISMATCH: letheql ${ours.count}, naive ${naive.counts.join('/')}`);
      console.error(`\nMISMATCH on ${s.name}: letheql ${ours.count}, naive ${naive.counts.join('/')}`);
      failed = true;
    }
  }
  process.stderr.write(' done\n');
  rows.push(row);
}

// ---- report ---------------------------------------------------------------------------------
const naiveMeanMs = (r) => (r.naive?.meanMs !== undefined ? r.naive.meanMs : r.naive?.timedOut ? capMs : undefined);
const speedup = (r, c) => {
  const n = naiveMeanMs(r);
  if (!c?.meanMs || n === undefined) return null;
  return { x: n / c.meanMs, atLeast: r.naive.meanMs === undefined };
};
for (const r of rows) {
  r.speedupLetheql = speedup(r, r.letheql);
  r.speedupRg = speedup(r, r.rg);
}
const fmtMBs = (c) => (c === undefined ? 'n/a' : c.meanMs !== undefined ? c.mbs.toFixed(0) : c.timedOut ? `>${values.cap}s (timed out)` : 'failed');
const fmtRuns = (c) => (c === undefined ? '-' : c.runs === undefined ? '0' : `${c.runs}${c.warmupOnly ? '*' : ''}`);
const fmtX = (s) => (s === null ? '' : `${s.atLeast ? '>' : ''}${s.x >= 10 ? s.x.toFixed(0) : s.x.toFixed(1)}×`);
const cols = [
  ['query', 32, (r) => r.shape, 'left'],
  ['letheql path', 17, (r) => r.how, 'left'],
  ['MB', 6, (r) => r.mb.toFixed(0)],
  ['matches', 9, (r) => String(r.matches)],
  ['letheql MB/s', 13, (r) => fmtMBs(r.letheql)],
  ...(rgVersion ? [['rg MB/s', 9, (r) => fmtMBs(r.rg)]] : []),
  ...(values['no-naive'] ? [] : [['naive MB/s', 18, (r) => fmtMBs(r.naive)]]),
  ['runs', 9, (r) => [r.letheql, ...(rgVersion ? [r.rg] : []), ...(values['no-naive'] ? [] : [r.naive])].map(fmtRuns).join('/')],
  ...(values['no-naive'] ? [] : [['letheql×', 9, (r) => fmtX(r.speedupLetheql)], ...(rgVersion ? [['rg×', 7, (r) => fmtX(r.speedupRg)]] : [])]),
];
const cell = ([, w, f, align], r) => (align === 'left' ? f(r).padEnd(w) : f(r).padStart(w));
console.log(`\nletheql bench — store ${(info.bytes / 2 ** 20).toFixed(0)} MiB (seed 1, ${info.generator}), ${machine.cores} × ${machine.cpu}, node ${machine.node}`);
console.log(cols.map(([h, w, , align]) => (align === 'left' ? h.padEnd(w) : h.padStart(w))).join(' '));
for (const r of rows) console.log(cols.map((c) => cell(c, r)).join(' '));
console.log(`\nruns: timed runs after one warm-up, letheql/${rgVersion ? 'rg/' : ''}naive; * = the warm-up run was the only sample (it took ≥ half the ${values.budget} s budget). ×: speedup over the naive baseline (> when it timed out).`);
if (rgVersion) console.log('ripgrep equivalents: literals with -F; != with -v; two literals as `GET.*/api/v1|/api/v1.*GET`; regexes as written.');
for (const r of rows) for (const n of r.notes) console.log(`note: ${r.shape}: ${n}`);
// Metric query (issue 4) beside the equivalent count of lines: the evaluator folds kernel
// matches into per-series buckets, so it should cost about what --count costs.
const metricRows = [];
if (!values['no-metric'] && (!only || only === 'metric')) {
  const window = { start: info.start, end: info.end };
  const cases = [
    { name: 'sum by (namespace) (count_over_time(… |= "error" [1m])), step 1m', run: async () => ({ count: (await store.queryMetric('sum by (namespace) (count_over_time(pod{namespace=~".+"} |= "error" [1m]))', { ...window, step: '1m' })).result.series.length }) },
    { name: 'the same lines as a --count log query', run: async () => ({ count: (await store.count('pod{namespace=~".+"} |= "error"', window)).count }) },
    // Pipelines: the kernel keeps lines with "latency_ms", then | json parses each of them in JS.
    { name: 'quantile_over_time(0.99, … | json | unwrap latency_ms [1m]) by (namespace), step 1m', run: async () => ({ count: (await store.queryMetric('quantile_over_time(0.99, pod{namespace=~".+"} |= "latency_ms" | json | __error__="" | unwrap latency_ms [1m]) by (namespace)', { ...window, step: '1m' })).result.series.length }) },
    { name: 'sum by (level) (count_over_time(… | json | latency_ms > 2000 [1m])), step 1m', run: async () => ({ count: (await store.queryMetric('sum by (level) (count_over_time(pod{namespace=~".+"} |= "latency_ms" | json | __error__="" | latency_ms > 2000 [1m]))', { ...window, step: '1m' })).result.series.length }) },
    { name: '--count … |= "latency_ms" | json | latency_ms > 2000 (log query)', run: async () => ({ count: (await store.count('pod{namespace=~".+"} |= "latency_ms" | json | __error__="" | latency_ms > 2000', window)).count }) },
    { name: '--count … |= "latency_ms" (the kernel alone, same lines)', run: async () => ({ count: (await store.count('pod{namespace=~".+"} |= "latency_ms"', window)).count }) },
  ];
  const bytes = (await store.explain('pod{namespace=~".+"} |= "error"', window)).files.reduce((a, f) => a + f.size, 0);
  for (const c of cases) {
    const m = await measure(c.run, { budgetMs, maxIterations, bytes, minBytes: MIN_BYTES });
    const meanMs = m.samplesMs.reduce((a, b) => a + b, 0) / m.samplesMs.length;
    metricRows.push({ name: c.name, meanMs, mbs: bytes / 1e6 / (meanMs / 1000), runs: m.samplesMs.length, result: m.count });
  }
  console.log(`\nmetric query vs line count (${(bytes / 1e6).toFixed(0)} MB read each)`);
  for (const r of metricRows) console.log(`${r.name.padEnd(84)}${r.meanMs.toFixed(0).padStart(7)} ms${r.mbs.toFixed(0).padStart(7)} MB/s${String(r.runs).padStart(4)} runs`);
  if (metricRows.length >= 2) console.log(`ratio: ${(metricRows[0].meanMs / metricRows[1].meanMs).toFixed(2)}× the time of the count (issue 4 target: ≤ 1.5×)`);
}

const appendRows = values['no-append'] ? [] : await appendBench({ budgetMs, iterations: maxIterations });
if (appendRows.length) printAppendRows(appendRows);
machine.loadavgEnd = os.loadavg().map((x) => Number(x.toFixed(2)));

if (values.json) {
  mkdirSync(dirname(values.json), { recursive: true });
  const out = rows.map((r) => ({
    ...r,
    // Flat fields of the earlier format, kept for old readers.
    letheqlMBs: r.letheql?.mbs,
    rgMBs: r.rg?.mbs ?? null,
    naiveMBs: r.naive?.mbs ?? null,
    speedup: r.speedupLetheql?.x ?? null,
  }));
  writeFileSync(values.json, JSON.stringify({ date: new Date().toISOString(), node: process.version, cpus: machine.cores, cpu: machine.cpu, machine, distBuilt, storeBytes: info.bytes, store: { ...info, out: undefined }, settings: { iterations: maxIterations, budgetS: Number(values.budget), capS: Number(values.cap) }, rows: out, metric: metricRows, append: appendRows }, null, 2));
  console.log(`wrote ${values.json}`);
}
// A store may own worker threads (newer APIs have `close()`); without closing them Node would not exit.
await store.close?.();
process.exitCode = failed ? 1 : 0;

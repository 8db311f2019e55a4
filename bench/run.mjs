#!/usr/bin/env node
// `npm run bench`: letheql beside ripgrep, `cat` and a naive JS baseline, in one run, two tables.
//
// It generates (once; cached under bench/data, not committed) a seeded store of realistic
// Kubernetes logs, 1 GiB by default (`--size 4GiB` for the targets of issue 13; see
// scripts/lib/generate.mjs for the mix and bench/README.md for how to read the tables), then for
// each query counts the matching lines with every contender available:
// - **whole process** (the first table): `node bin/letheql.js query --count --store DIR
//   --start … --end … QUERY` as a child process, start-up included, as a user runs it;
//   beside it `rg -c -j2` over the same files and `cat` of the same files to /dev/null (what
//   reading the bytes costs at all). The figure is the median wall clock of the runs; MB/s =
//   bytes of the files the query has to read / that median; `lq/rg` is letheql's time over
//   ripgrep's. Peak RSS of each letheql process comes from `/usr/bin/time -f %M` when there
//   is one, else from `process.resourceUsage().maxRSS` printed by a preload (bench/rss-hook.mjs);
// - **in process** (the second table): `openStore(root).count(query, { start, end })` through
//   the public API, ripgrep again, and the naive baseline (bench/naive.mjs: read, split,
//   parse, `includes`/`RegExp` per line), mean of the runs. The naive baseline runs in a child
//   process killed after --cap seconds, because JS `RegExp` backtracks and takes exponential
//   time on the hostile patterns; a killed run prints as `>30s (timed out)`. letheql and the
//   naive baseline must agree on every count they both finish: a mismatch makes the exit
//   code 1, and so does a whole-process count that differs from the in-process one.
// ripgrep (`rg -c -j2` over the files the query plan reads, per-file counts summed; a second
// `rg -c` reading the first one's output where a query needs "this and not that") matches
// whole lines, timestamp and labels included, where LetheQL filters see the message only; the
// patterns here are written so that the counts should agree, and a difference is printed as
// a note, not a failure. Two literals (`|= "GET" |= "/api/v1"`: both, anywhere, either order)
// become the regex `GET.*/api/v1|/api/v1.*GET`; a negated literal becomes `rg -v`; a label
// matcher becomes a regex over the `[namespace|pod|container]` part of the line.
// Then: a cold-start row (`letheql query --count` over an empty window beside `node -e 0`),
// the `| regexp` ratio (a count with the stage over the same count without it), a "with
// sidecars" row when this build has `letheql index` (it indexes the store, re-runs a few
// queries, and deletes the sidecars again), the metric queries and the append benchmark.
// How many runs each contender gets is one shared rule (bench/measure.mjs): a warm-up run,
// then as many timed runs as fit --budget seconds (at most --iterations); a contender whose
// warm-up took half the budget or more is measured by that one run (`1*`).
// letheql's column `path` says what the WASM kernel runs per line, from the query plan, in
// order: `lit` (literal search), `fold` (ASCII case-insensitive literal search), `dfa` or
// `pike` (a regex automaton), joined by `+` (`lit+dfa`: a required-literal prefilter, then
// the DFA on the lines that have it); `+stages` when a pipeline runs after the kernel.
//
// Usage: node bench/run.mjs [--size 1GiB] [--iterations 5] [--only <substring>]
//          [--budget 10] [--cap 30] [--no-rg] [--no-naive] [--no-inprocess] [--no-process]
//          [--no-metric] [--no-append] [--json bench/results/x.json]
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import os from 'node:os';
import { generateStore, parseSize } from '../scripts/lib/generate.mjs';
import { ALL, POD_QUERIES } from './queries.mjs';
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
    'no-inprocess': { type: 'boolean', default: false },
    'no-process': { type: 'boolean', default: false },
    json: { type: 'string' },
  },
});
const maxIterations = Number(values.iterations);
const budgetMs = Number(values.budget) * 1000;
const capMs = Number(values.cap) * 1000;
/** Small inputs get more runs, so that each figure rests on at least this much scanning. */
const MIN_BYTES = 200e6;
const inProcess = !values['no-inprocess'];
const wholeProcess = !values['no-process'];

// ---- machine and tools --------------------------------------------------------------------
const rgVersion = values['no-rg'] ? null : toolVersion('rg', ['--version']);
const catVersion = toolVersion('cat', ['--version']);
const distBuilt = statSync(new URL('../dist/node.js', import.meta.url)).mtime.toISOString();
const CLI = fileURLToPath(new URL('../bin/letheql.js', import.meta.url));
const RSS_HOOK = fileURLToPath(new URL('./rss-hook.mjs', import.meta.url));
/** GNU time, for the peak RSS of a child (`%M`, KiB); without it the preload reports it. */
const gnuTime = existsSync('/usr/bin/time') && spawnSync('/usr/bin/time', ['-f', '%M', 'true'], { encoding: 'utf8' }).status === 0 ? '/usr/bin/time' : null;
const machine = {
  cpu: os.cpus()[0]?.model ?? 'cpu',
  cores: os.cpus().length,
  memGiB: Math.round(os.totalmem() / 2 ** 30),
  os: `${os.type()} ${os.release()} ${os.arch()}`,
  node: process.version,
  ripgrep: rgVersion,
  cat: catVersion,
  rss: gnuTime ? '/usr/bin/time -f %M' : 'process.resourceUsage().maxRSS (bench/rss-hook.mjs)',
  loadavg: os.loadavg().map((x) => Number(x.toFixed(2))),
};
console.log(`machine: ${machine.cores} × ${machine.cpu}, ${machine.memGiB} GiB, ${machine.os}, node ${machine.node}, load ${machine.loadavg.join(' ')}`);
console.log(`contenders: letheql (dist/ built ${distBuilt}${wholeProcess ? '; whole process via bin/letheql.js' : ''}${inProcess ? '; in process via openStore' : ''})${rgVersion ? `, ${rgVersion} (rg -c -j2)` : values['no-rg'] ? '' : ', ripgrep not on PATH (skipped; apt-get install ripgrep)'}${wholeProcess && catVersion ? `, ${catVersion}` : ''}${values['no-naive'] || !inProcess ? '' : `, naive JS baseline (cap ${values.cap}s)`}`);

function toolVersion(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.split('\n')[0].trim() : null;
}

// ---- the store ------------------------------------------------------------------------------
const root = fileURLToPath(new URL(`./data/store-${values.size}`, import.meta.url));
const info = await generateStore({ out: root, sizeBytes: parseSize(values.size), seed: 1, log: (m) => console.log(m) });
if (info.skipped) console.log(`store: ${root} (cached; generated in ${(info.elapsedMs / 1000).toFixed(1)} s)`);
console.log(`store: ${(info.bytes / 2 ** 20).toFixed(0)} MiB, ${info.files} files, ${info.lines} lines, ${info.longLines ?? '?'} long lines, ${info.rareLines} rare-token lines, ${info.start} … ${info.end}`);
// Sidecar indexes left by an earlier run would speed up the rows measured "without" them.
const sidecarDir = join(root, '.letheql', 'index');
if (existsSync(sidecarDir)) {
  console.log(`store: removing sidecar indexes left in ${sidecarDir} (the rows are measured without them)`);
  rmSync(sidecarDir, { recursive: true, force: true });
}
const store = openStore(root);

const namespaces = readdirSync(join(root, 'pod')).sort();
const oneNs = namespaces.includes('shop') ? 'shop' : namespaces[0];
const hours = readdirSync(join(root, 'pod', oneNs)).sort();
const oneHour = hours[Math.floor(hours.length / 2)]; // YYYY-MM-DD_HH.log
const hourStart = `${oneHour.slice(0, 10)}T${oneHour.slice(11, 13)}:00:00Z`;
const hourEnd = `${oneHour.slice(0, 10)}T${oneHour.slice(11, 13)}:59:59.999999999Z`;
const accessNs = namespaces.includes('ingress-nginx') ? 'ingress-nginx' : oneNs;

// ---- the queries: LetheQL, and ripgrep's equivalent -----------------------------------------
// A row is `{ name, q, rg?, naive?, start?, end? }`. `rg` is the argument list of one
// `rg -c`, or `{ pipe: [first, second] }`: `rg --no-filename -N first FILES | rg -c second`
// (for "this and not that"). Without `rg` ripgrep sits the row out, and `naive: false` skips
// the naive baseline (it reads `pod{namespace…}` with line filters, nothing more).
// `pair: 'name'` marks a row as the same count as row `name` plus pipeline stages: the
// report prints the ratio of the two.
const REGEXP_STAGE = '| regexp "(?P<method>[A-Z]+) (?P<path>\\\\S+) HTTP"';
/** ripgrep's view of a pod line's labels: `[namespace|pod|container] `. */
const podLabels = (ns, pod) => `^\\S+\\[${ns}\\|${pod}\\|[^\\]]*\\] `;
const QUERIES = [
  ...POD_QUERIES,
  {
    name: 'node: process + regex + !~',
    q: 'node{node=~".+", process="kubelet"} |~ "^[EW][0-9]{4} " !~ "reflector\\\\.go"',
    rg: { pipe: [['-e', '^\\S+\\[[^|]+\\|kubelet\\] [EW][0-9]{4} '], ['-v', '-F', '-e', 'reflector.go']] },
    naive: false,
  },
  {
    name: 'one hour, one ns, pod regex (1 file)',
    q: `pod{namespace="${oneNs}", pod=~"api-.+"} |= "error"`,
    start: hourStart,
    end: hourEnd,
    rg: ['-e', `${podLabels(oneNs, 'api-[^|]+')}.*error`],
    naive: false,
  },
  { name: `${accessNs} |= "HTTP"`, q: `pod{namespace="${accessNs}"} |= "HTTP"`, rg: ['-F', '-e', 'HTTP'] },
  // A count reads none of the stage's labels (so the stage may skip its work); a label filter on one makes it extract.
  { name: `${accessNs} |= "HTTP" | regexp`, q: `pod{namespace="${accessNs}"} |= "HTTP" ${REGEXP_STAGE}`, rg: ['-F', '-e', 'HTTP'], naive: false, pair: `${accessNs} |= "HTTP"` },
  { name: `${accessNs} … | regexp | method!=""`, q: `pod{namespace="${accessNs}"} |= "HTTP" ${REGEXP_STAGE} | method != ""`, rg: ['-F', '-e', 'HTTP'], naive: false, pair: `${accessNs} |= "HTTP"` },
];
/** Rows re-run whole-process after `letheql index` (when the build has it). */
const SIDECAR_ROWS = ['rare literal (one trace id)', 'Korean literal 결제 실패', 'one hour, one ns, pod regex (1 file)'];
const only = values.only?.toLowerCase();
const queries = only ? QUERIES.filter((s) => s.name.toLowerCase().includes(only)) : QUERIES;
if (queries.length === 0 && only !== 'metric' && only !== 'cold') {
  console.error(`--only ${JSON.stringify(values.only)} matches no query; names: ${QUERIES.map((s) => s.name).join(', ')}, metric, cold`);
  process.exit(2);
}

// ---- contenders -----------------------------------------------------------------------------
/** Which engine letheql's plan filters with (see the header). */
function letheqlPath(plan) {
  const parts = plan.program.lineFilters.map((f) => (f.automaton ? f.automaton.engine : f.caseInsensitive ? 'fold' : 'lit'));
  return (parts.length ? parts.join('+') : 'scan') + (plan.pipeline ? '+stages' : '');
}

/** Runs `cmd args` (cwd: the store) to completion: stdout, stderr, exit code. */
function run(cmd, args, { stdout = 'pipe', stdin = 'ignore' } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: root, stdio: [stdin, stdout, 'pipe'] });
    let out = '';
    let err = '';
    child.stdout?.setEncoding('utf8').on('data', (d) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ out, err, code: code ?? signal }));
  });
}

// --no-config: ignore RIPGREP_CONFIG_PATH; --no-ignore: bench/data is in .gitignore.
const RG = ['--no-config', '--no-ignore', '-j2'];

/**
 * One ripgrep count over `files` (store-relative): `rg -c` with per-file counts summed, or,
 * for `{ pipe: [first, second] }`, `rg -N --no-filename first FILES | rg -c second` in a
 * shell (both processes timed, as a user's pipeline would be).
 */
async function rgOnce(spec, files) {
  if (Array.isArray(spec)) {
    const r = await run('rg', [...RG, '-c', '--with-filename', ...spec, '--', ...files]);
    // Exit status 1 means "no line matched"; 2 is an error.
    if (r.code !== 0 && r.code !== 1) throw new Error(`rg exited with ${r.code}: ${r.err.trim()}`);
    let count = 0;
    for (const line of r.out.split('\n')) if (line) count += Number(line.slice(line.lastIndexOf(':') + 1));
    return { count };
  }
  const q = (xs) => xs.map((x) => `'${x.replaceAll("'", "'\\''")}'`).join(' ');
  const [first, second] = spec.pipe;
  const script = `rg ${q(RG)} -N --no-filename ${q(first)} -- ${q(files)} | rg ${q(RG)} -c ${q(second)}`;
  const r = await run('sh', ['-c', script]);
  if (r.code !== 0 && r.code !== 1) throw new Error(`rg pipeline exited with ${r.code}: ${r.err.trim()}`);
  return { count: Number(r.out.trim() || 0) };
}

/** `cat FILES > /dev/null`: what reading the bytes costs, and nothing else. */
async function catOnce(files) {
  const r = await run('cat', ['--', ...files], { stdout: 'ignore' });
  if (r.code !== 0) throw new Error(`cat exited with ${r.code}: ${r.err.trim()}`);
  return { count: null };
}

/** The argument list of a whole-process letheql command, wrapped to report its peak RSS. */
function letheqlCommand(args) {
  const node = [process.execPath, ...(gnuTime ? [] : ['--import', RSS_HOOK]), CLI, ...args];
  return gnuTime ? { cmd: gnuTime, args: ['-f', 'LETHEQL_BENCH_MAXRSS_KIB %M', ...node] } : { cmd: node[0], args: node.slice(1) };
}

/** Peak RSS in KiB from the child's stderr (GNU time's line, or the preload's). */
function maxRssKiB(stderr) {
  const m = /LETHEQL_BENCH_MAXRSS_KIB (\d+)/.exec(stderr);
  return m ? Number(m[1]) : null;
}

/** One `letheql query --count` as a child process: the count it prints and its peak RSS. */
async function letheqlProcessOnce(query, start, end) {
  const { cmd, args } = letheqlCommand(['query', '--count', '--store', root, '--start', start, '--end', end, query]);
  const r = await run(cmd, args);
  if (r.code !== 0) throw new Error(`letheql exited with ${r.code}: ${r.err.trim().split('\n').slice(-3).join(' / ')}`);
  return { count: Number(r.out.trim()), rssKiB: maxRssKiB(r.err) };
}

/** `measure` over a child process, keeping the largest peak RSS any run reported. */
async function measureProcess(once, rule) {
  let rssKiB = null;
  const m = await measure(async () => {
    const r = await once();
    if (r.rssKiB !== undefined && r.rssKiB !== null) rssKiB = Math.max(rssKiB ?? 0, r.rssKiB);
    return r;
  }, rule);
  return { ...m, rssKiB };
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
const median = (xs) => {
  const v = [...xs].sort((a, b) => a - b);
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};
/** Mean (in-process table) and median (whole-process table) of a contender's runs, with MB/s of each. */
const summary = (m, mb) =>
  m.samplesMs.length
    ? { ...m, meanMs: mean(m.samplesMs), mbs: mb / (mean(m.samplesMs) / 1000), medianMs: median(m.samplesMs), mbsMedian: mb / (median(m.samplesMs) / 1000), runs: m.samplesMs.length }
    : m;
const rows = [];
let failed = false;
for (const [i, s] of queries.entries()) {
  const opts = { start: s.start ?? info.start, end: s.end ?? info.end };
  const plan = await store.explain(s.q, opts);
  const bytes = plan.files.reduce((a, f) => a + f.size, 0);
  const files = plan.files.map((f) => f.path);
  const mb = bytes / 1e6;
  const rule = { budgetMs, maxIterations, bytes, minBytes: MIN_BYTES };
  const row = { shape: s.name, query: s.q, start: opts.start, end: opts.end, how: letheqlPath(plan), files: plan.files.length, mb, pair: s.pair, notes: [] };
  process.stderr.write(`[${i + 1}/${queries.length}] ${s.name} (${mb.toFixed(0)} MB):`);
  const counted = (who, m) => {
    if (m.counts && new Set(m.counts).size > 1) {
      row.notes.push(`${who} counted differently across runs: ${m.counts.join(', ')}`);
      failed = true;
    }
    if (row.matches === undefined) row.matches = m.count;
    else if (m.count !== row.matches) {
      row.notes.push(`MISMATCH: ${who} counts ${m.count}, letheql ${row.matches}`);
      failed = true;
    }
  };

  if (wholeProcess) {
    process.stderr.write(' letheql (process)…');
    try {
      row.proc = summary(await measureProcess(() => letheqlProcessOnce(s.q, opts.start, opts.end), rule), mb);
      counted('letheql (process)', row.proc);
    } catch (e) {
      row.notes.push(`letheql (process) failed: ${e.message}`);
      failed = true;
    }
    if (catVersion) {
      process.stderr.write(' cat…');
      row.cat = summary(await measure(() => catOnce(files), rule), mb);
    }
  }
  if (inProcess) {
    process.stderr.write(' letheql (in process)…');
    row.letheql = summary(await measure(async () => ({ count: (await store.count(s.q, opts)).count }), rule), mb);
    counted('letheql (in process)', row.letheql);
  }

  if (rgVersion && s.rg) {
    process.stderr.write(' rg…');
    row.rg = { args: s.rg, ...summary(await measure(() => rgOnce(s.rg, files), rule), mb) };
    if (row.rg.count !== row.matches) {
      row.notes.push(`ripgrep counts ${row.rg.count} lines (${row.rg.count > row.matches ? '+' : ''}${row.rg.count - row.matches}): it matches whole lines, timestamp and labels included`);
    }
  }

  if (inProcess && !values['no-naive'] && s.naive !== false) {
    process.stderr.write(' naive…');
    const naive = summary(await runNaive(s.q, plan, rule), mb);
    row.naive = naive;
    if (naive.timedOut && naive.runs === undefined) row.notes.push(`naive baseline: killed after ${values.cap} s${s.name.startsWith('hostile') ? ' (JS RegExp backtracking)' : ' (its cap)'}`);
    else if (naive.timedOut) row.notes.push(`naive baseline: a later run was killed after ${values.cap} s; ${naive.runs} run(s) kept`);
    if (naive.error) {
      row.notes.push(`naive baseline failed: ${naive.error}`);
      failed = true;
    } else if (naive.count !== undefined && new Set([...naive.counts, row.matches]).size > 1) {
      row.notes.push(`MISMATCH: letheql ${row.matches}, naive ${naive.counts.join('/')}`);
      console.error(`\nMISMATCH on ${s.name}: letheql ${row.matches}, naive ${naive.counts.join('/')}`);
      failed = true;
    }
  }
  process.stderr.write(' done\n');
  rows.push(row);
}

// Cold start: the whole-process floor. An empty window reads no file, so this is Node's
// start-up, loading the CLI, planning and printing `0`; `node -e 0` is Node's alone.
let coldStart = null;
if (wholeProcess && (!only || only === 'cold')) {
  process.stderr.write('cold start: letheql…');
  const rule = { budgetMs, maxIterations: Math.max(maxIterations, 10), bytes: MIN_BYTES, minBytes: MIN_BYTES };
  const empty = { query: `pod{namespace="${oneNs}"}`, start: '2000-01-01T00:00:00Z', end: '2000-01-01T00:00:01Z' };
  const lq = summary(await measureProcess(() => letheqlProcessOnce(empty.query, empty.start, empty.end), rule), 0);
  process.stderr.write(' node -e 0…');
  const bare = summary(await measureProcess(async () => {
    const { cmd, args } = gnuTime ? { cmd: gnuTime, args: ['-f', 'LETHEQL_BENCH_MAXRSS_KIB %M', process.execPath, '-e', '0'] } : { cmd: process.execPath, args: ['--import', RSS_HOOK, '-e', '0'] };
    const r = await run(cmd, args);
    return { count: 0, rssKiB: maxRssKiB(r.err) };
  }, rule), 0);
  process.stderr.write(' done\n');
  coldStart = { ...empty, letheql: lq, node: bare, ratio: lq.medianMs / bare.medianMs };
  if (lq.count !== 0) {
    console.error(`cold start: letheql counted ${lq.count} lines in an empty window`);
    failed = true;
  }
}

// With sidecars: only when this build has `letheql index` (another branch adds it). The
// store is indexed, a few rows run again whole-process, and the sidecars are deleted, so
// that the next run measures the store as generated.
const sidecarRows = [];
let sidecarNote = null;
if (wholeProcess && rows.some((r) => SIDECAR_ROWS.includes(r.shape))) {
  const help = spawnSync(process.execPath, [CLI, 'index', '--help'], { encoding: 'utf8' });
  if (help.status !== 0 || !/letheql index\b/.test(help.stdout + help.stderr)) {
    sidecarNote = 'with sidecars: skipped (this build has no `letheql index`)';
  } else {
    process.stderr.write('sidecars: letheql index…');
    const t = performance.now();
    const r = await run(process.execPath, [CLI, 'index', '--store', root]);
    const indexMs = performance.now() - t;
    if (r.code !== 0) {
      sidecarNote = `with sidecars: \`letheql index\` failed (${r.code}): ${r.err.trim().split('\n').pop()}`;
      failed = true;
    } else {
      sidecarNote = `with sidecars: \`letheql index --store\` took ${(indexMs / 1000).toFixed(1)} s over ${(info.bytes / 1e6).toFixed(0)} MB`;
      for (const base of rows.filter((x) => SIDECAR_ROWS.includes(x.shape))) {
        process.stderr.write(` ${base.shape}…`);
        const rule = { budgetMs, maxIterations, bytes: base.mb * 1e6, minBytes: MIN_BYTES };
        const m = summary(await measureProcess(() => letheqlProcessOnce(base.query, base.start, base.end), rule), base.mb);
        const row = { shape: `${base.shape} (with sidecars)`, base: base.shape, mb: base.mb, matches: m.count, proc: m, rg: base.rg, cat: base.cat, how: base.how, notes: [] };
        if (m.count !== base.matches) {
          row.notes.push(`MISMATCH: ${m.count} lines with sidecars, ${base.matches} without (sidecars must never change a result)`);
          failed = true;
        }
        sidecarRows.push(row);
      }
      process.stderr.write(' done\n');
    }
    rmSync(sidecarDir, { recursive: true, force: true });
  }
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
  if (r.proc?.medianMs && r.rg?.medianMs) r.letheqlOverRg = r.proc.medianMs / r.rg.medianMs;
}
for (const r of sidecarRows) if (r.proc?.medianMs && r.rg?.medianMs) r.letheqlOverRg = r.proc.medianMs / r.rg.medianMs;
const fmtMBs = (c) => (c === undefined ? 'n/a' : c.meanMs !== undefined ? c.mbs.toFixed(0) : c.timedOut ? `>${values.cap}s (timed out)` : 'failed');
const fmtMs = (c) => (c?.medianMs === undefined ? 'n/a' : c.medianMs >= 100 ? c.medianMs.toFixed(0) : c.medianMs.toFixed(1));
const fmtMBsMedian = (c) => (c?.mbsMedian === undefined ? 'n/a' : c.mbsMedian.toFixed(0));
const fmtRuns = (c) => (c === undefined ? '-' : c.runs === undefined ? '0' : `${c.runs}${c.warmupOnly ? '*' : ''}`);
const fmtX = (s) => (s === null ? '' : `${s.atLeast ? '>' : ''}${s.x >= 10 ? s.x.toFixed(0) : s.x.toFixed(1)}×`);
const fmtRatio = (x) => (x === undefined ? '' : `${x >= 10 ? x.toFixed(0) : x.toFixed(2)}`);
const fmtRss = (c) => (c?.rssKiB ? (c.rssKiB / 1024).toFixed(0) : 'n/a');
/** Terminal columns of `s`: Hangul, CJK and full-width forms take two. */
const displayWidth = (s) => [...s].reduce((w, ch) => w + (/[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/.test(ch) ? 2 : 1), 0);
const pad = (s, w, left) => (left ? s + ' '.repeat(Math.max(0, w - displayWidth(s))) : ' '.repeat(Math.max(0, w - displayWidth(s))) + s);
const cell = ([, w, f, align], r) => pad(f(r), w, align === 'left');
const printTable = (cols, list) => {
  console.log(cols.map(([h, w, , align]) => pad(h, w, align === 'left')).join(' '));
  for (const r of list) console.log(cols.map((c) => cell(c, r)).join(' '));
};
const storeLine = `store ${(info.bytes / 2 ** 20).toFixed(0)} MiB (seed 1, ${info.generator}), ${machine.cores} × ${machine.cpu}, node ${machine.node}, load at start ${machine.loadavg.join(' ')}`;

if (wholeProcess) {
  console.log(`\nletheql bench, whole process (start-up included; median wall clock) — ${storeLine}`);
  printTable(
    [
      ['query', 38, (r) => r.shape, 'left'],
      ['letheql path', 16, (r) => r.how, 'left'],
      ['MB', 6, (r) => r.mb.toFixed(0)],
      ['matches', 9, (r) => String(r.matches ?? '?')],
      ['letheql ms', 11, (r) => fmtMs(r.proc)],
      ['MB/s', 6, (r) => fmtMBsMedian(r.proc)],
      ['RSS MiB', 8, (r) => fmtRss(r.proc)],
      ...(rgVersion ? [['rg ms', 8, (r) => fmtMs(r.rg)], ['rg MB/s', 8, (r) => fmtMBsMedian(r.rg)]] : []),
      ...(catVersion ? [['cat MB/s', 9, (r) => fmtMBsMedian(r.cat)]] : []),
      ...(rgVersion ? [['lq/rg', 6, (r) => fmtRatio(r.letheqlOverRg)]] : []),
      ['runs', 9, (r) => [r.proc, ...(rgVersion ? [r.rg] : []), ...(catVersion ? [r.cat] : [])].map(fmtRuns).join('/')],
    ],
    [...rows, ...sidecarRows],
  );
  console.log(`runs: letheql/${rgVersion ? 'rg/' : ''}${catVersion ? 'cat' : ''}, timed runs after one warm-up (* = the warm-up was the only sample). lq/rg: letheql's median time over ripgrep's (below 1: letheql is faster). RSS: peak of any letheql run (${machine.rss}).`);
  if (sidecarNote) console.log(sidecarNote);
  if (coldStart) {
    console.log(`cold start: \`letheql query --count\` over an empty window ${fmtMs(coldStart.letheql)} ms (RSS ${fmtRss(coldStart.letheql)} MiB), \`node -e 0\` ${fmtMs(coldStart.node)} ms (RSS ${fmtRss(coldStart.node)} MiB): ${coldStart.ratio.toFixed(2)}× (${coldStart.letheql.runs}/${coldStart.node.runs} runs)`);
  }
}
if (inProcess) {
  console.log(`\nletheql bench, in process (openStore().count(); mean) — ${storeLine}`);
  printTable(
    [
      ['query', 38, (r) => r.shape, 'left'],
      ['MB', 6, (r) => r.mb.toFixed(0)],
      ['letheql MB/s', 13, (r) => fmtMBs(r.letheql)],
      ...(rgVersion ? [['rg MB/s', 9, (r) => fmtMBs(r.rg)]] : []),
      ...(values['no-naive'] ? [] : [['naive MB/s', 18, (r) => (r.naive ? fmtMBs(r.naive) : '-')]]),
      ['runs', 9, (r) => [r.letheql, ...(rgVersion ? [r.rg] : []), ...(values['no-naive'] ? [] : [r.naive])].map(fmtRuns).join('/')],
      ...(values['no-naive'] ? [] : [['letheql×', 9, (r) => fmtX(r.speedupLetheql)], ...(rgVersion ? [['rg×', 7, (r) => fmtX(r.speedupRg)]] : [])]),
    ],
    rows,
  );
  console.log(`runs: timed runs after one warm-up, letheql/${rgVersion ? 'rg/' : ''}naive; * = the warm-up run was the only sample (it took ≥ half the ${values.budget} s budget). ×: speedup over the naive baseline (> when it timed out; - : the naive baseline cannot read that query).`);
}
// Pipeline stages over the same lines: `| regexp` beside the count without it (issue 13 §4: ≤ 2×).
const pairs = [];
for (const r of rows) {
  const base = r.pair && rows.find((x) => x.shape === r.pair);
  if (!base) continue;
  const p = { with: r.shape, without: base.shape };
  if (r.proc?.medianMs && base.proc?.medianMs) p.process = r.proc.medianMs / base.proc.medianMs;
  if (r.letheql?.meanMs && base.letheql?.meanMs) p.inProcess = r.letheql.meanMs / base.letheql.meanMs;
  pairs.push(p);
  console.log(`\nstages: "${r.shape}" takes ${p.process ? `${p.process.toFixed(2)}× (whole process)` : ''}${p.process && p.inProcess ? ', ' : ''}${p.inProcess ? `${p.inProcess.toFixed(2)}× (in process)` : ''} the time of "${base.shape}" (issue 13 §4 target: ≤ 2×)`);
}
if (rgVersion) console.log('\nripgrep equivalents: literals with -F; != with -v; two literals as `GET.*/api/v1|/api/v1.*GET`; label matchers as a regex over `[namespace|pod|container]`; "this and not that" as `rg … | rg -c -v …`; regexes as written.');
for (const r of [...rows, ...sidecarRows]) for (const n of r.notes) console.log(`note: ${r.shape}: ${n}`);
// Metric query (issue 4) beside the equivalent count of lines: the evaluator folds kernel
// matches into per-series buckets, so it should cost about what --count costs.
const metricRows = [];
if (inProcess && !values['no-metric'] && (!only || only === 'metric')) {
  const window = { start: info.start, end: info.end };
  // One-minute steps, unless the store spans more minutes than a series may have points
  // (11,000: the 4 GiB store spans 14 days); the scan is the same either way.
  const minutes = Math.ceil((new Date(info.end).getTime() - new Date(info.start).getTime()) / 60000);
  const step = `${Math.max(1, Math.ceil(minutes / 10000))}m`;
  const cases = [
    { name: `sum by (namespace) (count_over_time(… |= "error" [1m])), step ${step}`, run: async () => ({ count: (await store.queryMetric('sum by (namespace) (count_over_time(pod{namespace=~".+"} |= "error" [1m]))', { ...window, step })).result.series.length }) },
    { name: 'the same lines as a --count log query', run: async () => ({ count: (await store.count('pod{namespace=~".+"} |= "error"', window)).count }) },
    // Pipelines: the kernel keeps lines with "latency_ms", then | json parses each of them in JS.
    { name: `quantile_over_time(0.99, … | json | unwrap latency_ms [1m]) by (namespace), step ${step}`, run: async () => ({ count: (await store.queryMetric('quantile_over_time(0.99, pod{namespace=~".+"} |= "latency_ms" | json | __error__="" | unwrap latency_ms [1m]) by (namespace)', { ...window, step })).result.series.length }) },
    { name: `sum by (level) (count_over_time(… | json | latency_ms > 2000 [1m])), step ${step}`, run: async () => ({ count: (await store.queryMetric('sum by (level) (count_over_time(pod{namespace=~".+"} |= "latency_ms" | json | __error__="" | latency_ms > 2000 [1m]))', { ...window, step })).result.series.length }) },
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
  writeFileSync(values.json, JSON.stringify({ date: new Date().toISOString(), node: process.version, cpus: machine.cores, cpu: machine.cpu, machine, distBuilt, storeBytes: info.bytes, store: { ...info, out: undefined }, settings: { iterations: maxIterations, budgetS: Number(values.budget), capS: Number(values.cap) }, rows: out, sidecars: { note: sidecarNote, rows: sidecarRows }, coldStart, stages: pairs, metric: metricRows, append: appendRows }, null, 2));
  console.log(`wrote ${values.json}`);
}
// A store may own worker threads (newer APIs have `close()`); without closing them Node would not exit.
await store.close?.();
process.exitCode = failed ? 1 : 0;

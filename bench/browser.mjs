#!/usr/bin/env node
// `npm run bench:browser`: how long Chromium takes to filter a ~100 MB store with a literal
// and with a regex, beside the same queries in Node, in one run, one table.
//
// The store is scripts/lib/generate.mjs's seeded one (generated once, cached under
// bench/data/store-<size>MB like run.mjs's). Every query is a `store.count()` (no rows are
// materialised, so what is measured is reading and scanning), over the whole store's window,
// by five engines:
// - node 1 thread:  `openStore(dir, { workers: 0 })`;
// - node workers:   `openStore(dir)`, worker threads, one per core (at most 4);
// - chromium worker (blob):  a dedicated module Web Worker that imports
//   dist/letheql.browser.js and scans on its own thread (`workers: 0`), as an app's engine
//   worker would, over the store's files fetched into the page as Blobs (fetch not timed);
// - chromium worker (bytes): the same worker over the same files held as Uint8Arrays (read
//   out of the Blobs once, not timed): the difference from (blob) is the cost of reading Blobs;
// - chromium pool (blob): the library's own Web Worker pool, `openMemoryStore(blobs,
//   { workers: 2 })`, called from the page.
// Chromium is Debian's (/usr/bin/chromium, or $LETHEQL_CHROMIUM), driven by playwright-core;
// no browser is ever downloaded, and without one the bench says so in one line and exits 0.
// The page, the worker and the bundles come from a throwaway HTTP server on 127.0.0.1:
// dist/letheql.browser.js and dist/letheql.worker.js as `npm run build` left them (this
// script never builds), the page files from bench/browser-page/.
//
// Timing (bench/browser-page/measure.js, the same code in Node, in the page and in the
// worker): a warm-up run, then --iterations timed runs as a tinybench task; the figure is
// the median. Browser timings are taken in the browser (performance.now), so the DevTools
// round trip is not in them. MB/s = bytes of the files the query reads (1 MB = 10⁶ bytes) /
// median time. Every run's count must equal Node's in-thread count: a mismatch is printed
// and makes the exit code 1. After the table: how fast the worker streams the Blobs with no
// scan at all (the ceiling for the Blob engines) and the load average, since the machine
// may be shared.
//
// Usage: node bench/browser.mjs [--size 135] [--iterations 5] [--only <substring>] [--json FILE]
//   --size: the store's size in MB (10⁶ bytes; a unit such as 256MiB also works).
import { createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import os from 'node:os';
import { Bench } from 'tinybench';
import { generateStore, parseSize } from '../scripts/lib/generate.mjs';
import { timeRuns } from './browser-page/measure.js';

const { values } = parseArgs({
  options: {
    // 135 MB: the queries read the store's pod files, about 100 MB of it (the "100 MB of logs").
    size: { type: 'string', default: '135' },
    iterations: { type: 'string', default: '5' },
    only: { type: 'string' },
    json: { type: 'string' },
  },
});
const iterations = Number(values.iterations);
if (!Number.isSafeInteger(iterations) || iterations < 1) {
  console.error(`invalid --iterations ${values.iterations}: expected an integer >= 1`);
  process.exit(2);
}

const CHROMIUM = process.env.LETHEQL_CHROMIUM ?? '/usr/bin/chromium';
if (!existsSync(CHROMIUM)) {
  console.log(`bench:browser skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set LETHEQL_CHROMIUM)`);
  process.exit(0);
}
const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const DIST = here('../dist/');
const SERVED = {
  '/dist/letheql.browser.js': join(DIST, 'letheql.browser.js'),
  '/dist/letheql.worker.js': join(DIST, 'letheql.worker.js'),
  '/page/page.js': here('./browser-page/page.js'),
  '/page/engine-worker.js': here('./browser-page/engine-worker.js'),
  '/page/measure.js': here('./browser-page/measure.js'),
  '/page/tinybench.js': here('../node_modules/tinybench/dist/index.js'),
};
for (const f of [SERVED['/dist/letheql.browser.js'], SERVED['/dist/letheql.worker.js'], join(DIST, 'node.js')]) {
  if (!existsSync(f)) {
    console.error(`bench:browser: ${relative(process.cwd(), f)} is missing: run \`npm run build\` first`);
    process.exit(1);
  }
}
const { openStore } = await import('../dist/node.js');

// ---- machine ----------------------------------------------------------------------------------
const load = () => os.loadavg().map((x) => Number(x.toFixed(2)));
const machine = {
  cpu: os.cpus()[0]?.model ?? 'cpu',
  cores: os.cpus().length,
  memGiB: Math.round(os.totalmem() / 2 ** 30),
  os: `${os.type()} ${os.release()} ${os.arch()}`,
  node: process.version,
  loadavgStart: load(),
};
const distBuilt = statSync(SERVED['/dist/letheql.browser.js']).mtime.toISOString();
console.log(`machine: ${machine.cores} × ${machine.cpu}, ${machine.memGiB} GiB, ${machine.os}, node ${machine.node}, load ${machine.loadavgStart.join(' ')}`);

// ---- the store --------------------------------------------------------------------------------
const sizeArg = /^\d+(\.\d+)?$/.test(values.size) ? `${values.size}MB` : values.size;
const root = here(`./data/store-${sizeArg}`);
const info = await generateStore({ out: root, sizeBytes: parseSize(sizeArg), seed: 1, log: (m) => console.log(m) });
if (info.skipped) console.log(`store: ${relative(process.cwd(), root)} (cached)`);
console.log(`store: ${(info.bytes / 1e6).toFixed(0)} MB, ${info.files} files, ${info.lines} lines, ${info.start} … ${info.end}`);
const timeWindow = { start: info.start, end: info.end };

/** Store-relative paths of every file, in path order. */
function listFiles(dir) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...listFiles(p));
    else if (e.name.endsWith('.log')) out.push(relative(root, p));
  }
  return out;
}
const paths = listFiles(root);

// ---- the queries ------------------------------------------------------------------------------
// What they find in the generator's mix: the rare token is on ~1 line in 100,000; GET is in
// most access-log lines; `user/<id>` paths are in access logs (the literal `user/` is a
// prefilter); `[A-Za-z]{30}` has no literal, so every line goes through the DFA (it matches in
// the long base64 and `x`/`a` runs).
const ALL = 'pod{namespace=~".+"}';
const QUERIES = [
  { name: 'rare literal', q: `${ALL} |= "RARE-7f3a"` },
  { name: 'common literal', q: `${ALL} |= "GET"` },
  { name: 'regex user/[0-9]+', q: `${ALL} |~ "user/[0-9]+"` },
  { name: 'regex [A-Za-z]{30}', q: `${ALL} |~ "[A-Za-z]{30}"` },
];
const only = values.only?.toLowerCase();
const queries = only ? QUERIES.filter((s) => s.name.toLowerCase().includes(only)) : QUERIES;
if (queries.length === 0) {
  console.error(`--only ${JSON.stringify(values.only)} matches no query; names: ${QUERIES.map((s) => s.name).join(', ')}`);
  process.exit(2);
}

// ---- the page server and the browser ---------------------------------------------------------
const PAGE = '<!doctype html><meta charset="utf-8"><title>letheql bench</title><script type="module" src="/page/page.js"></script>';
const server = createServer((req, res) => {
  const url = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
  if (url === '/') {
    res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
  } else if (url === '/favicon.ico') {
    res.writeHead(204).end();
  } else if (SERVED[url]) {
    res.writeHead(200, { 'content-type': 'text/javascript' }).end(readFileSync(SERVED[url]));
  } else if (url.startsWith('/store/') && paths.includes(url.slice('/store/'.length))) {
    const file = join(root, url.slice('/store/'.length));
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': statSync(file).size });
    createReadStream(file).pipe(res);
  } else {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  }
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${server.address().port}`;
const { chromium } = await import('playwright-core');
const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--headless'] });
const chromiumVersion = browser.version();
const page = await browser.newPage();
const pageErrors = [];
page.on('pageerror', (e) => pageErrors.push(String(e)));
page.on('console', (m) => {
  if (m.type() === 'warning' || m.type() === 'error') pageErrors.push(m.text());
});
await page.goto(base);
await page.waitForFunction(() => window.benchReady === true);

const loaded = await page.evaluate((p) => window.bench.load(p), paths);
const opened = await page.evaluate(() => window.bench.startWorker());
console.log(`chromium ${chromiumVersion} (${loaded.cores} cores seen): ${paths.length} files fetched as Blobs in ${loaded.ms.toFixed(0)} ms; read back as bytes in the worker in ${opened.bytesLoadMs.toFixed(0)} ms (neither timed below)`);
if (loaded.bytes !== info.bytes) throw new Error(`the page holds ${loaded.bytes} bytes, the store ${info.bytes}`);

// ---- measure ----------------------------------------------------------------------------------
const node1 = openStore(root, { workers: 0 });
const nodeN = openStore(root);
/** Each engine: its name, and one measurement of query `q` (resolves to timeRuns' result). */
const ENGINES = [
  { engine: 'node 1 thread', run: (q) => timeRuns(Bench, async () => (await node1.count(q, timeWindow)).count, iterations) },
  { engine: 'node workers', run: (q) => timeRuns(Bench, async () => (await nodeN.count(q, timeWindow)).count, iterations) },
  { engine: 'chromium worker (blob)', run: (q) => page.evaluate(({ q, w, n }) => window.bench.runWorker('blob', q, w, n), { q, w: timeWindow, n: iterations }) },
  { engine: 'chromium worker (bytes)', run: (q) => page.evaluate(({ q, w, n }) => window.bench.runWorker('bytes', q, w, n), { q, w: timeWindow, n: iterations }) },
  { engine: 'chromium pool (blob)', run: (q) => page.evaluate(({ q, w, n }) => window.bench.runPool(q, w, n, 2), { q, w: timeWindow, n: iterations }) },
];

const rows = [];
const problems = [];
const t0 = performance.now();
for (const [i, s] of queries.entries()) {
  const plan = await node1.explain(s.q, timeWindow);
  const bytes = plan.files.reduce((a, f) => a + f.size, 0);
  process.stderr.write(`[${i + 1}/${queries.length}] ${s.name} (${(bytes / 1e6).toFixed(0)} MB):`);
  let expected;
  for (const e of ENGINES) {
    process.stderr.write(` ${e.engine}…`);
    const m = await e.run(s.q);
    expected ??= m.counts[0];
    const wrong = m.counts.filter((c) => c !== expected);
    if (wrong.length) problems.push(`${s.name}: ${e.engine} counted ${m.counts.join('/')}, node in-thread ${expected}`);
    rows.push({ query: s.name, q: s.q, engine: e.engine, bytes, files: plan.files.length, matches: m.counts[0], medianMs: m.medianMs, mbs: bytes / 1e6 / (m.medianMs / 1000), warmupMs: m.warmupMs, samplesMs: m.samplesMs, counts: m.counts, ...(m.jobs !== undefined ? { poolJobs: m.jobs, poolSize: m.poolSize } : {}) });
  }
  process.stderr.write(' done\n');
}
const readOnly = await page.evaluate((n) => window.bench.readBlobs(n), iterations);
const readMBs = info.bytes / 1e6 / (readOnly.medianMs / 1000);
const elapsedS = (performance.now() - t0) / 1000;
machine.loadavgEnd = load();

await page.evaluate(() => window.bench.close());
await browser.close();
await new Promise((r) => server.close(r));
await Promise.all([node1.close(), nodeN.close()]);

// ---- report -----------------------------------------------------------------------------------
console.log(`\nletheql browser bench — store ${(info.bytes / 1e6).toFixed(0)} MB (seed 1, ${info.generator}), ${machine.cores} × ${machine.cpu}, node ${machine.node}, chromium ${chromiumVersion}, dist/ built ${distBuilt}`);
const cols = [
  ['query', 20, (r) => r.query, 'left'],
  ['engine', 24, (r) => r.engine, 'left'],
  ['median ms', 10, (r) => r.medianMs.toFixed(0)],
  ['MB/s', 7, (r) => r.mbs.toFixed(0)],
  ['matches', 9, (r) => String(r.matches)],
];
console.log(cols.map(([h, w, , a]) => (a === 'left' ? h.padEnd(w) : h.padStart(w))).join(' '));
let last = '';
for (const r of rows) {
  if (last && r.query !== last) console.log('');
  last = r.query;
  console.log(cols.map(([, w, f, a]) => (a === 'left' ? f(r).padEnd(w) : f(r).padStart(w))).join(' '));
}
console.log(`\n${iterations} timed runs after one warm-up per cell (median); MB/s = MB the query reads / median.`);
console.log(`Blob read alone (the worker streams every Blob, no scan): ${readOnly.medianMs.toFixed(0)} ms for ${(info.bytes / 1e6).toFixed(0)} MB = ${readMBs.toFixed(0)} MB/s.`);
const poolRows = rows.filter((r) => r.poolJobs !== undefined);
if (poolRows.length) console.log(`pool: ${poolRows[0].poolSize} Web Workers; jobs run per query (${iterations + 1} runs): ${poolRows.map((r) => r.poolJobs).join(', ')}.`);
console.log(`load average: ${machine.loadavgStart.join(' ')} at the start, ${machine.loadavgEnd.join(' ')} at the end; measuring took ${elapsedS.toFixed(0)} s.`);
for (const e of [...new Set(pageErrors)]) console.log(`browser console: ${e}`);
for (const p of problems) console.error(`MISMATCH: ${p}`);

if (values.json) {
  mkdirSync(dirname(values.json), { recursive: true });
  writeFileSync(
    values.json,
    JSON.stringify({ date: new Date().toISOString(), machine, chromium: chromiumVersion, userAgent: loaded.userAgent, distBuilt, store: { ...info, out: undefined }, settings: { iterations }, load: { blobFetchMs: loaded.ms, bytesFromBlobsMs: opened.bytesLoadMs }, blobReadOnly: { ...readOnly, mbs: readMBs }, rows, problems, elapsedS }, null, 2) + '\n',
  );
  console.log(`wrote ${values.json}`);
}
process.exitCode = problems.length ? 1 : 0;

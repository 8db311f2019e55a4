#!/usr/bin/env node
// `npm run bench:viewer`: the viewer on the path people use, in Debian's Chromium.
//
// 1. A local folder: scripts/lib/generate.mjs's seeded store (~200 MB, cached under bench/data)
//    picked with Playwright's `setInputFiles` on the viewer's folder input, so the engine
//    worker reads disk-backed `File`s, exactly as from the folder picker. The literal query
//    (`|= "RARE-7f3a"`, ~1 line in 100,000, over every pod file of the store's window) runs
//    through the page's source (`letheqlViewer.timeLogs`: the engine worker, one scan, no
//    histogram) and, for the whole picture, as the viewer runs it (rows and histogram, two
//    scans in the one worker). Beside it, in the same run, Chromium's bare read rate of the
//    same files: every File streamed (`File.stream()`) with nothing done to the bytes, on the
//    page and in a dedicated worker. Target: the query within 1.5× the bare read.
// 2. Rows: a synthetic 100,000-row result loaded in the page; opening rows (the detail pane
//    drawn and laid out) and toggling wrap (every row height recomputed, the list redrawn),
//    timed in the page (`letheqlViewer.openRow` / `toggleWrap`), medians of 9.
//
// The page is dist/viewer as `npm run build:viewer` left it (never built here). Every
// query's rows must equal Node's count of the same query: a mismatch is printed and makes
// the exit code 1. Timings are medians of --iterations runs after a warm-up (the files are
// then in the OS page cache for both the bare read and the query).
//
// Usage: node bench/viewer.mjs [--size 200] [--iterations 5] [--json FILE]
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, extname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import os from 'node:os';
import { generateStore, parseSize } from '../scripts/lib/generate.mjs';

const { values } = parseArgs({ options: { size: { type: 'string', default: '200' }, iterations: { type: 'string', default: '5' }, json: { type: 'string' } } });
const iterations = Number(values.iterations);
if (!Number.isSafeInteger(iterations) || iterations < 1) {
  console.error(`invalid --iterations ${values.iterations}: expected an integer >= 1`);
  process.exit(2);
}
const CHROMIUM = process.env.LETHEQL_CHROMIUM ?? '/usr/bin/chromium';
if (!existsSync(CHROMIUM)) {
  console.log(`bench:viewer skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set LETHEQL_CHROMIUM)`);
  process.exit(0);
}
const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const VIEWER = here('../dist/viewer/');
for (const f of [join(VIEWER, 'index.html'), here('../dist/node.js')]) {
  if (!existsSync(f)) {
    console.error(`bench:viewer: ${relative(process.cwd(), f)} is missing: run \`npm run build\` first`);
    process.exit(1);
  }
}
const { openStore } = await import('../dist/node.js');

const load = () => os.loadavg().map((x) => Number(x.toFixed(2)));
const machine = { cpu: os.cpus()[0]?.model ?? 'cpu', cores: os.cpus().length, node: process.version, loadavgStart: load() };

const sizeArg = /^\d+(\.\d+)?$/.test(values.size) ? `${values.size}MB` : values.size;
const root = here(`./data/store-${sizeArg}`);
const info = await generateStore({ out: root, sizeBytes: parseSize(sizeArg), seed: 1, log: (m) => console.log(m) });
console.log(`store: ${relative(process.cwd(), root)}: ${(info.bytes / 1e6).toFixed(0)} MB, ${info.files} files, ${info.start} … ${info.end}`);

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };
const server = createServer((req, res) => {
  const p = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
  const file = normalize(join(VIEWER, p.endsWith('/') ? `${p}index.html` : p));
  if (!file.startsWith(VIEWER) || !existsSync(file) || !statSync(file).isFile()) return void res.writeHead(404).end();
  res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${server.address().port}`;
const { chromium } = await import('playwright-core');
const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--headless'] });
const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
const pageErrors = [];
page.on('pageerror', (e) => pageErrors.push(String(e)));

const ALL = 'pod{namespace=~".+"}';
const Q = `${ALL} |= "RARE-7f3a"`;
const startNs = String(BigInt(Date.parse(info.start)) * 1_000_000n);
const endNs = String(BigInt(Date.parse(info.end)) * 1_000_000n);
const hash = new URLSearchParams({ q: Q, from: info.start, to: info.end }).toString();
await page.goto(`${base}/#${hash}`);
const hook = (fn, arg) => page.evaluate(fn, arg);
const waitRun = () => page.waitForFunction(() => !document.body.hasAttribute('data-running') && document.querySelector('#status')?.textContent !== '', null, { timeout: 600_000 });

// The folder, as the picker gives it (opening it runs the query once: the warm-up).
let t = performance.now();
await page.locator('#folder-input').setInputFiles(root);
await page.waitForFunction(() => /lines matched|Query/.test(document.querySelector('#status')?.textContent ?? ''), null, { timeout: 600_000 });
await waitRun();
const openMs = performance.now() - t;

// The same files again on a second input, for the bare reads.
await page.evaluate(() => {
  const input = document.createElement('input');
  input.type = 'file';
  input.webkitdirectory = true;
  input.multiple = true;
  input.id = 'bench-input';
  input.hidden = true;
  document.body.append(input);
});
await page.locator('#bench-input').setInputFiles(root);
const bareRead = () =>
  page.evaluate(async () => {
    const files = [...document.querySelector('#bench-input').files].filter((f) => f.webkitRelativePath.includes('/pod/'));
    const t0 = performance.now();
    let bytes = 0;
    for (const f of files) {
      const r = f.stream().getReader();
      for (;;) {
        const { done, value } = await r.read();
        if (done) break;
        bytes += value.length;
      }
    }
    return { ms: performance.now() - t0, bytes };
  });
const WORKER = `onmessage = async (e) => {
  const t0 = performance.now();
  let bytes = 0;
  for (const f of e.data) {
    const r = f.stream().getReader();
    for (;;) { const { done, value } = await r.read(); if (done) break; bytes += value.length; }
  }
  postMessage({ ms: performance.now() - t0, bytes });
};`;
const bareReadWorker = () =>
  page.evaluate(async (code) => {
    const files = [...document.querySelector('#bench-input').files].filter((f) => f.webkitRelativePath.includes('/pod/'));
    const w = new Worker(URL.createObjectURL(new Blob([code], { type: 'text/javascript' })));
    const r = await new Promise((res) => {
      w.onmessage = (e) => res(e.data);
      w.postMessage(files);
    });
    w.terminate();
    return r;
  }, WORKER);

const node = openStore(root, { workers: 0 });
const { count } = await node.count(Q, { start: info.start, end: info.end });
const plan = await node.explain(Q, { start: info.start, end: info.end });
const podBytes = plan.files.reduce((a, f) => a + f.size, 0);
await node.close();

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const problems = [];
const samples = { pageRead: [], workerRead: [], query: [], viewerRun: [] };
let scanned = null;
await bareRead();
await bareReadWorker();
await hook(({ q, a, b }) => window.letheqlViewer.timeLogs(q, a, b, 1000), { q: Q, a: startNs, b: endNs });
for (let i = 0; i < iterations; i++) {
  const pr = await bareRead();
  if (pr.bytes !== podBytes) problems.push(`page read ${pr.bytes} bytes, the pod files hold ${podBytes}`);
  samples.pageRead.push(pr.ms);
  const wr = await bareReadWorker();
  samples.workerRead.push(wr.ms);
  const q = await hook(({ q, a, b }) => window.letheqlViewer.timeLogs(q, a, b, 1000), { q: Q, a: startNs, b: endNs });
  if (q.rows !== count) problems.push(`the viewer's query returned ${q.rows} rows, Node counts ${count}`);
  samples.query.push(q.ms);
  scanned = q.stats?.bytesScanned ?? null;
  t = await page.evaluate(async () => {
    const t0 = performance.now();
    await window.letheqlViewer.run();
    return performance.now() - t0;
  });
  samples.viewerRun.push(t);
}
const viewerRows = (await page.evaluate(() => window.letheqlViewer.state())).rows;
if (viewerRows !== count) problems.push(`the viewer shows ${viewerRows} rows, Node counts ${count}`);

// Rows: open and wrap on 100,000 loaded rows.
await page.evaluate(() => window.letheqlViewer.loadSynthetic(100_000));
const ROWS = 100_000;
const open = [];
const wrap = [];
for (let k = 0; k < 9; k++) {
  open.push(await page.evaluate((i) => window.letheqlViewer.openRow(i), Math.floor((k * ROWS) / 9)));
  wrap.push(await page.evaluate(() => window.letheqlViewer.toggleWrap()));
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r())));
}
await browser.close();
await new Promise((r) => server.close(r));
machine.loadavgEnd = load();

const mb = podBytes / 1e6;
const row = (name, ms, what = mb) => `${name.padEnd(46)} ${ms.toFixed(0).padStart(8)} ${(what / (ms / 1000)).toFixed(0).padStart(7)}`;
console.log(`\nletheql viewer bench — ${(info.bytes / 1e6).toFixed(0)} MB store (seed 1), the query reads its pod files, ${plan.files.length} files, ${mb.toFixed(0)} MB; ${machine.cores} × ${machine.cpu}, chromium ${browser.version?.() ?? ''}`);
console.log(`${'local folder (setInputFiles, disk-backed Files)'.padEnd(46)} ${'ms'.padStart(8)} ${'MB/s'.padStart(7)}`);
console.log(row('bare read, File.stream() on the page', median(samples.pageRead)));
console.log(row('bare read, File.stream() in a worker', median(samples.workerRead)));
console.log(row(`query |= "RARE-7f3a" (engine worker), ${count} rows`, median(samples.query)));
console.log(`  (the engine's statistics: ${scanned === null ? '?' : (scanned / 1e6).toFixed(0)} MB scanned of the ${mb.toFixed(0)} MB)`);
console.log(row('the viewer\'s run (rows + histogram)', median(samples.viewerRun)));
const bare = Math.min(median(samples.pageRead), median(samples.workerRead));
console.log(`query / fastest bare read: ${(median(samples.query) / bare).toFixed(2)}× (target ≤ 1.5×); opening the folder and the first run: ${openMs.toFixed(0)} ms`);
console.log(`\nrows (100,000 loaded, synthetic)                  median ms    max ms`);
console.log(`${'open a row (detail pane drawn)'.padEnd(46)} ${median(open).toFixed(1).padStart(9)} ${Math.max(...open).toFixed(1).padStart(9)}`);
console.log(`${'toggle wrap (heights recomputed, redrawn)'.padEnd(46)} ${median(wrap).toFixed(1).padStart(9)} ${Math.max(...wrap).toFixed(1).padStart(9)}`);
console.log(`\n${iterations} timed runs after a warm-up (median); load average ${machine.loadavgStart.join(' ')} → ${machine.loadavgEnd.join(' ')}`);
for (const e of new Set(pageErrors)) console.log(`browser: ${e}`);
for (const p of new Set(problems)) console.error(`MISMATCH: ${p}`);
if (values.json) {
  mkdirSync(dirname(values.json), { recursive: true });
  writeFileSync(values.json, JSON.stringify({ date: new Date().toISOString(), machine, store: { ...info, out: undefined }, podBytes, count, samples, open, wrap, openMs, problems }, null, 2) + '\n');
}
process.exitCode = problems.length ? 1 : 0;

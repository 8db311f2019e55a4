#!/usr/bin/env node
// Quick throughput check of the WASM scan kernel alone (no store, no Arrow, no regex):
// ~200 MB of seeded synthetic pod lines held in memory, streamed through Kernel.scanFile
// in 1 MiB blocks by an in-memory ChunkReader, for a few program shapes. Reports MB/s
// (1 MB = 1e6 bytes) as the best of N runs. Not a test: no thresholds.
//
// It bundles src/scan/index.ts with esbuild on the fly, so it needs only `npm run build:wasm`.
// Usage: node bench/kernel-quick.mjs [--mb 200] [--runs 5] [--block 1048576]
import { build } from 'esbuild';
import { parseArgs } from 'node:util';
import os from 'node:os';

const { values } = parseArgs({ options: { mb: { type: 'string', default: '200' }, runs: { type: 'string', default: '5' }, block: { type: 'string', default: String(1 << 20) } } });
const targetBytes = Number(values.mb) * 1e6;
const runs = Number(values.runs);
const blockSize = Number(values.block);

const bundled = await build({
  entryPoints: [new URL('../src/scan/index.ts', import.meta.url).pathname],
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  write: false,
  logLevel: 'error',
});
const { Kernel } = await import(`data:text/javascript;base64,${Buffer.from(bundled.outputFiles[0].text).toString('base64')}`);

// Seeded generator (mulberry32), realistic-ish Kubernetes lines of ~100–200 bytes.
let seed = 42;
const rnd = () => {
  seed |= 0;
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const pick = (a) => a[Math.floor(rnd() * a.length)];
const words = 'the request handler completed successfully for user session cache miss retry backend upstream latency connection pool worker queue'.split(' ');
const paths = ['/api/v1/users', '/healthz', '/metrics', '/api/v1/orders/123', '/static/app.js', '/login'];
const pods = ['nginx-deployment-75675f5897-7ci7o', 'apache-75675f5897-7ci7o', 'api-6d4cf56db6-xk2lp', 'worker-0'];
const containers = ['nginx', 'httpd', 'sidecar', 'app'];
function line(i, t) {
  const ts = new Date(t).toISOString().replace('Z', '') + String(i % 1000).padStart(3, '0') + 'Z';
  const kind = rnd();
  let msg;
  if (kind < 0.5) msg = `10.0.${i % 255}.${(i * 7) % 255} - - "GET ${pick(paths)} HTTP/1.1" ${pick([200, 200, 200, 304, 404, 500])} ${Math.floor(rnd() * 5000)} "-" "Mozilla/5.0"`;
  else if (kind < 0.9) msg = `level=info msg="${Array.from({ length: 6 + Math.floor(rnd() * 10) }, () => pick(words)).join(' ')}" duration=${Math.floor(rnd() * 900)}ms`;
  else msg = `E0525 20:00:45.752587   17221 scope.go:110] "RemoveContainer" error: ${pick(words)} ${pick(words)} failed`;
  if (i % 100000 === 7) msg += ' XYZZY-RARE-TOKEN';
  return `${ts}[namespace01|${pick(pods)}|${pick(containers)}] ${msg}\n`;
}
const chunks = [];
let total = 0;
let i = 0;
const t0 = Date.UTC(2009, 10, 10, 22, 0, 0);
const enc = new TextEncoder();
while (total < targetBytes) {
  let s = '';
  for (let k = 0; k < 10000; k++, i++) s += line(i, t0 + i);
  const b = enc.encode(s);
  chunks.push(b);
  total += b.length;
}
const data = new Uint8Array(total);
{
  let o = 0;
  for (const c of chunks) {
    data.set(c, o);
    o += c.length;
  }
}
const reader = {
  size: data.length,
  async read(dest, pos) {
    const n = Math.max(0, Math.min(dest.length, data.length - pos));
    dest.set(data.subarray(pos, pos + n));
    return n;
  },
  async close() {},
};

const program = (lineFilters, labelMatchers = []) => ({
  version: 1,
  fieldCount: 3,
  startNs: '0',
  endNs: '9223372036854775807',
  labelMatchers,
  lineFilters,
});
const cases = [
  ['rare literal |= "XYZZY-RARE-TOKEN"', program([{ op: 'contains', needle: 'XYZZY-RARE-TOKEN' }])],
  ['common literal |= "GET"', program([{ op: 'contains', needle: 'GET' }])],
  ['no filter', program([])],
  ['label + != literal', program([{ op: 'notContains', needle: 'healthz' }], [{ field: 2, op: 'eq', value: 'nginx' }])],
];

const kernel = await Kernel.load();
console.log(`kernel-quick: ${(total / 1e6).toFixed(1)} MB, ${i} lines, block ${blockSize} B, best of ${runs}; node ${process.version}, ${os.cpus()[0]?.model ?? '?'} (${os.cpus().length} cpus)`);
for (const [name, prog] of cases) {
  kernel.setProgram(prog);
  let best = Infinity;
  let matched = 0;
  for (let r = 0; r < runs; r++) {
    let m = 0;
    const t = performance.now();
    const st = await kernel.scanFile(reader, { blockSize }, (b) => {
      m += b.count;
    });
    const dt = performance.now() - t;
    if (st.lines !== i || st.badLines !== 0) throw new Error(`unexpected stats ${JSON.stringify(st)}`);
    matched = m;
    best = Math.min(best, dt);
  }
  console.log(`${name.padEnd(40)} ${(total / 1e6 / (best / 1000)).toFixed(0).padStart(6)} MB/s  (${best.toFixed(0)} ms, ${matched} matches)`);
}

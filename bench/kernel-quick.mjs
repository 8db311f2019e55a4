#!/usr/bin/env node
// Quick throughput check of the WASM scan kernel alone (no store, no Arrow):
// ~200 MB of seeded synthetic pod lines held in memory, streamed through Kernel.scanFile
// in 1 MiB blocks by an in-memory ChunkReader, for a few program shapes. Reports MB/s
// (1 MB = 1e6 bytes) as the best of N runs. Not a test: no thresholds.
//
// Regex cases run twice: with the compiler's choice (a DFA for these patterns) and with the
// Pike VM forced (the NFA program encoded directly), so the two kernel engines compare.
//
// It bundles src/scan/index.ts and src/regex/ with esbuild on the fly, so it needs only
// `npm run build:wasm`.
// Usage: node bench/kernel-quick.mjs [--mb 200] [--runs 5] [--block 1048576] [--only substring]
import { build } from 'esbuild';
import { parseArgs } from 'node:util';
import os from 'node:os';

const { values } = parseArgs({ options: { mb: { type: 'string', default: '200' }, runs: { type: 'string', default: '5' }, block: { type: 'string', default: String(1 << 20) }, only: { type: 'string', default: '' } } });
const targetBytes = Number(values.mb) * 1e6;
const runs = Number(values.runs);
const blockSize = Number(values.block);

const src = new URL('../src/', import.meta.url).pathname;
const bundled = await build({
  stdin: {
    contents: [
      `export { Kernel } from '${src}scan/index.ts';`,
      `export { compileForKernel, fullMatchTree } from '${src}regex/index.ts';`,
      `export { compileProg } from '${src}regex/compile.ts';`,
      `export { parseRegex } from '${src}regex/syntax.ts';`,
    ].join('\n'),
    resolveDir: src,
    loader: 'ts',
  },
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  write: false,
  logLevel: 'error',
});
const { Kernel, compileProg, fullMatchTree, parseRegex } = await import(`data:text/javascript;base64,${Buffer.from(bundled.outputFiles[0].text).toString('base64')}`);

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
  version: 2,
  fieldCount: 3,
  startNs: '0',
  endNs: '9223372036854775807',
  labelMatchers,
  lineFilters,
});
/** The Pike VM for every pattern: the NFA program encoded directly, whatever the DFA budget. */
const pikeOnly = (pattern, { fullMatch }) => {
  const parsed = parseRegex(pattern);
  return { kind: 'pike', prog: compileProg(fullMatch ? fullMatchTree(parsed) : parsed) };
};
const re = (op, pattern) => ({ op, pattern, automaton: { engine: 'dfa', size: 0 } });
const fold = (needle) => ({ op: 'contains', needle, caseInsensitive: true });
const cases = [
  ['rare literal |= "XYZZY-RARE-TOKEN"', program([{ op: 'contains', needle: 'XYZZY-RARE-TOKEN' }])],
  ['rare folded |= (?i)"xyzzy-rare-token"', program([fold('xyzzy-rare-token')])],
  ['common literal |= "GET"', program([{ op: 'contains', needle: 'GET' }])],
  ['common folded |= (?i)"get"', program([fold('get')])],
  ['no filter', program([])],
  ['label + != literal', program([{ op: 'notContains', needle: 'healthz' }], [{ field: 2, op: 'eq', value: 'nginx' }])],
  ['DFA |~ "duration=\\d{3}ms"', program([re('regex', 'duration=\\d{3}ms')])],
  ['DFA |~ "(?i)error|failed"', program([re('regex', '(?i)error|failed')])],
  ['DFA |~ "XYZZY-RARE-TOKEN" (no prefilter)', program([re('regex', 'XYZZY-RARE-TOKEN')])],
  ['DFA |~ "\\bcache\\s+miss\\b"', program([re('regex', '\\bcache\\s+miss\\b')])],
  ['DFA pod=~"api-.*|worker-\\d+"', program([], [{ field: 1, op: 'regex', pattern: 'api-.*|worker-\\d+', automaton: { engine: 'dfa', size: 0 } }])],
  ['Pike |~ "duration=\\d{3}ms"', program([re('regex', 'duration=\\d{3}ms')]), pikeOnly],
  ['Pike |~ "(?i)error|failed"', program([re('regex', '(?i)error|failed')]), pikeOnly],
  ['Pike |~ "XYZZY-RARE-TOKEN" (no prefilter)', program([re('regex', 'XYZZY-RARE-TOKEN')]), pikeOnly],
  ['Pike |~ "\\bcache\\s+miss\\b"', program([re('regex', '\\bcache\\s+miss\\b')]), pikeOnly],
  ['Pike pod=~"api-.*|worker-\\d+"', program([], [{ field: 1, op: 'regex', pattern: 'api-.*|worker-\\d+', automaton: { engine: 'dfa', size: 0 } }]), pikeOnly],
].filter(([name]) => name.includes(values.only));

const kernel = await Kernel.load();
console.log(`kernel-quick: ${(total / 1e6).toFixed(1)} MB, ${i} lines, block ${blockSize} B, best of ${runs}; node ${process.version}, ${os.cpus()[0]?.model ?? '?'} (${os.cpus().length} cpus)`);
for (const [name, prog, compile] of cases) {
  kernel.setProgram(prog, compile ? { compile } : {});
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
  console.log(`${name.padEnd(46)} ${(total / 1e6 / (best / 1000)).toFixed(0).padStart(6)} MB/s  (${best.toFixed(0)} ms, ${matched} matches)`);
}

#!/usr/bin/env node
/**
 * Hostile load on a real `letheql serve` (a child process on 127.0.0.1): ordinary queries,
 * pushes and tails mixed with the attacks of issue 16 for a bounded time
 * (`hostile-workload.mjs`). Prints one JSON report — requests, hostile share, p50/p99,
 * `/-/healthy` probes, and the server's peak resident set (VmHWM from /proc) — and exits 1
 * when any request got a 5xx or an answer other than its expected one, a probe failed, or
 * an acknowledged line is not in the store exactly once.
 *
 *   npm run build && node scripts/load-hostile.mjs [--seconds 30] [--clients 8] [--seed 16] [--include-pending]
 *
 * `--include-pending` adds the attacks fixed on another branch (deep nesting, huge `repeat`
 * templates); without that branch they may fail the run or exhaust the server.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { countIds, runHostileLoad } from './hostile-workload.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '30' }, clients: { type: 'string', default: '8' }, seed: { type: 'string', default: '16' }, 'include-pending': { type: 'boolean', default: false } },
});
const { encodePushRequest } = await import(join(ROOT, 'dist/server/index.js'));

const HOUR_NS = 3_600_000_000_000n;
const pad = (n) => String(n).padStart(2, '0');
const hourName = (ns) => {
  const d = new Date(Number(ns / 1_000_000n));
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}_${pad(d.getUTCHours())}`;
};

// A store: a little ordinary data, and a namespace over maxBytesScanned (8 MiB) in the same hour.
const dir = mkdtempSync(join(tmpdir(), 'letheql-hostile-'));
const store = join(dir, 'store');
const nowNs = BigInt(Date.now()) * 1_000_000n;
const startNs = (nowNs / HOUR_NS) * HOUR_NS - HOUR_NS;
const endNs = startNs + 2n * HOUR_NS;
const stamp = (ns) => new Date(Number(ns / 1_000_000n)).toISOString().replace('Z', '000Z');
mkdirSync(join(store, 'pod/shop'), { recursive: true });
mkdirSync(join(store, 'pod/big'), { recursive: true });
writeFileSync(join(store, `pod/shop/${hourName(startNs)}.log`), Array.from({ length: 1000 }, (_, i) => `${stamp(startNs + BigInt(i) * 1_000_000_000n)}[shop|api-${i % 3}|app] GET /cart/${i} 200\n`).join(''));
const big = `${stamp(startNs + 1_800_000_000_000n)}[big|p|c] ${'y'.repeat(200)}\n`;
writeFileSync(join(store, `pod/big/${hourName(startNs)}.log`), big.repeat(Math.ceil((12 * 2 ** 20) / big.length)));
const config = join(dir, 'config.json');
writeFileSync(config, JSON.stringify({ logLevel: 'warn', limits: { maxBytesScanned: '8MiB', maxLines: 1000 } }));

const child = spawn(process.execPath, [join(ROOT, 'bin/letheql.js'), 'serve', '--store', store, '--listen', '127.0.0.1:0', '--config', config], { stdio: ['ignore', 'ignore', 'pipe'] });
let stderr = '';
const url = await new Promise((resolve, reject) => {
  child.stderr.on('data', (d) => {
    stderr += String(d);
    const m = /listening on (http:\/\/\S+)/.exec(stderr);
    if (m) resolve(m[1]);
  });
  child.once('exit', (code) => reject(new Error(`letheql serve exited (${code}) before listening:\n${stderr}`)));
});

/** The server's peak and current resident set, MiB (Linux /proc). */
function serverRss() {
  try {
    const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
    const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { peakMiB: Math.round(kb('VmHWM') / 1024), nowMiB: Math.round(kb('VmRSS') / 1024) };
  } catch {
    return { peakMiB: null, nowMiB: null };
  }
}

let code = 0;
try {
  const { pushed, failures, report } = await runHostileLoad({
    url,
    encodePushRequest,
    storeInfo: { start: String(startNs), end: String(endNs), bigNamespace: 'big', maxLines: 1000 },
    clients: Number(values.clients),
    durationMs: Number(values.seconds) * 1000,
    seed: Number(values.seed),
    includePending: values['include-pending'],
  });
  const rss = serverRss();
  const loadDir = join(store, 'pod/load');
  const counts = countIds(readdirSync(loadDir).map((f) => readFileSync(join(loadDir, f), 'utf8')));
  const lost = [...pushed].filter((id) => counts.get(id) !== 1);
  const out = { ...report, serverRss: rss, lostOrDuplicated: lost.length, failures: failures.slice(0, 20), failureCount: failures.length };
  console.log(JSON.stringify(out, null, 2));
  if (failures.length > 0 || report.fiveXX > 0 || report.healthy.failed > 0 || lost.length > 0 || counts.size !== pushed.size) code = 1;
} finally {
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
}
process.exit(code);

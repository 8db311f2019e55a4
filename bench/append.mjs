// Append throughput of the store writer (issue 5), for `npm run bench`: the same seeded
// records appended to a fresh store under each fsync policy, in batches, timed through
// tinybench (see measure.mjs). MB/s counts the Lethe line bytes written.
import { mkdtempSync, rmSync, statSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStoreWriter } from '../dist/node.js';
import { mulberry32 } from '../scripts/lib/prng.mjs';
import { measure } from './measure.mjs';

const NAMESPACES = ['shop', 'default', 'kube-system', 'payments'];
const WORDS = ['GET', 'POST', '/api/v1/orders', 'user/1234', 'status=200', 'latency_ms=12', 'error', 'timeout', '결제', 'retry', 'ok'];

/** `count` seeded pod records spread over two hours, messages of ~60–140 bytes. */
function makeRecords(count, seed = 7) {
  const rng = mulberry32(seed);
  const base = Date.UTC(2024, 8, 24, 13) * 1e6;
  const out = [];
  for (let i = 0; i < count; i++) {
    const words = [];
    const n = 8 + Math.floor(rng() * 12);
    for (let k = 0; k < n; k++) words.push(WORDS[Math.floor(rng() * WORDS.length)]);
    out.push({
      kind: 'pod',
      time: BigInt(Math.floor(base + (i / count) * 7.2e12)),
      namespace: NAMESPACES[i % NAMESPACES.length],
      pod: `api-${i % 7}`,
      container: 'app',
      message: `${i} ${words.join(' ')}`,
    });
  }
  return out;
}

function storeBytes(dir) {
  let total = 0;
  for (const t of readdirSync(join(dir, 'pod'))) for (const f of readdirSync(join(dir, 'pod', t))) total += statSync(join(dir, 'pod', t, f)).size;
  return total;
}

/**
 * Runs the append cases; returns rows `{ policy, batch, lines, mb, meanMs, mbs, linesPerS, runs }`.
 * Each timed run writes all records into a new store directory (removed afterwards).
 */
export async function appendBench({ records = 200_000, budgetMs = 10_000, iterations = 5 } = {}) {
  const recs = makeRecords(records);
  const cases = [
    { policy: 'none', batch: 1000 },
    { policy: 'batch', batch: 1000 },
    { policy: 'batch', batch: 100 },
    { policy: 'interval', batch: 100 },
  ];
  const rows = [];
  for (const c of cases) {
    let bytes = 0;
    const once = async () => {
      const dir = mkdtempSync(join(tmpdir(), 'letheql-append-'));
      try {
        const w = await openStoreWriter(dir, { fsync: c.policy, intervalMs: 200 });
        for (let i = 0; i < recs.length; i += c.batch) await w.append(recs.slice(i, i + c.batch));
        await w.close();
        bytes = storeBytes(dir);
        return { count: recs.length };
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    };
    const m = await measure(once, { budgetMs, maxIterations: iterations, bytes: 1, minBytes: 0 });
    const meanMs = m.samplesMs.reduce((a, b) => a + b, 0) / m.samplesMs.length;
    rows.push({ ...c, lines: recs.length, mb: bytes / 1e6, meanMs, mbs: bytes / 1e6 / (meanMs / 1000), linesPerS: recs.length / (meanMs / 1000), runs: m.samplesMs.length, warmupOnly: m.warmupOnly });
  }
  return rows;
}

export function printAppendRows(rows) {
  console.log('\nappend throughput — store writer, fresh store per run, records of ~100 B over 4 namespaces × 2 hours');
  console.log(`${'fsync'.padEnd(9)}${'batch'.padStart(7)}${'lines'.padStart(9)}${'MB'.padStart(7)}${'MB/s'.padStart(8)}${'lines/s'.padStart(10)}${'runs'.padStart(6)}`);
  for (const r of rows) {
    console.log(`${r.policy.padEnd(9)}${String(r.batch).padStart(7)}${String(r.lines).padStart(9)}${r.mb.toFixed(1).padStart(7)}${r.mbs.toFixed(1).padStart(8)}${Math.round(r.linesPerS).toLocaleString('en').padStart(10)}${`${r.runs}${r.warmupOnly ? '*' : ''}`.padStart(6)}`);
  }
  console.log('fsync: batch = every append is fsynced (files and new directories) before it resolves; interval = fsync every 200 ms; none = never (flush/close still fsync).');
}

/**
 * The crash test: a child process appends numbered lines under `fsync: 'batch'`, printing
 * each acknowledged range, and is killed with SIGKILL at a seeded random moment; 24 times,
 * reopening the same store each time (each child's open repairs what the previous one tore).
 * Then: every acknowledged line is present exactly once, nothing is present that was never
 * attempted, and queries see no torn (bad) line.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStoreWriter } from '../../src/write/store-writer.js';
import { bundleChild } from './children/bundle.js';
import { queryAll, readStoreFiles, tempDir } from './helpers.js';

const RUNS = 24;
const SEED = 20240924;

function mulberry32(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) >>> 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface RunResult {
  acked: [number, number][];
  repairs: number;
  cutBytes: number;
}

/** Starts the child, kills it `killAfterMs` after it is ready, returns what it acknowledged. */
function runChild(bundle: string, store: string, first: number, seed: number, killAfterMs: number): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bundle, store, String(first), String(seed)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let timer: ReturnType<typeof setTimeout> | null = null;
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (timer === null && out.includes('\n')) timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') return reject(new Error(`child exited on its own (code ${code}): ${err}`));
      const lines = out.split('\n');
      lines.pop(); // a last line without '\n' was cut by the kill: not an acknowledgement
      const ready = lines.shift()?.split(' ') ?? [];
      if (ready[0] !== 'ready') return reject(new Error(`child did not get ready: ${out} ${err}`));
      const acked = lines.map((l) => l.split(' ')).map(([, a, b]) => [Number(a), Number(b)] as [number, number]);
      resolve({ acked, repairs: Number(ready[1]), cutBytes: Number(ready[2]) });
    });
  });
}

describe('crash safety under SIGKILL', () => {
  const tmp = tempDir('letheql-crash-');
  let bundle = '';
  beforeAll(async () => {
    bundle = await bundleChild('append-child', tmp.dir);
  });
  afterAll(() => tmp.cleanup());

  it(`keeps every acknowledged line exactly once over ${RUNS} kills`, async () => {
    const store = join(tmp.dir, 'store');
    const random = mulberry32(SEED);
    const acked = new Set<number>();
    let repairs = 0;
    for (let run = 0; run < RUNS; run++) {
      // Each run numbers from its own range, so a line never acknowledged cannot be confused with a later one.
      const first = run * 1_000_000;
      const r = await runChild(bundle, store, first, SEED + run, 5 + Math.floor(random() * 150));
      for (const [a, b] of r.acked) for (let n = a; n <= b; n++) acked.add(n);
      repairs += r.repairs;
    }
    // Reopen once more as a reader would after the last crash: the writer's open repairs the last tear.
    const final = await openStoreWriter(store);
    repairs += final.repairs.length;
    await final.close();

    // The files: whole lines only.
    for (const [path, text] of readStoreFiles(store)) expect(text === '' || text.endsWith('\n'), path).toBe(true);

    // The queries: no bad line, every acknowledged number exactly once, nothing never attempted.
    const { lines, stats } = await queryAll(store);
    expect(stats.badLines).toBe(0);
    const seen = new Map<number, number>();
    const foreign: string[] = [];
    for (const l of lines) {
      const m = /\[(even|odd)\|crash\|test\] n=(\d+) x*$/.exec(l);
      const n = m ? Number(m[2]) : NaN;
      if (!m || m[1] !== (n % 2 === 0 ? 'even' : 'odd')) foreign.push(l.slice(0, 120));
      else seen.set(n, (seen.get(n) ?? 0) + 1);
    }
    expect(foreign).toEqual([]);
    const duplicates = [...seen].filter(([, c]) => c > 1).map(([n]) => n);
    expect(duplicates).toEqual([]);
    const missing = [...acked].filter((n) => !seen.has(n));
    expect(missing).toEqual([]);
    expect(acked.size).toBeGreaterThan(RUNS); // the children did get work acknowledged
    // Every quarantined fragment is one unfinished line (a prefix of a line that was attempted).
    const fragments = readQuarantine(store);
    for (const q of fragments) {
      expect(q.includes('\n')).toBe(false);
      expect(q.startsWith('2024-09-24T') || '2024-09-24T'.startsWith(q), q.slice(0, 80)).toBe(true);
    }
    expect(fragments.length).toBe(repairs);
    console.log(`crash test: ${RUNS} kills, ${acked.size} acknowledged lines, ${lines.length} lines present, ${repairs} torn tails repaired`);
  });
});

/** Contents of every quarantine file of the store. */
function readQuarantine(store: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(readFileSync(p, 'utf8'));
    }
  };
  walk(join(store, '.letheql/quarantine'));
  return out;
}

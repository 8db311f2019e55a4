/**
 * Sidecar indexes never change a result: every query shape (log rows forward and backward,
 * with and without limits; counts; metric queries; pipelines; workers on and off) over a
 * copy of a store with sidecars gives the rows, counts, order and statistics of the same
 * store without them — with fresh sidecars (which must actually prune), and with stale,
 * truncated, corrupt and partly missing ones (which must be ignored, with a note; a damaged
 * bloom segment is caught when a query reads it, and only that query ignores the sidecar).
 *
 * Statistics follow the rule in README "Statistics" and `src/exec/index-use.ts`: data a
 * sidecar answers for counts as validated (the index validated it when built), its bad lines
 * come from the sidecar. `bytesScanned + index.bytesSkipped` must equal the full scan's
 * `bytesScanned`; the rest of the statistics (but `elapsedMs` and `index`) must be equal
 * when the kernel validates every line (no search anchor, as the kernel itself decides for
 * the query's plans) or when nothing was skipped; with an anchor, every statistic but
 * `linesValidated`, `badLines` and `badLineSamples` must be equal, and those must obey the
 * rule's bounds ({@link checkAnchoredStats}).
 *
 * Sidecars are built with 4 KiB blocks so that the small stores have many blocks.
 */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateStore } from '../../scripts/lib/generate.mjs';
import { MAX_BAD_LINE_SAMPLES } from '../../src/exec/stats.js';
import { openStore, type LogStore, type QueryStats } from '../../src/node.js';
import { Kernel } from '../../src/scan/kernel.js';
import { decodeSummaryHead } from '../../src/store/index-summary.js';
import { decodeSidecar } from '../../src/store/sidecar.js';
import { indexStore } from '../../src/write/sidecar-files.js';
import { EDGE_STORE, FIXTURE_STORE } from '../support/paths.js';
import { FIXTURE_CASES, GENERATED_CASES, runCase, LOG_SHAPES, type QueryCase, type Shape } from '../support/store-queries.js';

type Case = QueryCase;
const FIX = { start: '2024-09-24T13:00:00Z', end: '2024-09-24T16:00:00Z' };
const BAD = { start: '2024-09-24T10:00:00Z', end: '2024-09-24T11:59:59Z' };

const STORES: Record<string, { src: () => string; cases: Case[] }> = {
  fixture: { src: () => FIXTURE_STORE, cases: FIXTURE_CASES },
  edge: {
    src: () => EDGE_STORE,
    cases: [
      { query: 'pod{namespace="edge"}', opts: { start: '2024-09-24T00:00:00Z', end: '2024-09-25T00:00:00Z' }, shapes: LOG_SHAPES },
      { query: 'pod{namespace="edge"} |= "line"', opts: { start: '2024-09-24T00:00:00Z', end: '2024-09-25T00:00:00Z' }, shapes: LOG_SHAPES },
      { query: 'node{node="node-x"}', opts: { start: '2024-09-24T00:00:00Z', end: '2024-09-25T00:00:00Z' }, shapes: LOG_SHAPES },
    ],
  },
  bad: {
    src: () => badStore,
    cases: [
      { query: 'pod{namespace="mixed"}', opts: BAD, shapes: LOG_SHAPES },
      { query: 'pod{namespace="mixed", pod="api-1"}', opts: BAD, shapes: LOG_SHAPES },
      { query: 'pod{namespace="mixed"} |= "req-000777 "', opts: BAD, shapes: LOG_SHAPES },
      { query: 'pod{namespace="mixed"} |= "REQ-002' + '9"', opts: BAD, shapes: LOG_SHAPES },
      { query: 'pod{namespace="mixed"} |~ "(?i)req-0015[0-9]{2} "', opts: BAD, shapes: LOG_SHAPES },
      { query: 'pod{namespace="mixed"}', opts: { start: '2024-09-24T10:20:00Z', end: '2024-09-24T10:21:00Z' }, shapes: LOG_SHAPES },
      // A run from mid-file to its end, long enough for workers to cut it into ranges.
      { query: 'pod{namespace="mixed"} != "zzzz"', opts: { start: '2024-09-24T10:30:00Z', end: BAD.end }, shapes: LOG_SHAPES },
      { query: 'count_over_time(pod{namespace="mixed"} |= "req-0001" [10m])', opts: { ...BAD, step: '10m' }, shapes: ['metric'] },
    ],
  },
  generated: { src: () => generated, cases: GENERATED_CASES },
};

let dir = '';
let generated = '';
let badStore = '';

/** A store whose files hold bad lines of every kind between good ones (more than 100, so samples are capped), and long lines. */
function writeBadStore(root: string): void {
  for (const hour of ['10', '11']) {
    const lines: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const t = `2024-09-24T${hour}:${String(Math.floor(i / 50)).padStart(2, '0')}:${String(i % 50).padStart(2, '0')}.${String(i).padStart(6, '0')}Z`;
      const id = `req-${String(i).padStart(6, '0')}`;
      if (i % 29 === 7) lines.push(['no bracket at all ' + id, `${t}[mixed|api-1] two fields ${id}`, `${t}[mixed|api-1|main missing bracket ${id}`, `2024-13-45T00:00:00Z[mixed|api-1|main] bad time ${id}`][i % 4]!);
      else if (i % 997 === 5) lines.push(`${t}[mixed|api-2|main] long ${'x'.repeat(9000)} ${id} `);
      else lines.push(`${t}[mixed|api-${i % 3}|main] GET /orders ${id} status=${i % 7 === 0 ? 500 : 200}${i % 11 === 0 ? '\r' : ''}`);
    }
    const dirPath = join(root, 'pod', 'mixed');
    mkdirSync(dirPath, { recursive: true });
    writeFileSync(join(dirPath, `2024-09-24_${hour}.log`), lines.join('\n') + (hour === '10' ? '\n' : ''));
  }
}

function comparable(stats: QueryStats | null): { rest: Omit<QueryStats, 'elapsedMs' | 'bytesScanned' | 'index'>; bytes: number; skipped: number; index: QueryStats['index'] } {
  expect(stats).not.toBeNull();
  const { elapsedMs, bytesScanned, index, ...rest } = stats!;
  void elapsedMs;
  return { rest, bytes: bytesScanned, skipped: index?.bytesSkipped ?? 0, index };
}

type Rest = ReturnType<typeof comparable>['rest'];

/** Whether the kernel searches first in any plan of the query (`Kernel.searchAnchor`): then it validates only lines holding a candidate. */
async function anchored(kernel: Kernel, store: LogStore, c: Case, shape: Shape): Promise<boolean> {
  const plans = shape === 'metric' ? (await store.explainMetric(c.query, c.opts)).ranges.map((r) => r.plan) : [await store.explain(c.query, c.opts)];
  return plans.some((p) => {
    kernel.setProgram(p.program);
    return kernel.searchAnchor !== null;
  });
}

/**
 * The rule for an anchored query with sidecars (`got`) against the same query without them
 * (`want`): the lines the kernel validates without sidecars are validated with them too, and
 * each line the index validated in its place adds at most one bad line; samples are each
 * file's first counted bad lines in line order, without a gap (so every bad line found
 * without sidecars that lies before a file's last sample is among the samples).
 */
function checkAnchoredStats(got: Rest, want: Rest, what: string): void {
  const { linesValidated: gv, badLines: gb, badLineSamples: gs, ...gRest } = got;
  const { linesValidated: wv, badLines: wb, badLineSamples: ws, ...wRest } = want;
  expect(gRest, what).toEqual(wRest);
  expect(gv, what).toBeGreaterThanOrEqual(wv);
  expect(gv, what).toBeLessThanOrEqual(got.linesScanned);
  expect(gb, what).toBeGreaterThanOrEqual(wb);
  expect(gb - wb, what).toBeLessThanOrEqual(gv - wv);
  expect(gs.length, what).toBeLessThanOrEqual(Math.min(MAX_BAD_LINE_SAMPLES, gb));
  const last = new Map<string, number>();
  for (const b of gs) {
    expect(b.line, what).toBeGreaterThan(last.get(b.path) ?? 0);
    last.set(b.path, b.line);
  }
  const key = (b: { path: string; line: number; reason: string }): string => `${b.path}:${b.line}:${b.reason}`;
  const have = new Set(gs.map(key));
  for (const b of ws) if (b.line <= (last.get(b.path) ?? 0)) expect(have.has(key(b)), `${what}: sample ${key(b)}`).toBe(true);
}

async function run(store: LogStore, c: Case, shape: Shape) {
  const r = await runCase(store, c, shape);
  return { result: r.result, stats: comparable(r.stats) };
}

function hourFiles(root: string): string[] {
  const out: string[] = [];
  for (const lt of ['pod', 'node']) {
    let targets: string[] = [];
    try {
      targets = readdirSync(join(root, lt));
    } catch {
      continue;
    }
    for (const t of targets) for (const f of readdirSync(join(root, lt, t))) out.push(join(root, lt, t, f));
  }
  return out;
}

function sidecarFiles(root: string): string[] {
  return hourFiles(join(root, '.letheql/index')).filter((f) => f.endsWith('.idx'));
}

/** The target summaries (`summary.lqts`) of the indexed copy. */
function summaryFiles(root: string): string[] {
  return hourFiles(join(root, '.letheql/index')).filter((f) => f.endsWith('/summary.lqts'));
}

// The first six damage every index file (sidecars and target summaries) alike; the last
// three damage the summaries only, over fresh sidecars or none.
type Variant = 'fresh' | 'stale' | 'truncated' | 'corrupt' | 'corrupt bloom' | 'half missing' | 'summaries only' | 'corrupt summary' | 'corrupt summary filter';
const VARIANTS: Variant[] = ['fresh', 'stale', 'truncated', 'corrupt', 'corrupt bloom', 'half missing', 'summaries only', 'corrupt summary', 'corrupt summary filter'];

/** Flips one bit of byte `at` (negative: from the end) of a file. */
function flip(f: string, at: number, bit: number): void {
  const b = readFileSync(f);
  const i = at < 0 ? b.length + at : at;
  b[i] = b[i]! ^ bit;
  writeFileSync(f, b);
}

/** Puts the indexed copy's sidecars and summaries in the state `v` (from fresh ones). */
async function prepare(root: string, v: Variant): Promise<void> {
  rmSync(join(root, '.letheql'), { recursive: true, force: true });
  for (const f of hourFiles(root)) utimesSync(f, new Date('2024-10-01T00:00:00Z'), new Date('2024-10-01T00:00:00Z'));
  await indexStore(root, { blockBytes: 4096, nowNs: 4_000_000_000_000_000_000n });
  const idx = sidecarFiles(root);
  const sums = summaryFiles(root);
  expect(idx.length).toBeGreaterThan(0);
  expect(sums.length).toBeGreaterThan(0);
  if (v === 'summaries only') for (const f of idx) rmSync(f);
  if (v === 'corrupt summary') for (const f of sums) flip(f, 20, 0x01); // a header byte: only the head's checksum can tell
  // A filter bit in every part of every entry: only the parts' checksums can tell, when a
  // query reads them (any query with a literal reads some).
  if (v === 'corrupt summary filter') {
    for (const f of sums) {
      const b = readFileSync(f);
      const r = decodeSummaryHead(b, b.length);
      if (!r.ok) throw new Error(`fresh summary ${f}: ${r.detail}`);
      for (let p = 0; p + 1 < r.summary.partAt.length; p++) for (let e = 0; e < r.summary.entries.length; e++) b[r.summary.partAt[p]! + r.summary.entryAt[e]!]! ^= 0x04;
      writeFileSync(f, b);
    }
  }
  if (v === 'truncated') for (const f of sums) truncateSync(f, Math.floor(statSync(f).size / 2));
  if (v === 'corrupt') for (const f of sums) flip(f, 20, 0x01);
  if (v === 'corrupt bloom') for (const f of sums) flip(f, -2, 0x10);
  if (v === 'stale') for (const f of hourFiles(root)) utimesSync(f, new Date('2024-10-02T00:00:00Z'), new Date('2024-10-02T00:00:00Z'));
  if (v === 'truncated') for (const f of idx) truncateSync(f, Math.floor(statSync(f).size / 2));
  if (v === 'corrupt') {
    for (const f of idx) {
      const b = readFileSync(f);
      b[20] = b[20]! ^ 0x01; // a header byte: only the head's checksum can tell
      writeFileSync(f, b);
    }
  }
  if (v === 'corrupt bloom') {
    for (const f of idx) {
      const b = readFileSync(f);
      const r = decodeSidecar(b);
      if (!r.ok) throw new Error(`fresh sidecar ${f}: ${r.detail}`);
      const end = r.sidecar.segmentAt[r.sidecar.segmentAt.length - 1]!; // the blooms end where the file filter starts
      b[end - 20] = b[end - 20]! ^ 0x10; // a bloom bit: only its segment's checksum can tell, when a query reads it
      writeFileSync(f, b);
    }
  }
  if (v === 'half missing') idx.forEach((f, i) => i % 2 === 0 && rmSync(f));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'letheql-sidecar-'));
  generated = join(dir, 'gen-src');
  badStore = join(dir, 'bad-src');
  writeBadStore(badStore);
  await generateStore({ out: generated, sizeBytes: 3_000_000, seed: 7 });
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.each(Object.keys(STORES))('store %s', (name) => {
  for (const workers of [0, 3]) {
    it(`with sidecars and target summaries (fresh, stale, truncated, corrupt, corrupt bloom, half missing; summaries only, corrupt, corrupt filter) = without, workers ${workers}`, async () => {
      const spec = STORES[name]!;
      const plain = join(dir, `${name}-plain-${workers}`);
      const indexed = join(dir, `${name}-indexed-${workers}`);
      cpSync(spec.src(), plain, { recursive: true });
      cpSync(spec.src(), indexed, { recursive: true });
      rmSync(join(plain, '.letheql'), { recursive: true, force: true });
      const poolOpts = workers === 0 ? { workers: 0 } : { workers, parallelMinBytes: 0, rangeBytes: 20_000 };
      const base = openStore(plain, poolOpts);
      const expected: { result: unknown; stats: ReturnType<typeof comparable>; anchored: boolean }[] = [];
      const kernel = await Kernel.load();
      try {
        for (const c of spec.cases) {
          for (const shape of c.shapes) {
            const want = { ...(await run(base, c, shape)), anchored: await anchored(kernel, base, c, shape) };
            // Without an anchor the kernel validates every line.
            if (!want.anchored) expect(want.stats.rest.linesValidated, `${c.query} (${shape})`).toBe(want.stats.rest.linesScanned);
            expected.push(want);
          }
        }
      } finally {
        await base.close();
      }
      for (const v of VARIANTS) {
        await prepare(indexed, v);
        const store = openStore(indexed, poolOpts);
        try {
          let k = 0;
          let pruned = 0;
          const seen = { bloom: 0, time: 0, counted: 0, runs: 0, moreBad: 0, corruptNoted: 0, fromSummary: 0 };
          for (const c of spec.cases) {
            for (const shape of c.shapes) {
              const want = expected[k++]!;
              const got = await run(store, c, shape);
              const what = `${v}: ${c.query} (${shape})`;
              expect(got.result, what).toEqual(want.result);
              if (want.anchored && got.stats.skipped > 0) checkAnchoredStats(got.stats.rest, want.stats.rest, what);
              else expect(got.stats.rest, what).toEqual(want.stats.rest);
              seen.moreBad += got.stats.rest.badLines > want.stats.rest.badLines ? 1 : 0;
              expect(got.stats.bytes + got.stats.skipped, what).toBe(want.stats.bytes);
              expect(want.stats.index, what).toBeUndefined();
              if (v === 'fresh') {
                expect(got.stats.index?.notes ?? [], what).toEqual([]);
                pruned += got.stats.skipped;
                const ix = got.stats.index;
                seen.bloom += ix?.blocksSkippedByBloom ?? 0;
                seen.time += (ix?.blocksSkippedByTime ?? 0) + (ix?.filesSkippedByTime ?? 0);
                seen.counted += ix?.filesCounted ?? 0;
                seen.runs += ix?.blocksScanned ?? 0;
                seen.fromSummary += ix?.filesFromSummary ?? 0;
              } else if (v === 'summaries only') {
                // Files the summaries cannot skip are scanned; the rest are skipped on them alone.
                seen.fromSummary += got.stats.index?.filesFromSummary ?? 0;
              } else if (v === 'corrupt summary') {
                // The sidecars still serve; the summary is noted and unused.
                expect(got.stats.index?.filesFromSummary ?? 0, what).toBe(0);
                if (got.stats.index) expect(got.stats.index.notes.some((n) => n.path.endsWith('summary.lqts') && n.problem === 'corrupt'), what).toBe(true);
              } else if (v === 'corrupt bloom' || v === 'corrupt summary filter') {
                // Segments are checked when read: a query whose grams read the damaged one
                // ignores that sidecar (noted); the others may use it. Results never change.
                seen.corruptNoted += (got.stats.index?.notes ?? []).filter((n) => n.problem === 'corrupt').length;
              } else if (v !== 'half missing') {
                expect(got.stats.skipped, what).toBe(0);
                if (got.stats.index) expect(got.stats.index.notes.length, what).toBeGreaterThan(0);
              }
            }
          }
          if ((v === 'corrupt bloom' || (v === 'corrupt summary filter' && name !== 'bad')) && name !== 'edge') expect(seen.corruptNoted, `${v} ${JSON.stringify(seen)}`).toBeGreaterThan(0);
          // The bad store's files all have bad lines, which a summary never accounts for.
          if (v === 'summaries only' && name !== 'edge' && name !== 'bad') expect(seen.fromSummary, JSON.stringify(seen)).toBeGreaterThan(0);
          if (v === 'fresh') {
            expect(pruned).toBeGreaterThan(0);
            if (name !== 'edge') expect(Math.min(seen.bloom, seen.time, seen.counted, seen.runs, name === 'bad' ? 1 : seen.fromSummary), JSON.stringify(seen)).toBeGreaterThan(0);
            // The bad store's anchored queries skip blocks with bad lines the kernel would not have validated.
            if (name === 'bad') expect(seen.moreBad, JSON.stringify(seen)).toBeGreaterThan(0);
          }
        } finally {
          await store.close();
        }
      }
    }, 300_000);
  }
});

describe('store set', () => {
  it('a member with sidecars and one without give the plain set\'s results', async () => {
    const { openStoreSet } = await import('../../src/node.js');
    const a = join(dir, 'set-a');
    const b = join(dir, 'set-b');
    const aPlain = join(dir, 'set-a-plain');
    cpSync(FIXTURE_STORE, a, { recursive: true });
    cpSync(FIXTURE_STORE, b, { recursive: true });
    cpSync(FIXTURE_STORE, aPlain, { recursive: true });
    await prepare(a, 'fresh');
    const plain = openStoreSet({ 'cluster-a': aPlain, 'cluster-b': b }, { workers: 0 });
    const indexed = openStoreSet({ 'cluster-a': a, 'cluster-b': b }, { workers: 0 });
    const kernel = await Kernel.load();
    try {
      for (const query of ['pod{namespace=~".+"} |= "payment"', 'pod{cluster="cluster-a", namespace="shop"}', 'node{node=~".+"}']) {
        for (const shape of LOG_SHAPES) {
          const c = { query, opts: FIX, shapes: [shape] };
          const want = await run(plain, c, shape);
          const got = await run(indexed, c, shape);
          expect(got.result, `${query} ${shape}`).toEqual(want.result);
          if (got.stats.skipped > 0 && (await anchored(kernel, plain, c, shape))) checkAnchoredStats(got.stats.rest, want.stats.rest, `${query} ${shape}`);
          else expect(got.stats.rest, `${query} ${shape}`).toEqual(want.stats.rest);
          expect(got.stats.index?.filesIndexed, `${query} ${shape}`).toBeGreaterThan(0);
        }
      }
    } finally {
      await plain.close();
      await indexed.close();
    }
  }, 120_000);
});

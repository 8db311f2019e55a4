/**
 * Metric queries folded on scan workers against the in-thread fold (the oracle): for every
 * store and query in the table, `workers: 2` (the default batches: a job folds several
 * files into one accumulator), `workers: 2` with one file per job, and `workers: 3` with
 * small `rangeBytes` (files cut into byte ranges, so one series' buckets and samples come
 * from several jobs) must give exactly what `workers: 0` gives: the same series in the same
 * order, the same samples, the same statistics (all but `elapsedMs`), or the same error.
 * Each must also have run jobs on the workers (`pool.jobsDone` grows), so that a silent
 * fallback to in-thread folding cannot pass.
 *
 * Sample order matters: `first_over_time`/`last_over_time` pick among equal times by
 * store order, which the merge must keep (the "ties" store has every line at one instant).
 * The hand-worked pipeline store (test/support/pipeline-store.ts) is checked against its
 * known answers too, on workers. Then: a store set, cancellation, and the thresholds (a
 * small metric query stays in-thread by default, as a count of the same plan does).
 *
 * Needs the worker bundle (`npm run build:worker`).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, openStoreSet, type LogStore, type MetricQueryOptions, type MetricResult, type OpenStoreOptions, type QueryStats } from '../../src/node.js';
import { FILES } from '../support/pipeline-store.js';
import { FIXTURE_STORE } from '../support/paths.js';

const tmp = mkdtempSync(join(tmpdir(), 'letheql-metric-workers-'));
const PIPE_STORE = join(tmp, 'pipeline-store');
const TIES_STORE = join(tmp, 'ties');

beforeAll(() => {
  for (const [path, text] of Object.entries(FILES)) {
    mkdirSync(dirname(join(PIPE_STORE, path)), { recursive: true });
    writeFileSync(join(PIPE_STORE, path), text);
  }
  // Every line at one instant, values counting up in store order: first/last pick by order alone.
  for (const ns of ['a', 'b']) {
    mkdirSync(join(TIES_STORE, 'pod', ns), { recursive: true });
    const lines = Array.from({ length: 400 }, (_, i) => `2024-09-24T13:00:00Z[${ns}|p-${i % 2}|c] v=${ns === 'a' ? i : 1000 + i} n=${i % 3}\n`);
    writeFileSync(join(TIES_STORE, 'pod', ns, '2024-09-24_13.log'), lines.join(''));
  }
});

const opened: LogStore[] = [];
afterAll(async () => {
  await Promise.all(opened.map((s) => s.close()));
  rmSync(tmp, { recursive: true, force: true });
});

interface StoreCase {
  name: string;
  open: (options: OpenStoreOptions) => LogStore;
  /** Small enough to cut every file into several ranges. */
  rangeBytes: number;
  queries: [query: string, opts: MetricQueryOptions][];
}

const FIXTURE_RANGE = { start: '2024-09-24T13:00:00Z', end: '2024-09-24T16:00:00Z', step: '10m' };
const FIXTURE_INSTANT = { end: '2024-09-24T15:30:00Z' };
/** nginx access lines end in the response time (seconds, 3 decimals). */
const RT = '| regexp "(?P<rt>[0-9]+\\\\.[0-9]+)$"';

const CASES: StoreCase[] = [
  {
    name: 'fixtures/store',
    open: (o) => openStore(FIXTURE_STORE, o),
    rangeBytes: 6000,
    queries: [
      ['sum by (namespace) (count_over_time(pod{namespace=~".+"} |= "error" [10m]))', FIXTURE_RANGE],
      ['count_over_time(pod{namespace=~".+"} [30m])', FIXTURE_RANGE],
      ['sum by (namespace) (bytes_over_time(pod{namespace=~".+"} [1h]))', FIXTURE_RANGE],
      ['sum by (pod) (rate(pod{namespace=~".+"} |~ "GET|POST" [5m]))', { ...FIXTURE_RANGE, step: '7m' }],
      ['sum by (level) (count_over_time(pod{namespace=~".+"} | json | __error__="" [1h]))', FIXTURE_RANGE],
      ['sum by (level) (bytes_rate(pod{namespace=~".+"} | json | __error__="" | line_format "{{.level}} {{.msg}}" [30m]))', FIXTURE_RANGE],
      ['count_over_time(pod{namespace=~".+"} | logfmt | elapsed > 5ms [1h])', FIXTURE_RANGE],
      [`quantile_over_time(0.9, pod{namespace=~".+"} ${RT} | unwrap rt [1h]) by (pod)`, FIXTURE_RANGE],
      [`max_over_time(pod{namespace=~".+"} ${RT} | unwrap rt [20m]) by (namespace)`, FIXTURE_RANGE],
      [`min_over_time(pod{namespace=~".+"} ${RT} | unwrap rt [3h])`, FIXTURE_INSTANT],
      [`first_over_time(pod{namespace=~".+"} ${RT} | unwrap rt [1h]) by (namespace)`, FIXTURE_RANGE],
      [`last_over_time(pod{namespace=~".+"} ${RT} | unwrap rt [1h]) by (namespace)`, FIXTURE_RANGE],
      [`stddev_over_time(pod{namespace=~".+"} ${RT} | unwrap rt [3h]) by (pod)`, FIXTURE_INSTANT],
      // Sums of 3-decimal values: per-job partial sums must still add up exactly here.
      [`sum by (namespace) (sum_over_time(pod{namespace=~".+"} ${RT} | unwrap rt [3h]))`, FIXTURE_INSTANT],
      ['sum by (pod) (sum_over_time(pod{namespace=~".+"} | logfmt | unwrap duration(elapsed) [3h]))', FIXTURE_INSTANT],
      ['sum(count_over_time(node{node=~".+"} |~ "(?i)error|fail" [1h]))', FIXTURE_RANGE],
      ['absent_over_time(pod{namespace="nope"} [1h])', FIXTURE_RANGE],
      // A line | json cannot read fails the query, on workers as in-thread.
      ['sum(count_over_time(pod{namespace=~".+"} | json [1h]))', FIXTURE_RANGE],
      [`sum_over_time(pod{namespace=~".+"} |= "HTTP" | json | unwrap status [3h])`, FIXTURE_INSTANT],
    ],
  },
  {
    name: 'ties: one instant for every line',
    open: (o) => openStore(TIES_STORE, o),
    rangeBytes: 800,
    queries: [
      ['first_over_time(pod{namespace=~".+"} | logfmt | unwrap v [1h]) by (n)', { end: '2024-09-24T13:30:00Z' }],
      ['last_over_time(pod{namespace=~".+"} | logfmt | unwrap v [1h]) by (n)', { end: '2024-09-24T13:30:00Z' }],
      ['last_over_time(pod{namespace=~".+"} | logfmt | unwrap v [1h])', { end: '2024-09-24T13:30:00Z' }],
      ['sum by (pod) (count_over_time(pod{namespace=~".+"} [1h]))', { end: '2024-09-24T13:30:00Z' }],
    ],
  },
  {
    name: 'a store set (clusters east and west over fixtures/store)',
    open: (o) => openStoreSet({ east: FIXTURE_STORE, west: FIXTURE_STORE }, o),
    rangeBytes: 20_000,
    queries: [
      ['sum by (cluster, namespace) (count_over_time(pod{namespace=~".+"} |= "error" [30m]))', FIXTURE_RANGE],
      ['sum by (cluster) (count_over_time(pod{namespace=~".+"} | json | cluster="west" | __error__="" [1h]))', FIXTURE_RANGE],
      [`last_over_time(pod{namespace=~".+"} ${RT} | unwrap rt [1h]) by (cluster, pod)`, FIXTURE_RANGE],
    ],
  },
];

type Outcome = { result: MetricResult; stats: Omit<QueryStats, 'elapsedMs'> } | { error: { name: string; code?: string; message: string } };

async function outcome(store: LogStore, query: string, opts: MetricQueryOptions): Promise<Outcome> {
  try {
    const { result, stats } = await store.queryMetric(query, opts);
    const { elapsedMs, ...rest } = stats;
    expect(elapsedMs).toBeGreaterThanOrEqual(0);
    return { result, stats: rest };
  } catch (e) {
    const err = e as { name: string; code?: string; message: string };
    return { error: { name: err.name, code: err.code, message: err.message } };
  }
}

describe.each(CASES)('$name: metric folds on workers equal the in-thread fold', (c) => {
  let inThread: LogStore;
  let batched: LogStore;
  let perFile: LogStore;
  let perRange: LogStore;
  beforeAll(() => {
    inThread = c.open({ workers: 0 });
    batched = c.open({ workers: 2, parallelMinBytes: 0 });
    perFile = c.open({ workers: 2, parallelMinBytes: 0, batchBytes: 1 });
    perRange = c.open({ workers: 3, parallelMinBytes: 0, rangeBytes: c.rangeBytes });
    opened.push(inThread, batched, perFile, perRange);
  });

  it.each(c.queries)('%s', async (query, opts) => {
    const want = await outcome(inThread, query, opts);
    const readsFiles = !('result' in want) || want.stats.filesRead > 0;
    for (const [name, store] of [['workers: 2', batched], ['workers: 2, a file per job', perFile], ['workers: 3, ranges', perRange]] as const) {
      const before = store.pool!.jobsDone;
      expect(await outcome(store, query, opts), name).toEqual(want);
      if (readsFiles) expect(store.pool!.jobsDone, `${name}: jobs ran on workers`).toBeGreaterThan(before);
      expect(store.pool!.pendingJobs, `${name}: nothing left running`).toBe(0);
    }
  });
});

/** `{labels} @minute-of-day value` per sample, sorted. */
function flat(result: MetricResult): string[] {
  return result.series
    .flatMap((s) => s.samples.map(([t, v]) => `${Object.entries(s.labels).sort().map(([k, x]) => `${k}=${x}`).join(',')} @${(t / 60_000_000_000n) % 1440n} ${+v.toFixed(6)}`))
    .sort();
}

describe('the hand-worked pipeline store, folded on workers', () => {
  const AT = { end: '2024-09-24T13:30:00Z' };
  it.each([
    ['sum by (level) (count_over_time(pod{namespace=~"shop|web"} | json | __error__="" [1h]))', ['level=error @810 1', 'level=info @810 3']],
    ['sum by (pod) (sum_over_time(pod{namespace="shop"} | json | __error__="" | unwrap latency_ms [1h]))', ['pod=api-1 @810 266']],
    ['max_over_time(pod{namespace=~"shop|web"} | json | __error__="" | unwrap latency_ms [1h]) by (namespace)', ['namespace=shop @810 250', 'namespace=web @810 100']],
    ['quantile_over_time(0.5, pod{namespace=~"shop|web"} | json | __error__="" | unwrap latency_ms [1h]) by (namespace)', ['namespace=shop @810 12.5', 'namespace=web @810 100']],
    ['max_over_time(pod{namespace="shop", pod="api-2"} | logfmt | unwrap latency_ms [1h]) by (latency_ms)', ['latency_ms=7 @810 7']],
    ['sum(bytes_over_time(pod{namespace="shop"} | json | __error__="" | line_format "{{.level}}" [1h]))', [' @810 13']],
    ['sum(rate(pod{namespace="web"} | json | unwrap latency_ms [1h]))', [` @810 ${+(100 / 3600).toFixed(6)}`]],
  ])('%s', async (query, want) => {
    const store = openStore(PIPE_STORE, { workers: 2, parallelMinBytes: 0 });
    opened.push(store);
    const { result, stats } = await store.queryMetric(query, AT);
    expect(flat(result)).toEqual(want);
    // A query of one namespace reads one file: a single job stays in-thread, as for a count.
    expect(store.pool!.jobsDone).toBe(stats.filesRead >= 2 ? stats.filesRead : 0);
  });

  it('a line the pipeline cannot read fails the query with "pipeline error"', async () => {
    const store = openStore(PIPE_STORE, { workers: 2, parallelMinBytes: 0 });
    opened.push(store);
    const err = (await store.queryMetric('sum(count_over_time(pod{namespace=~"shop|web"} | json [1h]))', AT).catch((e: unknown) => e)) as { code?: string; message: string };
    expect(err.code).toBe('INVALID_EXPRESSION');
    expect(err.message).toMatch(/^pipeline error: 'JSONParserErr' for series: '\{__error__="JSONParserErr", .*pod="api-2"\}'/);
    expect(store.pool!.jobsDone).toBe(2);
  });
});

describe('metric queries on the pool: cancellation and thresholds', () => {
  const query = 'sum by (namespace) (count_over_time(pod{namespace=~".+"} [10m]))';

  it('an abort mid-query rejects with an AbortError, leaves no job behind, and the next query works', async () => {
    const store = openStore(FIXTURE_STORE, { workers: 2, parallelMinBytes: 0, rangeBytes: 6000 });
    opened.push(store);
    const want = await outcome(openStore(FIXTURE_STORE, { workers: 0 }), query, FIXTURE_RANGE);
    const ac = new AbortController();
    let progressCalls = 0;
    const run = store.queryMetric(query, {
      ...FIXTURE_RANGE,
      signal: ac.signal,
      onProgress: () => {
        progressCalls++;
        ac.abort(); // after the first file: most jobs are still queued or running
      },
    });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(progressCalls).toBe(1);
    expect(store.pool!.jobsDone).toBeGreaterThan(0);
    expect(store.pool!.pendingJobs).toBe(0);
    expect(await outcome(store, query, FIXTURE_RANGE)).toEqual(want);
  });

  it('an already aborted signal starts no job', async () => {
    const store = openStore(FIXTURE_STORE, { workers: 2, parallelMinBytes: 0 });
    opened.push(store);
    const ac = new AbortController();
    ac.abort();
    await expect(store.queryMetric(query, { ...FIXTURE_RANGE, signal: ac.signal })).rejects.toMatchObject({ name: 'AbortError' });
    expect(store.pool!.jobsDone).toBe(0);
  });

  it('a small store folds in-thread by default, as a count of the same plan scans in-thread', async () => {
    const store = openStore(FIXTURE_STORE, { workers: 2 });
    opened.push(store);
    const want = await outcome(openStore(FIXTURE_STORE, { workers: 0 }), query, FIXTURE_RANGE);
    expect(await outcome(store, query, FIXTURE_RANGE)).toEqual(want);
    await store.count('pod{namespace=~".+"}', FIXTURE_RANGE);
    expect(store.pool!.jobsDone).toBe(0);
  });
});

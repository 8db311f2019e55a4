/**
 * The options of each kind of call (issue 17): log queries take `LogQueryOptions`, metric
 * queries `MetricQueryOptions`, a count `ScanOptions`, `query()`/`result()` either. The
 * `@ts-expect-error` lines are the type contract (`npm run typecheck` covers test/): a
 * metric call or a count cannot be given `limit`/`direction`. At run time a JavaScript
 * caller's extra fields are still ignored, as before the split.
 */
import { describe, expect, it } from 'vitest';
import { openStore, type LogQueryOptions, type MetricQueryOptions, type QueryOptions, type ScanOptions } from '../src/node.js';
import { FIXTURE_STORE } from './support/paths.js';

const store = openStore(FIXTURE_STORE);
const WINDOW: ScanOptions = { start: '2024-09-24T13:00:00Z', end: '2024-09-24T16:00:00Z' };
const LOG = 'pod{namespace="shop"} |= "GET"';
const METRIC = 'sum(count_over_time(pod{namespace="shop"} |= "GET" [30m]))';

describe('options by kind of call', () => {
  it('a count takes the window and budgets only; a limit or direction given anyway is ignored', async () => {
    const want = (await store.count(LOG, WINDOW)).count;
    expect(want).toBeGreaterThan(1);
    // @ts-expect-error a count has no limit
    expect((await store.count(LOG, { ...WINDOW, limit: 1 })).count).toBe(want);
    // @ts-expect-error a count has no direction
    expect((await store.count(LOG, { ...WINDOW, direction: 'backward' })).count).toBe(want);
  });

  it('a metric query takes no limit; one given anyway is ignored', async () => {
    const opts: MetricQueryOptions = { ...WINDOW, step: '30m' };
    const want = (await store.queryMetric(METRIC, opts)).result;
    // @ts-expect-error a metric query has no limit
    expect((await store.queryMetric(METRIC, { ...opts, limit: 1 })).result).toEqual(want);
    // @ts-expect-error a metric query has no direction
    const plan = await store.explainMetric(METRIC, { ...opts, direction: 'backward' });
    expect(plan.ranges[0]!.plan.limit).toBeNull();
  });

  it('a log query takes no step; query() and result() take either kind', async () => {
    const log: LogQueryOptions = { ...WINDOW, limit: 3, direction: 'backward' };
    expect((await store.query(LOG, log)).numRows).toBe(3);
    // @ts-expect-error a log query has no step
    const s = store.stream(LOG, { ...WINDOW, step: '1m' });
    for await (const _ of s) void _;
    const either: QueryOptions = { ...WINDOW, limit: 3, step: '30m' };
    expect((await store.query(LOG, either)).numRows).toBe(3);
    const { stats } = await store.result(METRIC, either);
    expect(stats.rowsReturned).toBeGreaterThan(3); // a point every 30m over 3h: the limit is not the metric query's
  });
});

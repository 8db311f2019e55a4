/**
 * The wire of partial metric states (issue 18 part 3): a bucket or sample request survives
 * JSON (`metrics/source-wire.ts`), and an answer survives Arrow IPC (`arrow/partials.ts`) bit
 * for bit — NaN, ±Inf and -0 included, repeated label sets kept apart and in order, series
 * without lines kept (buckets), label key order kept. The route's end-to-end checks are in
 * `test/remote-members.test.ts`.
 */
import { describe, expect, it } from 'vitest';
import { fromArrowIPC, toArrowIPC } from '../../src/arrow/build.js';
import { bucketPartialsOf, bucketPartialsTable, samplePartialsOf, samplePartialsTable } from '../../src/arrow/partials.js';
import { emptyMetricStats } from '../../src/exec/metric-source.js';
import { partialRequestJson, readPartialRequest } from '../../src/metrics/source-wire.js';
import type { BucketRequest, BucketSeries, SampleRequest, SampleSeries } from '../../src/metrics/source.js';
import { parseQuery } from '../../src/query/index.js';
import type { MatrixSelector } from '../../src/query/ast.js';

const range = (parseQuery('count_over_time(pod{namespace="x"}[5m])') as { args: MatrixSelector[] }).args[0]!;
const roundTrip = <T>(t: T): T => fromArrowIPC(toArrowIPC(t as never)) as T;

describe('partial requests as JSON', () => {
  it('a bucket request and its needs come back as sent', () => {
    const req: BucketRequest = { kind: 'buckets', range, grid: { edgesNs: [-5n, 10n, 2n ** 62n] }, measures: ['count', 'bytes', 'max'], readIntervals: [{ startNs: -5n, endNs: 3n }, { startNs: 4n, endNs: 2n ** 62n }] };
    const body = JSON.parse(JSON.stringify(partialRequestJson('c', 'pod{namespace="x"}[5m]', req, { output: ['a'], keepsLabels: ['b'] })));
    const back = readPartialRequest(body);
    expect(back).toEqual({ cluster: 'c', rangeText: 'pod{namespace="x"}[5m]', request: { kind: 'buckets', grid: req.grid, measures: req.measures, readIntervals: req.readIntervals }, needs: { output: ['a'], keepsLabels: ['b'] } });
  });

  it('a sample request without needs reads every label', () => {
    const req: SampleRequest = { kind: 'samples', range, readIntervals: [{ startNs: 0n, endNs: 1n }] };
    const back = readPartialRequest(JSON.parse(JSON.stringify(partialRequestJson('c', 'r', req, undefined))));
    expect(back.request).toEqual({ kind: 'samples', readIntervals: req.readIntervals });
    expect(back.needs).toEqual({ output: 'all', keepsLabels: [] });
  });
});

describe('partial answers as Arrow', () => {
  const stats = { ...emptyMetricStats(), linesScanned: 7 };

  it('buckets: every measure bit for bit, repeated and empty series kept in order', () => {
    const series: BucketSeries[] = [
      { labels: { z: '1', a: '' }, count: Float64Array.of(0, 0, 0), bytes: Float64Array.of(0, 0, 0), max: Float64Array.of(NaN, NaN, NaN) },
      { labels: { a: 'x' }, count: Float64Array.of(1, 2, 3), bytes: Float64Array.of(10, 20, 30), max: Float64Array.of(-0, Infinity, -Infinity) },
      { labels: { a: 'x' }, count: Float64Array.of(4, 0, 1), bytes: Float64Array.of(1, 0, 1), max: Float64Array.of(1.5e300, NaN, 5e-324) },
    ];
    const table = roundTrip(bucketPartialsTable(series, 3, ['count', 'bytes', 'max'], stats));
    const back = bucketPartialsOf(table, 3, ['count', 'bytes', 'max']);
    expect(back.series).toEqual(series);
    expect(Object.keys(back.series[0]!.labels)).toEqual(['z', 'a']);
    expect(Object.is(back.series[1]!.max![0], -0)).toBe(true);
    expect(back.stats.linesScanned).toBe(7);
  });

  it('buckets: no series at all', () => {
    const back = bucketPartialsOf(roundTrip(bucketPartialsTable([], 4, ['count'], stats)), 4, ['count']);
    expect(back.series).toEqual([]);
  });

  it('buckets: an answer of another grid is refused', () => {
    const table = roundTrip(bucketPartialsTable([{ labels: {}, count: Float64Array.of(1, 2) }], 2, ['count'], stats));
    expect(() => bucketPartialsOf(table, 3, ['count'])).toThrow(/expected 3 buckets per series, got 2/);
  });

  it('samples: times and values in the source order, repeated series apart', () => {
    const series: SampleSeries[] = [
      { labels: { a: 'x' }, timesNs: BigInt64Array.of(5n, 1n, 5n), values: Float64Array.of(NaN, -1, 2) },
      { labels: { a: 'y' }, timesNs: BigInt64Array.of(), values: Float64Array.of() },
      { labels: { a: 'x' }, timesNs: BigInt64Array.of(-(2n ** 62n)), values: Float64Array.of(Infinity) },
    ];
    const back = samplePartialsOf(roundTrip(samplePartialsTable(series, stats)));
    // A series without samples contributes nothing and is not sent.
    expect(back.series).toEqual([series[0], series[2]]);
  });
});

/**
 * The source-side helpers an executor uses: bucket and sample accumulators, interval
 * membership, Loki's absent labels.
 */
import { describe, expect, it } from 'vitest';
import { absentLabelsOf, BucketAccumulator, inIntervals, SampleAccumulator, type BucketRequest, type SampleRequest } from '../../src/metrics/index.js';
import type { MatrixSelector, VectorSelector } from '../../src/query/ast.js';
import { parseQuery } from '../../src/query/index.js';

const range = parseQuery('count_over_time(pod{namespace="a"}[1m])') as unknown as { args: [MatrixSelector] };

describe('BucketAccumulator', () => {
  const request: BucketRequest = {
    kind: 'buckets',
    range: range.args[0],
    grid: { edgesNs: [0n, 10n, 20n, 30n] },
    measures: ['count', 'bytes', 'sum', 'min', 'max'],
    readIntervals: [{ startNs: 0n, endNs: 30n }],
  };

  it('adds each line to the bucket holding its time (left-open, right-closed)', () => {
    const acc = new BucketAccumulator(request);
    const s = acc.series({ namespace: 'a' });
    // Times 10 and 20 sit on edges: they belong to buckets 0 and 1. 0 and 31 are outside.
    const added = [
      [10n, 3, 1.5],
      [11n, 4, NaN],
      [20n, 5, -2],
      [0n, 100, 100],
      [31n, 100, 100],
    ].map(([t, bytes, v]) => acc.add(s, t as bigint, bytes as number, v as number));
    expect(added).toEqual([true, true, true, false, false]);
    const [out] = acc.result();
    expect([...out!.count]).toEqual([1, 2, 0]);
    expect([...out!.bytes!]).toEqual([3, 9, 0]);
    expect([...out!.sum!]).toEqual([1.5, NaN, 0]);
    // min/max skip NaN unless every value is NaN; an empty bucket is NaN.
    expect([...out!.min!]).toEqual([1.5, -2, NaN]);
    expect([...out!.max!]).toEqual([1.5, -2, NaN]);
  });

  it('keys series by label set, whatever the key order', () => {
    const acc = new BucketAccumulator({ ...request, measures: ['count'] });
    acc.add(acc.series({ a: '1', b: '2' }), 5n);
    acc.add(acc.series({ b: '2', a: '1' }), 15n);
    acc.add(acc.series({ a: '1' }), 15n);
    expect(acc.result().map((r) => [r.labels, [...r.count]])).toEqual([
      [{ a: '1', b: '2' }, [1, 1, 0]],
      [{ a: '1' }, [0, 1, 0]],
    ]);
    expect(acc.result()[0]!.bytes).toBeUndefined();
  });
});

describe('SampleAccumulator and inIntervals', () => {
  it('keeps samples inside the (start, end] intervals only', () => {
    const intervals = [
      { startNs: 0n, endNs: 10n },
      { startNs: 20n, endNs: 30n },
    ];
    expect([0n, 1n, 10n, 11n, 20n, 21n, 30n, 31n].map((t) => inIntervals(intervals, t))).toEqual([false, true, true, false, false, true, true, false]);
    const request: SampleRequest = { kind: 'samples', range: range.args[0], readIntervals: intervals };
    const acc = new SampleAccumulator(request);
    const s = acc.series({ pod: 'p' });
    for (const t of [5n, 15n, 25n, 10n]) acc.add(s, t, Number(t));
    const [out] = acc.result();
    expect([...out!.timesNs]).toEqual([5n, 25n, 10n]);
    expect([...out!.values]).toEqual([5, 25, 10]);
  });
});

describe('absentLabelsOf (Loki)', () => {
  it.each([
    ['pod{namespace="a"}', { namespace: 'a' }],
    ['pod{namespace="a", pod="p", container!="c"}', { namespace: 'a', pod: 'p' }],
    ['pod{namespace=~"a.*"}', {}],
    // A name with two matchers is ambiguous and left out.
    ['pod{namespace="a", pod="p", pod=~"p.*"}', { namespace: 'a' }],
  ])('%s', (q, want) => {
    expect(absentLabelsOf(parseQuery(q) as VectorSelector)).toEqual(want);
  });
});

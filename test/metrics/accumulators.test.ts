/**
 * Merging accumulators (what the worker pool does with each job's fold): for every split of
 * one stream of lines into consecutive parts, folding the parts separately and merging
 * their partials in order must give exactly what one accumulator fed every line gives —
 * series order, counts, bytes, min/max (NaN as absent), samples in order, and sums, which
 * are kept exactly (a plain running sum of these values differs between splits).
 */
import { describe, expect, it } from 'vitest';
import { BucketAccumulator, SampleAccumulator } from '../../src/metrics/accumulators.js';
import type { BucketMeasure, SampleRequest } from '../../src/metrics/source.js';

const grid = { edgesNs: [0n, 10n, 20n, 30n, 40n] };
const measures: BucketMeasure[] = ['count', 'bytes', 'sum', 'min', 'max'];

/** [series, time, bytes, value]: values whose plain running sums depend on the order of additions. */
const LINES: [string, bigint, number, number][] = [
  ['a', 5n, 3, 0.1], ['b', 5n, 4, NaN], ['a', 7n, 1, 0.2], ['a', 15n, 2, 0.3], ['b', 12n, 9, 1e-17],
  ['c', 50n, 1, 7], ['a', 18n, 5, -0], ['b', 19n, 2, 0.7], ['a', 25n, 8, 0.1], ['a', 26n, 1, 0.2],
  ['b', 33n, 3, NaN], ['a', 31n, 6, 1e16], ['a', 32n, 6, 1], ['a', 34n, 6, -1e16], ['b', 38n, 1, 0.3],
];

function fold(lines: typeof LINES): BucketAccumulator {
  const acc = new BucketAccumulator({ grid, measures });
  for (const [s, t, bytes, v] of lines) acc.add(acc.series({ s }), t, bytes, v);
  return acc;
}

describe('BucketAccumulator partials', () => {
  const cuts: number[][] = [[], [1], [7], [3, 9], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]];
  it.each(cuts)('split at %s merges to the whole', (...at) => {
    const whole = fold(LINES).result();
    const merged = new BucketAccumulator({ grid, measures });
    const bounds = [0, ...at, LINES.length];
    for (let k = 0; k + 1 < bounds.length; k++) for (const p of fold(LINES.slice(bounds[k], bounds[k + 1])).partials()) merged.addPartial(structuredClone(p));
    expect(merged.result()).toEqual(whole);
  });

  it('sums are exact: 0.1 + 0.2 + 0.3 is 0.6, and 1e16 + 1 − 1e16 is 1', () => {
    const sums = fold(LINES).result().find((s) => s.labels['s'] === 'a')!.sum!;
    expect([...sums]).toEqual([0.30000000000000004, 0.3, 0.30000000000000004, 1]);
    expect(0.1 + 0.2).toBe(0.30000000000000004); // correctly rounded, as one addition is
  });

  it('min/max take NaN as absent; series seen only outside the grid are listed, empty', () => {
    const [, b, c] = fold(LINES).result();
    expect([...b!.min!]).toEqual([NaN, 1e-17, NaN, 0.3]);
    expect([...b!.max!]).toEqual([NaN, 0.7, NaN, 0.3]);
    expect(c!.labels).toEqual({ s: 'c' });
    expect([...c!.count]).toEqual([0, 0, 0, 0]);
    expect(fold(LINES).partials().map((p) => [p.labels['s'], p.first, p.count.length])).toEqual([
      ['a', 0, 4],
      ['b', 0, 4],
      ['c', 4, 0],
    ]);
  });

  it('a partial that does not fit the grid is refused', () => {
    const acc = new BucketAccumulator({ grid, measures: ['count'] });
    expect(() => acc.addPartial({ labels: {}, first: 3, count: new Float64Array(2) })).toThrow(RangeError);
  });
});

describe('SampleAccumulator.addSeries', () => {
  it('appends in merge order, so that split folds merge to the whole', () => {
    const request: SampleRequest = { kind: 'samples', range: null as never, readIntervals: [{ startNs: 0n, endNs: 40n }] };
    const feed = (acc: SampleAccumulator, lines: typeof LINES): SampleAccumulator => {
      for (const [s, t, , v] of lines) acc.add(acc.series({ s }), t, v);
      return acc;
    };
    const whole = feed(new SampleAccumulator(request), LINES).result();
    const merged = new SampleAccumulator(request);
    for (const part of [LINES.slice(0, 4), LINES.slice(4, 11), LINES.slice(11)]) for (const s of feed(new SampleAccumulator(request), part).result()) merged.addSeries(s);
    expect(merged.result()).toEqual(whole);
    expect(whole.map((s) => s.labels['s'])).toEqual(['a', 'b', 'c']);
    expect(whole[2]!.values.length).toBe(0); // 50 is outside (0, 40]
  });
});

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
import { mulberry32 } from '../../scripts/lib/prng.mjs';

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
      ['c', 0, 0],
    ]);
  });

  // Slots hold a window of the grid that grows as lines arrive; a long grid (days at 1m)
  // must give exactly the full-grid answer whatever order buckets are hit in.
  it.each([
    ['forward', (i: number) => i],
    ['backward', (i: number) => 4999 - i],
    ['scattered', (i: number) => (i * 7919) % 5000],
    ['both ends first', (i: number) => (i % 2 === 0 ? i / 2 : 4999 - (i - 1) / 2)],
  ])('a 5,000-bucket grid hit %s gives the full-grid answer, whole and merged from parts', (_name, order) => {
    const edgesNs = Array.from({ length: 5001 }, (_, i) => BigInt(i) * 10n);
    const big = { edgesNs };
    const rnd = mulberry32(7);
    const lines: [string, bigint, number, number][] = [];
    for (let i = 0; i < 5000; i += 1 + Math.floor(rnd() * 3)) {
      const b = order(i);
      lines.push([rnd() < 0.5 ? 'a' : 'b', BigInt(b) * 10n + 1n + BigInt(Math.floor(rnd() * 9)), 1 + Math.floor(rnd() * 9), Math.floor(rnd() * 100) / 8]);
    }
    const expected = new Map<string, { count: number[]; bytes: number[]; sum: number[]; min: number[]; max: number[] }>();
    for (const [s, t, bytes, v] of lines) {
      let e = expected.get(s);
      if (!e) expected.set(s, (e = { count: Array(5000).fill(0), bytes: Array(5000).fill(0), sum: Array(5000).fill(0), min: Array(5000).fill(NaN), max: Array(5000).fill(NaN) }));
      const b = Number((t - 1n) / 10n);
      e.count[b]! += 1;
      e.bytes[b]! += bytes;
      e.sum[b]! += v; // eighths: exact in any order
      e.min[b] = Number.isNaN(e.min[b]!) ? v : Math.min(e.min[b]!, v);
      e.max[b] = Number.isNaN(e.max[b]!) ? v : Math.max(e.max[b]!, v);
    }
    const feed = (part: typeof lines): BucketAccumulator => {
      const acc = new BucketAccumulator({ grid: big, measures });
      for (const [s, t, bytes, v] of part) acc.add(acc.series({ s }), t, bytes, v);
      return acc;
    };
    const whole = feed(lines);
    const merged = new BucketAccumulator({ grid: big, measures });
    for (let k = 0; k < lines.length; k += 97) for (const p of feed(lines.slice(k, k + 97)).partials()) merged.addPartial(structuredClone(p));
    for (const result of [whole.result(), merged.result()]) {
      expect(result.map((r) => r.labels['s']).sort()).toEqual([...expected.keys()].sort());
      for (const r of result) {
        const e = expected.get(r.labels['s']!)!;
        expect([...r.count]).toEqual(e.count);
        expect([...r.bytes!]).toEqual(e.bytes);
        expect([...r.sum!]).toEqual(e.sum);
        expect([...r.min!]).toEqual(e.min);
        expect([...r.max!]).toEqual(e.max);
      }
    }
  });

  it('a partial that does not fit the grid is refused', () => {
    const acc = new BucketAccumulator({ grid, measures: ['count'] });
    expect(() => acc.addPartial({ labels: {}, first: 3, count: new Float64Array(2) })).toThrow(/internal error: a bucket partial/);
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

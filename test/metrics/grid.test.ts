/**
 * The bucket grid: edges for the three shapes (range a multiple of the step, shorter than
 * the step, neither), window → bucket runs, read intervals, the locator at exact edges,
 * and step times with their limits.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LetheQLError } from '../../src/errors.js';
import { bucketLocator, planWindows, stepTimes } from '../../src/metrics/index.js';

const b = (xs: number[]): bigint[] => xs.map(BigInt);
const runs = (p: ReturnType<typeof planWindows>): [number, number][] => [...p.firstBucket].map((f, w) => [f, p.endBucket[w]!]);

describe('planWindows', () => {
  it.each([
    {
      name: 'range = 2 × step: edges every step, each window two buckets',
      // Window ends R = 10, 15, 20; range 10 → L = 0, 5, 10. Edges 0 5 10 15 20.
      ends: [10, 15, 20],
      range: 10,
      edges: [0, 5, 10, 15, 20],
      runs: [[0, 2], [1, 3], [2, 4]],
      read: [[0, 20]],
    },
    {
      name: 'range < step: a window bucket, then a gap bucket',
      // R = 10, 30, 50; range 5 → L = 5, 25, 45. Buckets (5,10] (10,25] (25,30] (30,45] (45,50].
      ends: [10, 30, 50],
      range: 5,
      edges: [5, 10, 25, 30, 45, 50],
      runs: [[0, 1], [2, 3], [4, 5]],
      read: [[5, 10], [25, 30], [45, 50]],
    },
    {
      name: 'range neither a multiple nor a divisor of the step: two cuts per step',
      // R = 10, 17, 24; range 10 → L = 0, 7, 14. Edges 0 7 10 14 17 24.
      ends: [10, 17, 24],
      range: 10,
      edges: [0, 7, 10, 14, 17, 24],
      runs: [[0, 2], [1, 4], [3, 5]],
      read: [[0, 24]],
    },
    {
      name: 'range = step: windows tile',
      ends: [10, 20, 30],
      range: 10,
      edges: [0, 10, 20, 30],
      runs: [[0, 1], [1, 2], [2, 3]],
      read: [[0, 30]],
    },
    {
      name: 'one window (instant query or @)',
      ends: [100, 100, 100],
      range: 60,
      edges: [40, 100],
      runs: [[0, 1]],
      read: [[40, 100]],
    },
  ])('$name', ({ ends, range, edges, runs: want, read }) => {
    const p = planWindows(b(ends), BigInt(range));
    expect(p.grid.edgesNs).toEqual(b(edges));
    expect(runs(p)).toEqual(want);
    expect(p.readIntervals.map((i) => [Number(i.startNs), Number(i.endNs)])).toEqual(read);
  });

  it('has at most 2n − 1 buckets, and each window is exactly its buckets (random ranges and steps)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: 40 }), (range, step, n) => {
        const ends = Array.from({ length: n }, (_, k) => BigInt(1000 + k * step));
        const p = planWindows(ends, BigInt(range));
        const e = p.grid.edgesNs;
        expect(e.length - 1).toBeLessThanOrEqual(2 * n - 1);
        p.windows.forEach((w, k) => {
          expect(e[p.firstBucket[k]!]).toBe(w.leftNs);
          expect(e[p.endBucket[k]!]).toBe(w.rightNs);
        });
      }),
    );
  });
});

describe('bucketLocator', () => {
  it('puts an instant exactly on an edge in the bucket to its left (left-open, right-closed)', () => {
    const locate = bucketLocator({ edgesNs: b([0, 5, 10, 15, 20]) });
    expect([0, 1, 5, 6, 10, 14, 15, 16, 20, 21, -3].map((t) => locate(BigInt(t)))).toEqual([-1, 0, 0, 1, 1, 2, 2, 3, 3, -1, -1]);
  });

  it('agrees with a linear scan on irregular grids, near and far from the epoch', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 10_000 }), { minLength: 2, maxLength: 30 }),
        fc.array(fc.integer({ min: -10, max: 10_010 }), { maxLength: 50 }),
        fc.constantFrom(0n, 1_257_894_000_000_000_000n),
        fc.constantFrom(1n, 1_000_000n),
        (edgeList, probes, base, scale) => {
          const edges = [...edgeList].sort((x, y) => x - y).map((x) => base + BigInt(x) * scale);
          const locate = bucketLocator({ edgesNs: edges });
          for (const p of probes) {
            const t = base + BigInt(p) * scale;
            const want = edges.findIndex((e, i) => i + 1 < edges.length && e < t && t <= edges[i + 1]!);
            expect(locate(t)).toBe(want);
          }
        },
      ),
    );
  });

  it('works over spans beyond 2^53 ns (binary search)', () => {
    const locate = bucketLocator({ edgesNs: [0n, 2n ** 60n, 2n ** 61n] });
    expect([1n, 2n ** 60n, 2n ** 60n + 1n, 2n ** 61n, 2n ** 61n + 1n].map(locate)).toEqual([0, 0, 1, 1, -1]);
  });
});

describe('stepTimes', () => {
  it('an instant query is one step', () => {
    expect(stepTimes({ startNs: 7n, endNs: 7n, stepNs: 0n })).toEqual([7n]);
  });
  it('steps start at start and do not pass end', () => {
    expect(stepTimes({ startNs: 0n, endNs: 100n, stepNs: 30n })).toEqual([0n, 30n, 60n, 90n]);
    expect(stepTimes({ startNs: 0n, endNs: 90n, stepNs: 30n })).toEqual([0n, 30n, 60n, 90n]);
  });
  it.each([
    { t: { startNs: 0n, endNs: 10n, stepNs: 0n }, msg: 'zero or negative query resolution step' },
    { t: { startNs: 10n, endNs: 0n, stepNs: 1n }, msg: 'end is before start' },
    { t: { startNs: 0n, endNs: 11_000n, stepNs: 1n }, msg: 'exceeded maximum resolution of 11,000 points per series' },
  ])('rejects $msg', ({ t, msg }) => {
    expect(() => stepTimes(t)).toThrow(LetheQLError);
    expect(() => stepTimes(t)).toThrow(msg);
  });
  it('11,000 steps are allowed', () => {
    expect(stepTimes({ startNs: 0n, endNs: 10_999n, stepNs: 1n })).toHaveLength(11_000);
  });
});

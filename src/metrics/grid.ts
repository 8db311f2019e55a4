/**
 * Evaluation times, range windows and the bucket grid that lets a scan count without
 * materialising lines.
 *
 * ## The windows
 * A range query evaluates at `t_k = start + k·step` for `k = 0 … n−1` (`t_{n−1} ≤ end`); an
 * instant query is the case `n = 1`. A range aggregation `f(sel[r] offset o)` at `t_k` reads
 * the window `W_k = (R_k − r, R_k]` with `R_k = t_k − o` (PromQL's window: left-open,
 * right-closed; a sample exactly at `R_k − r` belongs to the previous window, one exactly
 * at `R_k` to this one). With `@ T` every step reads the same window, `R = T − o`.
 *
 * ## The grid
 * Write `L_k = R_k − r`. The windows' edges are the `2n` instants `{L_k} ∪ {R_k}`; sorted
 * and deduplicated they are the grid's edges `e_0 < e_1 < … < e_m`, and bucket `i` is
 * `(e_i, e_{i+1}]` — left-open, right-closed like the windows. Every window is then a run
 * of whole buckets: `W_k = ⋃ { bucket i : idx(L_k) ≤ i < idx(R_k) }` where `idx(x)` is the
 * position of edge `x`. So a scan that adds each line to the one bucket holding its
 * timestamp gives every window's count as a sum of consecutive buckets, with no line
 * counted twice however much the windows overlap, and no line outside `(e_0, e_m]` read.
 *
 * There are at most `2n − 1` buckets whatever the range and step (a uniform grid of
 * `gcd(step, range)` would need `(end − start + range) / gcd` buckets, unbounded when the
 * step and range are coprime). When `r` is a multiple of the step the edges coincide
 * (`L_{k+q} = R_k` for `r = q·step`) and the grid is `n + q − 1` buckets of width `step`; when
 * `r < step` the buckets alternate between a window (width `r`) and a gap that lies in no
 * window: {@link WindowPlan.readIntervals} tells a scan it may skip the gaps.
 *
 * {@link bucketLocator} maps a timestamp to its bucket in O(1) for the grids this module
 * builds (a cell table over the edges, then a step or two), so an executor can call it
 * once per counted line.
 */
import { LetheQLError } from '../errors.js';

/** When a metric query is evaluated: `start` (= `end` for an instant query) and `step` (0 for instant). */
export interface EvalTimes {
  startNs: bigint;
  endNs: bigint;
  /** 0n for an instant query; otherwise > 0. */
  stepNs: bigint;
}

/** Prometheus' and Loki's cap on points per series (`?step=` too small for the range). */
export const DEFAULT_MAX_POINTS = 11_000;

/**
 * The evaluation instants of `times`, checked: a range query needs `step > 0`, `end ≥
 * start` and at most `maxPoints` steps.
 */
export function stepTimes(times: EvalTimes, maxPoints = DEFAULT_MAX_POINTS): bigint[] {
  const { startNs, endNs, stepNs } = times;
  if (endNs < startNs) throw new LetheQLError('INVALID_RANGE', 'invalid query range: end is before start');
  if (startNs === endNs) return [startNs];
  if (stepNs <= 0n) {
    throw new LetheQLError('INVALID_RANGE', 'zero or negative query resolution step widths are not accepted: give a positive step');
  }
  const n = (endNs - startNs) / stepNs + 1n;
  if (n > BigInt(maxPoints)) {
    throw new LetheQLError(
      'INVALID_RANGE',
      `exceeded maximum resolution of ${maxPoints.toLocaleString('en-US')} points per series: try a larger step (the range needs ${n} steps)`,
    );
  }
  const out: bigint[] = [];
  for (let k = 0n; k < n; k++) out.push(startNs + k * stepNs);
  return out;
}

/**
 * Buckets over time, as plain data: bucket `i` is `(edgesNs[i], edgesNs[i+1]]`. Edges are
 * strictly increasing and there are at least two.
 */
export interface BucketGrid {
  readonly edgesNs: readonly bigint[];
}

/** Where each window of a range aggregation lies on its grid. */
export interface WindowPlan {
  grid: BucketGrid;
  /** Window `w` is buckets `[firstBucket[w], endBucket[w])`. */
  firstBucket: Int32Array;
  endBucket: Int32Array;
  /** Window `w` as `(leftNs, rightNs]`. */
  windows: readonly { leftNs: bigint; rightNs: bigint }[];
  /**
   * The union of the windows as disjoint, sorted `(startNs, endNs]` intervals: the only
   * instants a scan must read. Buckets outside them (the gaps when range < step) are never
   * read by the evaluator and may be left at zero.
   */
  readIntervals: readonly { startNs: bigint; endNs: bigint }[];
}

/**
 * Plans the windows `(R − range, R]` for the given window ends (non-decreasing; equal ends
 * share a window, as with `@`). `rangeNs > 0`.
 */
export function planWindows(windowEndsNs: readonly bigint[], rangeNs: bigint): WindowPlan {
  if (rangeNs <= 0n) throw new LetheQLError('INVALID_RANGE', 'a range must be positive');
  const ends: bigint[] = [];
  for (const r of windowEndsNs) if (ends.length === 0 || ends[ends.length - 1] !== r) ends.push(r);
  // Merge the two sorted progressions L_k = R_k − range and R_k into the edge list.
  const edges: bigint[] = [];
  let i = 0;
  let j = 0;
  const push = (x: bigint): void => {
    if (edges.length === 0 || edges[edges.length - 1]! < x) edges.push(x);
  };
  while (i < ends.length || j < ends.length) {
    const left = i < ends.length ? ends[i]! - rangeNs : null;
    const right = j < ends.length ? ends[j]! : null;
    if (left !== null && (right === null || left <= right)) {
      push(left);
      i++;
    } else {
      push(right!);
      j++;
    }
  }
  const position = new Map<bigint, number>();
  edges.forEach((e, k) => position.set(e, k));
  const windows = ends.map((r) => ({ leftNs: r - rangeNs, rightNs: r }));
  const firstBucket = Int32Array.from(windows, (w) => position.get(w.leftNs)!);
  const endBucket = Int32Array.from(windows, (w) => position.get(w.rightNs)!);
  const readIntervals: { startNs: bigint; endNs: bigint }[] = [];
  for (const w of windows) {
    const last = readIntervals[readIntervals.length - 1];
    // (a, b] and (c, d] with c ≤ b cover (a, d] without a hole.
    if (last !== undefined && w.leftNs <= last.endNs) last.endNs = w.rightNs;
    else readIntervals.push({ startNs: w.leftNs, endNs: w.rightNs });
  }
  return { grid: { edgesNs: edges }, firstBucket, endBucket, windows, readIntervals };
}

/** Largest span (ns) over which edge offsets are exact as doubles. */
const EXACT_SPAN = 2n ** 53n;

/**
 * A function from a timestamp to its bucket index on `grid`, or −1 when the timestamp is
 * outside `(e_0, e_m]`. O(1) for near-uniform grids (every grid {@link planWindows} builds);
 * a binary search otherwise. Build it once per request and call it per line.
 */
export function bucketLocator(grid: BucketGrid): (timeNs: bigint) => number {
  const edges = grid.edgesNs;
  const buckets = edges.length - 1;
  if (buckets < 1) return () => -1;
  const base = edges[0]!;
  const spanNs = edges[buckets]! - base;
  if (spanNs >= EXACT_SPAN) {
    return (t) => {
      if (t <= base || t > edges[buckets]!) return -1;
      let lo = 0;
      let hi = buckets - 1;
      // Smallest i with edges[i + 1] ≥ t.
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (edges[mid + 1]! >= t) hi = mid;
        else lo = mid + 1;
      }
      return lo;
    };
  }
  const span = Number(spanNs);
  const rel = Float64Array.from(edges, (e) => Number(e - base));
  const cells = Math.min(Math.max(1, buckets * 2), 1 << 20);
  const width = span / cells;
  // cellStart[c]: the first bucket whose right edge reaches the cell's start.
  const cellStart = new Int32Array(cells);
  let b = 0;
  for (let c = 0; c < cells; c++) {
    const from = c * width;
    while (b < buckets - 1 && rel[b + 1]! < from) b++;
    cellStart[c] = b;
  }
  return (t) => {
    const x = Number(t - base);
    if (x <= 0 || x > span) return -1;
    let i = cellStart[Math.min(cells - 1, Math.floor(x / width))]!;
    // Float rounding of the cell may overshoot by one bucket; the edge comparisons are exact.
    while (i > 0 && rel[i]! >= x) i--;
    while (rel[i + 1]! < x) i++;
    return i;
  };
}

/**
 * The bookkeeping of a {@link LogSampleSource} that sees lines one at a time: per series,
 * buckets of a grid ({@link BucketAccumulator}) or samples ({@link SampleAccumulator}).
 *
 * A scan split into jobs (the worker pool, `exec/workers/parallel.ts`) fills one accumulator per
 * job and merges them on the main thread: {@link BucketAccumulator.partials} gives a job's
 * series trimmed to the buckets it touched, {@link BucketAccumulator.addPartial} adds one
 * into another accumulator; {@link SampleAccumulator.addSeries} appends a job's samples.
 * Merged in store order, the answer equals a single accumulator fed in store order: the
 * same series in the same order (first seen first), counts and bytes alike (integers),
 * min/max alike (NaN treated as absent, first of equals kept), samples in the same order.
 *
 * Sums of unwrapped values: a plain running sum depends on the order of its additions, and
 * partial sums added job by job would differ from one running sum in the last bits (3-
 * decimal response times did). So each bucket's sum is kept as a double-double: the running
 * sum plus the exact rounding errors of its additions (Knuth's TwoSum), added into a second
 * array; the answer is their sum, the correctly rounded total whenever the errors add up
 * exactly (values within ~50 binary orders of magnitude of each other), in any order and
 * any split. It is also more accurate than the plain sum, as Prometheus' Kahan sums are.
 *
 * Plain TypeScript with no import beyond `grid.ts` and `labels.ts`: the scan workers fold
 * with it, and must not load the query parser.
 */
import type { BucketMeasure, BucketRequest, BucketSeries, SampleRequest, SampleSeries, TimeInterval } from './source.js';
import { bucketLocator } from './grid.js';
import { labelsKey, type Labels } from './labels.js';
import { InternalError } from '../errors.js';

/** A handle on one series inside an accumulator (cheap to keep per stream). */
export interface AccumulatorSeries {
  readonly labels: Labels;
}

/** A series' measures, one element per bucket (only those the request asks for). */
export interface BucketMeasureArrays {
  count: Float64Array;
  bytes?: Float64Array;
  sum?: Float64Array;
  /** With `sum`: the rounding errors of its additions (see the module note). */
  sumErr?: Float64Array;
  min?: Float64Array;
  max?: Float64Array;
}

/**
 * One series of a {@link BucketAccumulator}'s partial answer: its measures over buckets
 * `[first, first + count.length)` of the grid (plain data: it crosses threads).
 */
export interface BucketPartial extends BucketMeasureArrays {
  labels: Labels;
  first: number;
}

/** Adds `v` into double-double `(hi[i], lo[i])`: TwoSum's exact error goes into `lo`. */
function addExact(hi: Float64Array, lo: Float64Array, i: number, v: number): void {
  const s = hi[i]!;
  const t = s + v;
  const vv = t - s;
  lo[i]! += s - (t - vv) + (v - vv);
  hi[i] = t;
}

/**
 * A series' buckets `[first, first + count.length)` of the grid: a window that grows (at
 * least doubling) to cover the buckets lines fall in. A job reads one file, an hour of what
 * may be a days-long grid, so a full-grid array per series and job (~6,000 buckets at step
 * 1m over four days) was most of a count's cost, in allocation and GC.
 */
interface BucketSlot extends AccumulatorSeries, BucketMeasureArrays {
  first: number;
}

/** Smallest window a slot starts with. */
const MIN_WINDOW = 64;

/**
 * Fills the answer to a {@link BucketRequest} one line at a time: look a series up once
 * ({@link BucketAccumulator.series}), then {@link BucketAccumulator.add} each surviving line.
 */
export class BucketAccumulator {
  private readonly slots = new Map<string, BucketSlot>();
  private readonly locate: (timeNs: bigint) => number;
  private readonly size: number;
  private readonly measures: ReadonlySet<BucketMeasure>;

  /** `locate`: the grid's {@link bucketLocator}, when the caller already has it (a worker builds it once per query, not per job). */
  constructor(request: Pick<BucketRequest, 'grid' | 'measures'>, locate: (timeNs: bigint) => number = bucketLocator(request.grid)) {
    this.locate = locate;
    this.size = Math.max(0, request.grid.edgesNs.length - 1);
    this.measures = new Set(request.measures);
  }

  /** The slot of a label set (created on first use, with no buckets yet). */
  series(labels: Labels): AccumulatorSeries {
    const key = labelsKey(labels);
    let slot = this.slots.get(key);
    if (slot === undefined) {
      slot = { labels, first: 0, count: new Float64Array(0) };
      if (this.measures.has('bytes')) slot.bytes = new Float64Array(0);
      if (this.measures.has('sum')) {
        slot.sum = new Float64Array(0);
        slot.sumErr = new Float64Array(0);
      }
      if (this.measures.has('min')) slot.min = new Float64Array(0);
      if (this.measures.has('max')) slot.max = new Float64Array(0);
      this.slots.set(key, slot);
    }
    return slot;
  }

  /** Grows `slot`'s window to cover buckets `[from, to)` (within the grid). */
  private cover(slot: BucketSlot, from: number, to: number): void {
    const len = slot.count.length;
    if (from >= slot.first && to <= slot.first + len) return;
    let first = len === 0 ? from : Math.min(from, slot.first);
    let end = len === 0 ? to : Math.max(to, slot.first + len);
    const want = Math.min(this.size, Math.max(end - first, 2 * len, MIN_WINDOW));
    // Grow away from the side that was hit, so that a scan moving one way keeps doubling.
    if (len > 0 && from < slot.first) first = Math.max(0, end - want);
    else end = Math.min(this.size, first + want);
    if (end - first < want) first = Math.max(0, end - want);
    const move = (a: Float64Array, fill: number): Float64Array => {
      const b = new Float64Array(end - first);
      if (fill !== 0) b.fill(fill);
      if (len > 0) b.set(a, slot.first - first);
      return b;
    };
    slot.count = move(slot.count, 0);
    if (slot.bytes) slot.bytes = move(slot.bytes, 0);
    if (slot.sum) {
      slot.sum = move(slot.sum, 0);
      slot.sumErr = move(slot.sumErr!, 0);
    }
    if (slot.min) slot.min = move(slot.min, NaN);
    if (slot.max) slot.max = move(slot.max, NaN);
    slot.first = first;
  }

  /**
   * Adds one line (`bytes` long) or unwrapped sample (`value`) at `timeNs`. Returns false
   * (and adds nothing) when the time is outside the grid.
   */
  add(series: AccumulatorSeries, timeNs: bigint, bytes = 0, value = 0): boolean {
    const g = this.locate(timeNs);
    if (g < 0) return false;
    const slot = series as BucketSlot;
    let b = g - slot.first;
    if (b < 0 || b >= slot.count.length) {
      this.cover(slot, g, g + 1);
      b = g - slot.first;
    }
    slot.count[b]! += 1;
    if (slot.bytes) slot.bytes[b]! += bytes;
    if (slot.sum) addExact(slot.sum, slot.sumErr!, b, value);
    if (slot.min) {
      const m = slot.min[b]!;
      if (value < m || Number.isNaN(m)) slot.min[b] = value;
    }
    if (slot.max) {
      const m = slot.max[b]!;
      if (value > m || Number.isNaN(m)) slot.max[b] = value;
    }
    return true;
  }

  /**
   * Each series as a {@link BucketPartial}, in the order series were first seen, trimmed to
   * the buckets it has lines in (a job reads one file: an hour of a long grid). A series
   * seen but with no line in the grid is listed with empty arrays.
   */
  partials(): BucketPartial[] {
    return [...this.slots.values()].map((slot) => {
      const len = slot.count.length;
      let first = 0;
      while (first < len && slot.count[first] === 0) first++;
      let end = len;
      while (end > first && slot.count[end - 1] === 0) end--;
      const cut = (a: Float64Array): Float64Array => a.slice(first, end);
      const p: BucketPartial = { labels: slot.labels, first: first === end ? 0 : slot.first + first, count: cut(slot.count) };
      if (slot.bytes) p.bytes = cut(slot.bytes);
      if (slot.sum) {
        p.sum = cut(slot.sum);
        p.sumErr = cut(slot.sumErr!);
      }
      if (slot.min) p.min = cut(slot.min);
      if (slot.max) p.max = cut(slot.max);
      return p;
    });
  }

  /** Adds a partial answer of an accumulator with the same grid and measures (see the module note). */
  addPartial(p: BucketPartial): void {
    const slot = this.series(p.labels) as BucketSlot;
    const n = p.count.length;
    if (p.first < 0 || p.first + n > this.size) throw new InternalError(`a bucket partial of ${n} buckets from ${p.first} does not fit a grid of ${this.size}`);
    if (n === 0) return;
    this.cover(slot, p.first, p.first + n);
    const at = p.first - slot.first;
    for (let i = 0; i < n; i++) slot.count[at + i]! += p.count[i]!;
    if (slot.bytes && p.bytes) for (let i = 0; i < n; i++) slot.bytes[at + i]! += p.bytes[i]!;
    if (slot.sum && p.sum) {
      const err = slot.sumErr!;
      for (let i = 0; i < n; i++) {
        addExact(slot.sum, err, at + i, p.sum[i]!);
        if (p.sumErr) err[at + i]! += p.sumErr[i]!;
      }
    }
    if (slot.min && p.min) {
      for (let i = 0; i < n; i++) {
        const v = p.min[i]!;
        const m = slot.min[at + i]!;
        if (v < m || Number.isNaN(m)) slot.min[at + i] = v; // as add(): NaN only if every value is
      }
    }
    if (slot.max && p.max) {
      for (let i = 0; i < n; i++) {
        const v = p.max[i]!;
        const m = slot.max[at + i]!;
        if (v > m || Number.isNaN(m)) slot.max[at + i] = v;
      }
    }
  }

  /** The answer: every series seen, with its measures over the whole grid. */
  result(): BucketSeries[] {
    return [...this.slots.values()].map((slot) => {
      const full = (a: Float64Array, fill: number): Float64Array => {
        if (slot.first === 0 && a.length === this.size) return a;
        const b = new Float64Array(this.size);
        if (fill !== 0) b.fill(fill);
        b.set(a, slot.first);
        return b;
      };
      const out: BucketSeries = { labels: slot.labels, count: full(slot.count, 0) };
      if (slot.bytes) out.bytes = full(slot.bytes, 0);
      if (slot.sum) {
        // An infinite or NaN running sum is the answer as it stands (its errors are NaN).
        const err = slot.sumErr!;
        out.sum = full(Float64Array.from(slot.sum, (h, i) => (Number.isFinite(h) ? h + err[i]! : h)), 0);
      }
      if (slot.min) out.min = full(slot.min, NaN);
      if (slot.max) out.max = full(slot.max, NaN);
      return out;
    });
  }
}

/** Within `(start, end]` of one of the intervals (sorted, disjoint)? */
export function inIntervals(intervals: readonly TimeInterval[], timeNs: bigint): boolean {
  let lo = 0;
  let hi = intervals.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (intervals[mid]!.endNs < timeNs) lo = mid + 1;
    else hi = mid;
  }
  return lo < intervals.length && intervals[lo]!.startNs < timeNs;
}

/** Collects the answer to a {@link SampleRequest} one sample at a time. */
export class SampleAccumulator {
  private readonly slots = new Map<string, { labels: Labels; times: bigint[]; values: number[] }>();
  constructor(private readonly request: Pick<SampleRequest, 'readIntervals'>) {}

  series(labels: Labels): AccumulatorSeries {
    const key = labelsKey(labels);
    let slot = this.slots.get(key);
    if (slot === undefined) {
      slot = { labels, times: [], values: [] };
      this.slots.set(key, slot);
    }
    return slot;
  }

  /** Adds one sample; false (nothing added) when outside the request's intervals. */
  add(series: AccumulatorSeries, timeNs: bigint, value: number): boolean {
    if (!inIntervals(this.request.readIntervals, timeNs)) return false;
    const slot = series as AccumulatorSeries & { times: bigint[]; values: number[] };
    slot.times.push(timeNs);
    slot.values.push(value);
    return true;
  }

  /** Appends a partial answer (of an accumulator with the same intervals) to its series, after the samples already there. */
  addSeries(s: SampleSeries): void {
    const slot = this.series(s.labels) as AccumulatorSeries & { times: bigint[]; values: number[] };
    for (let i = 0; i < s.timesNs.length; i++) {
      slot.times.push(s.timesNs[i]!);
      slot.values.push(s.values[i]!);
    }
  }

  result(): SampleSeries[] {
    return [...this.slots.values()].map((s) => ({ labels: s.labels, timesNs: BigInt64Array.from(s.times), values: Float64Array.from(s.values) }));
  }
}

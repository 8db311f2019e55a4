/**
 * Result order and row keeping, shared by the local scan job, the scan workers and the
 * main thread's merge of worker results.
 *
 * Result order (contract §3) is a total order on (time, file index, line number): time in
 * the query's direction, ties in store order. Every row is kept with that key, so rows can
 * arrive in any order (files finish out of order in a worker pool) and one sort at the end
 * gives the exact result. With a limit, {@link TopRows} keeps only the first `limit` rows
 * in that order, whatever the arrival order. {@link keepRows} turns the kernel's matched
 * rows (offsets into a block) into kept {@link LogRow}s, for the local scan job and for
 * the merge of worker chunks alike.
 *
 * This module imports nothing at run time beyond the standard library and the row layout
 * constants of `scan/types.ts`: the worker bundle includes it, and must not pull in the
 * planner or the parser.
 */
import { OFF_FIELD0_START, OFF_LINE_START, OFF_MSG_END, OFF_MSG_START, OFF_TIME_END, OFFSET_STRIDE, type MatchBatch } from '../scan/types.js';
import type { LogRow } from '../arrow/build.js';

/** A kept row with its sort key: time, then file index and line number (store order). */
export interface Keyed<R = LogRow> {
  t: bigint;
  /** File index in the plan (or any index that sorts like it: the pool keys byte ranges by job). */
  f: number;
  /** Line number within `f` (1-based; any number that sorts like it). */
  n: number;
  row: R;
}

/** True when the key (at, af, an) comes before `b` in result order. */
export type Before = (at: bigint, af: number, an: number, b: { t: bigint; f: number; n: number }) => boolean;

/** The result-order comparator of a direction. */
export function makeBefore(direction: 'forward' | 'backward'): Before {
  const storeOrder = (af: number, an: number, b: { f: number; n: number }): boolean => af < b.f || (af === b.f && an < b.n);
  return direction === 'forward'
    ? (at, af, an, b) => at < b.t || (at === b.t && storeOrder(af, an, b))
    : (at, af, an, b) => at > b.t || (at === b.t && storeOrder(af, an, b));
}

/** Keeps the first `limit` rows in result order: a max-heap whose root is the last kept row. */
export class TopRows<R = LogRow> {
  private readonly heap: Keyed<R>[] = [];
  constructor(
    private readonly limit: number,
    private readonly before: Before,
  ) {}
  wouldKeep(t: bigint, f: number, n: number): boolean {
    return this.heap.length < this.limit || this.before(t, f, n, this.heap[0]!);
  }
  /** The last kept row once the heap is full (a row after it can never be kept), else null. */
  cutoff(): Keyed<R> | null {
    return this.heap.length < this.limit ? null : this.heap[0]!;
  }
  /** Keeps `k` (the caller checked {@link wouldKeep}); returns the row it pushed out, if any. */
  push(k: Keyed<R>): Keyed<R> | null {
    const h = this.heap;
    const after = (a: Keyed<R>, b: Keyed<R>): boolean => this.before(b.t, b.f, b.n, a);
    if (h.length < this.limit) {
      h.push(k);
      let i = h.length - 1;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (!after(h[i]!, h[p]!)) break;
        [h[i], h[p]] = [h[p]!, h[i]!];
        i = p;
      }
      return null;
    }
    const evicted = h[0]!;
    h[0] = k;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && after(h[l]!, h[m]!)) m = l;
      if (r < h.length && after(h[r]!, h[m]!)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
    return evicted;
  }
  items(): Keyed<R>[] {
    return this.heap;
  }
}

const decoder = new TextDecoder('utf-8');

/**
 * `maxBytesReturned` while rows are kept: `used` is the size ({@link rowSize}) of the rows
 * the sink holds now (a row pushed out of a full {@link TopRows} gives its size back).
 * `exceeded` throws the caller's limit error (this module stays free of the error classes:
 * workers bundle it).
 */
export interface RowBudget {
  max: number;
  used: number;
  exceeded: (used: number) => never;
}

/** A kept row's size for {@link RowBudget}: UTF-16 units of its time, line, labels and parsed labels. */
export function rowSize(row: LogRow): number {
  let n = row.timeRaw.length + row.line.length + (row.cluster?.length ?? 0);
  for (const l of row.labels) n += l.length;
  if (row.parsed) for (const k in row.parsed) n += k.length + row.parsed[k]!.length;
  return n;
}

/** Decodes label fields, reusing the previous string when the bytes repeat (they usually do). */
export class FieldDecoder {
  private prevBytes: Uint8Array = new Uint8Array(0);
  private prevValue = '';
  decode(bytes: Uint8Array, start: number, end: number): string {
    const len = end - start;
    const prev = this.prevBytes;
    if (len === prev.length) {
      let same = true;
      for (let i = 0; i < len; i++) {
        if (bytes[start + i] !== prev[i]) {
          same = false;
          break;
        }
      }
      if (same) return this.prevValue;
    }
    this.prevBytes = bytes.slice(start, end);
    this.prevValue = decoder.decode(this.prevBytes);
    return this.prevValue;
  }
}

/** Matched rows in the kernel's layout: a {@link MatchBatch} in this thread, or a worker's row chunk. */
export type RowBatch = Pick<MatchBatch, 'count' | 'bytes' | 'offsets' | 'timesNs' | 'lineNos'> & {
  /** Rows a worker's pipeline already ran on (`workers/protocol.ts`): their labels and lines after it. */
  readonly piped?: readonly PipedRow[];
};

/** What a log pipeline made of a row: its labels and line after the stages. */
export type PipedRow = Pick<LogRow, 'labels' | 'line' | 'cluster' | 'parsed'>;

/**
 * What a log pipeline makes of a matched row (`exec/pipeline-rows.ts`): its labels and line
 * after the stages, or null when a stage drops it. Results must not be shared between rows.
 */
export interface RowTransform {
  apply(batch: RowBatch, i: number, cluster: string | undefined): PipedRow | null;
}

/** A sink that keeps rows (bounded by `top` when there is a limit): the `rows` case of `sink.ts`'s `Sink`. */
export interface RowSink {
  kind: 'rows';
  top: TopRows | null;
  all: Keyed[];
  budget?: RowBudget;
}

/**
 * Decodes a batch's rows into a `rows` sink, keyed under file index `f`. A row that cannot
 * make the limit is dropped before anything of it is decoded. `fieldDecoders` has one
 * decoder per label field and is reused across batches (label values repeat).
 */
export function keepRows(
  sink: RowSink,
  batch: RowBatch,
  f: number,
  cluster: string | undefined,
  fieldDecoders: readonly FieldDecoder[],
  pipeline: RowTransform | null = null,
): number {
  const { bytes, offsets, timesNs, lineNos, piped } = batch;
  const fieldCount = fieldDecoders.length;
  let dropped = 0;
  const budget = sink.budget;
  const keep = (k: Keyed): void => {
    const evicted = sink.top ? sink.top.push(k) : (sink.all.push(k), null);
    if (budget === undefined) return;
    budget.used += rowSize(k.row) - (evicted ? rowSize(evicted.row) : 0);
    if (budget.used > budget.max) budget.exceeded(budget.used);
  };
  for (let i = 0; i < batch.count; i++) {
    const t = timesNs[i]!;
    const n = lineNos[i]!;
    if (piped !== undefined || pipeline !== null) {
      // A worker's rows come with what its pipeline made of them (it dropped what it filtered out).
      const out = piped !== undefined ? piped[i]! : pipeline!.apply(batch, i, cluster);
      if (out === null) {
        dropped++;
        continue;
      }
      if (sink.top && !sink.top.wouldKeep(t, f, n)) continue;
      const o = i * OFFSET_STRIDE;
      keep({ t, f, n, row: { timeNs: t, timeRaw: decoder.decode(bytes.subarray(offsets[o + OFF_LINE_START]!, offsets[o + OFF_TIME_END]!)), ...out } });
      continue;
    }
    // Fast path: a row that cannot make the limit is dropped before decoding anything.
    if (sink.top && !sink.top.wouldKeep(t, f, n)) continue;
    const o = i * OFFSET_STRIDE;
    const labels: string[] = new Array<string>(fieldCount);
    for (let k = 0; k < fieldCount; k++) {
      const fo = o + OFF_FIELD0_START + 2 * k;
      labels[k] = fieldDecoders[k]!.decode(bytes, offsets[fo]!, offsets[fo + 1]!);
    }
    const row: LogRow = {
      timeNs: t,
      timeRaw: decoder.decode(bytes.subarray(offsets[o + OFF_LINE_START]!, offsets[o + OFF_TIME_END]!)),
      labels,
      line: decoder.decode(bytes.subarray(offsets[o + OFF_MSG_START]!, offsets[o + OFF_MSG_END]!)),
    };
    if (cluster !== undefined) row.cluster = cluster;
    keep({ t, f, n, row });
  }
  return dropped;
}

/**
 * A metric query's per-match fold: kernel matches → (pipeline) → series labels → buckets or
 * samples. The one place this happens, whether the scan runs in the calling thread or on a
 * worker (`scan-job.ts` either way: a `fold` sink in the local job, modes `buckets` and
 * `samples` in a worker's job), so both give the same series, labels and values.
 *
 * Per match: the stream's labels (`namespace`/`pod`/`container` or `node`/`process`, plus
 * `cluster` over a store set) go through the log pipeline when there is one (`| json`,
 * label filters, `| unwrap`), which may drop the line, change its labels or give it a
 * value; then the series, the line's UTF-8 length (after `line_format`) and the value go to
 * a {@link FoldAccumulator}. When the consumer reads only some labels (`outputLabels`),
 * series are projected onto them: the series a range would otherwise split into (one per
 * distinct extracted value) are exactly the ones the consumer merges (`label-needs.ts`), as
 * Loki's extractor groups before aggregating. A line with `__error__` keeps every label, so
 * the evaluator can report it. Loki drops the unwrapped label from series labels unless
 * the range aggregation groups `by` it.
 *
 * {@link MatchFolder} holds what is compiled once per query (pipeline, label caches); a
 * {@link FoldAccumulator} holds one scan's (or one job's) answer. A worker folds each job
 * into a fresh accumulator and sends its {@link FoldPartial}; the main thread merges them
 * in job order (`accumulators.ts` says why that equals folding in store order).
 *
 * Imports: the accumulators and the row layout only. The worker bundle includes this
 * module; it must not load the planner or the query parser, and it takes the pipeline
 * compiled ({@link MatchFolder}'s constructor), so that a worker loads the pipeline
 * compiler only when a query has a pipeline (`scan-job.ts`).
 */
import { BucketAccumulator, SampleAccumulator, type AccumulatorSeries, type BucketPartial } from '../metrics/accumulators.js';
import { bucketLocator } from '../metrics/grid.js';
import type { BucketMeasure, BucketSeries, SampleSeries, TimeInterval } from '../metrics/source.js';
import type { LogType } from '../model.js';
import type { PipelineStage } from '../query/ast.js';
import type { Pipeline } from '../pipeline/index.js';
import { ERROR_LABEL } from '../pipeline/state.js';
import { OFF_MSG_END, OFF_MSG_START, OFFSET_STRIDE } from '../scan/types.js';
import { messageOf, StreamLabels } from './stream-labels.js';
import type { RowBatch } from './rows.js';
import { InternalError } from '../errors.js';

/**
 * A metric query's fold as plain data (a worker job's `JobQuery.fold`): the pipeline (if
 * any), the labels the consumer reads (series are projected onto them), the range
 * aggregation's `by` labels (the unwrapped label stays in series labels only if among them),
 * and where samples go: a grid's buckets with the measures asked, or samples in read intervals.
 */
export interface FoldSpec {
  stages: PipelineStage[] | null;
  outputLabels: readonly string[] | 'all';
  keepsLabels: readonly string[];
  /** `ExecOptions.maxTemplateBytes` for the pipeline's templates. */
  maxTemplateBytes?: number;
  /** Grid edges as a typed array: every job message carries them, and cloning an array of ~6,000 bigints per job cost more than the fold. */
  into: { kind: 'buckets'; edgesNs: BigInt64Array; measures: BucketMeasure[] } | { kind: 'samples'; readIntervals: TimeInterval[] };
}

/** A part's folded matches: its series in the order first seen (store order within the part). */
export type FoldPartial = { kind: 'buckets'; series: BucketPartial[] } | { kind: 'samples'; series: SampleSeries[] };

/** UTF-8 length of a string without encoding it into a buffer we keep. */
export function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // 2 bytes below U+0800, 3 above, and 4 for a surrogate pair (2 units, so 2 each).
    if (c >= 0x80) n += c < 0x800 ? 1 : c >= 0xd800 && c <= 0xdfff ? 1 : 2;
  }
  return n;
}

/** One scan's (or one job's) answer: buckets or samples per series. */
export class FoldAccumulator {
  private readonly buckets: BucketAccumulator | null;
  private readonly samples: SampleAccumulator | null;
  // Series are looked up once per distinct label object: stream records and projections
  // repeat (and are kept by identity when `add` is told so); pipeline outputs are fresh per line.
  private lastLabels: Readonly<Record<string, string>> | null = null;
  private lastSeries: AccumulatorSeries | null = null;
  private readonly byRecord = new Map<object, AccumulatorSeries>();

  /** Use {@link FoldAccumulator.factory}. */
  private constructor(buckets: BucketAccumulator | null, samples: SampleAccumulator | null) {
    this.buckets = buckets;
    this.samples = samples;
  }

  /**
   * Makes empty accumulators for `into`. The grid's bucket locator is built once here, not
   * per accumulator: a worker makes one per job, and a long grid (a few days at step 1m,
   * ~6,000 buckets) cost a millisecond or two each.
   */
  static factory(into: FoldSpec['into']): () => FoldAccumulator {
    if (into.kind === 'samples') {
      const request = { readIntervals: into.readIntervals };
      return () => new FoldAccumulator(null, new SampleAccumulator(request));
    }
    const request = { grid: { edgesNs: Array.from(into.edgesNs) }, measures: into.measures };
    const locate = bucketLocator(request.grid);
    return () => new FoldAccumulator(new BucketAccumulator(request, locate), null);
  }

  /**
   * Adds one surviving line: its series labels (kept as the series' labels if new: never
   * mutate them), time, byte length and value. `shared`: `labels` is an object that other
   * lines of the series pass again (an interned stream record or its projection), so the
   * series is remembered by identity.
   */
  add(labels: Readonly<Record<string, string>>, timeNs: bigint, bytes: number, value: number, shared = false): void {
    if (labels !== this.lastLabels) {
      this.lastLabels = labels;
      let series = shared ? this.byRecord.get(labels) : undefined;
      if (series === undefined) {
        series = (this.buckets ?? this.samples)!.series(labels);
        if (shared) this.byRecord.set(labels, series);
      }
      this.lastSeries = series;
    }
    if (this.buckets) this.buckets.add(this.lastSeries!, timeNs, bytes, value);
    else this.samples!.add(this.lastSeries!, timeNs, value);
  }

  /** The answer so far as plain data, to send to the main thread. */
  partial(): FoldPartial {
    return this.buckets ? { kind: 'buckets', series: this.buckets.partials() } : { kind: 'samples', series: this.samples!.result() };
  }

  /** Adds a job's partial (from an accumulator of the same spec). Partials must come in store order. */
  merge(p: FoldPartial): void {
    this.lastLabels = null; // the merge looks series up by key; the identity caches must not outlive it
    this.byRecord.clear();
    if (p.kind === 'buckets' && this.buckets) for (const s of p.series) this.buckets.addPartial(s);
    else if (p.kind === 'samples' && this.samples) for (const s of p.series) this.samples.addSeries(s);
    else throw new InternalError(`a ${p.kind} partial cannot merge into a ${this.buckets ? 'buckets' : 'samples'} fold`);
  }

  bucketResult(): BucketSeries[] {
    return this.buckets!.result();
  }

  sampleResult(): SampleSeries[] {
    return this.samples!.result();
  }
}

/** The buffers of a partial, to transfer rather than copy. */
export function partialTransferables(p: FoldPartial): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  if (p.kind === 'buckets') {
    for (const s of p.series) for (const a of [s.count, s.bytes, s.sum, s.sumErr, s.min, s.max]) if (a) out.push(a.buffer as ArrayBuffer);
  } else {
    for (const s of p.series) out.push(s.timesNs.buffer as ArrayBuffer, s.values.buffer as ArrayBuffer);
  }
  return out;
}

/** A query's compiled fold: its pipeline and label projection, with caches kept across batches and jobs. */
export class MatchFolder {
  private readonly stream: StreamLabels;
  private readonly pipeline: Pipeline | null;
  private readonly dropLabel: string | null;
  private readonly project: readonly string[] | null;
  private readonly withoutDropped = new WeakMap<object, Record<string, string>>();
  private readonly projected = new WeakMap<object, Record<string, string>>();
  private lastRecord: object | null = null;
  private lastProjection: Record<string, string> | null = null;

  /** `pipeline`: `spec.stages` compiled with `{ outputLabels: spec.outputLabels }`, or null when there are none. */
  constructor(spec: Omit<FoldSpec, 'into'>, logType: LogType, pipeline: Pipeline | null) {
    this.pipeline = pipeline;
    const unwrapped = this.pipeline?.unwrap ?? null;
    this.dropLabel = unwrapped !== null && !spec.keepsLabels.includes(unwrapped.label) ? unwrapped.label : null;
    this.project = spec.outputLabels === 'all' ? null : spec.outputLabels.filter((n) => n !== this.dropLabel);
    // Without a pipeline the projection is all a series is: decode only the fields it keeps.
    this.stream = pipeline === null && this.project !== null ? new StreamLabels(logType, this.project) : new StreamLabels(logType);
  }

  /** Folds every match of `batch` (read from a file of `cluster`) into `into`. */
  fold(batch: RowBatch, cluster: string | undefined, into: FoldAccumulator): void {
    const { offsets, timesNs } = batch;
    const { stream, pipeline, project, dropLabel } = this;
    for (let i = 0; i < batch.count; i++) {
      const o = i * OFFSET_STRIDE;
      const streamLabels = stream.of(batch, i, cluster);
      const bytes = offsets[o + OFF_MSG_END]! - offsets[o + OFF_MSG_START]!;
      if (pipeline === null) {
        // Fast path: no pipeline, the stream record (or its projection) is the series.
        into.add(project === null ? streamLabels : this.projectionOf(streamLabels, project), timesNs[i]!, bytes, 0, true);
        continue;
      }
      const line = messageOf(batch, i);
      const out = pipeline.process(line, streamLabels);
      if (out === null) continue;
      let labels: Readonly<Record<string, string>> = out.labels;
      // Stream records repeat; pipeline outputs are fresh per line and not worth caching.
      const shared = labels === streamLabels;
      if (project !== null && !labels[ERROR_LABEL]) {
        labels = shared ? this.projectionOf(labels, project) : projectLabels(labels, project);
      } else if (dropLabel !== null && Object.hasOwn(labels, dropLabel)) {
        // A stream record is shared by its lines: drop from a copy, made once per record.
        let copy = labels === streamLabels ? this.withoutDropped.get(labels) : undefined;
        if (copy === undefined) {
          copy = { ...labels };
          delete copy[dropLabel];
          if (labels === streamLabels) this.withoutDropped.set(labels, copy);
        }
        labels = copy;
      }
      into.add(labels, timesNs[i]!, out.line === line ? bytes : utf8Length(out.line), out.value, shared);
    }
  }

  /** The projection of an interned stream record, made once per record. */
  private projectionOf(record: Readonly<Record<string, string>>, project: readonly string[]): Record<string, string> {
    // Consecutive matches mostly share a stream: skip the WeakMap for a repeat.
    if (record === this.lastRecord) return this.lastProjection!;
    let p = this.projected.get(record);
    if (p === undefined) {
      p = projectLabels(record, project);
      this.projected.set(record, p);
    }
    this.lastRecord = record;
    this.lastProjection = p;
    return p;
  }
}

/** The labels of `labels` named in `project`. */
function projectLabels(labels: Readonly<Record<string, string>>, project: readonly string[]): Record<string, string> {
  const p: Record<string, string> = {};
  for (const n of project) if (Object.hasOwn(labels, n)) p[n] = labels[n]!;
  return p;
}

/**
 * A match's stream labels and message, decoded from a {@link RowBatch}: what a log
 * pipeline (`pipeline-rows.ts`) and a metric fold (`match-fold.ts`) start from.
 *
 * Stream labels are handed over as one record per stream, reused while consecutive matches
 * belong to the same stream (the usual case: files are per target and lines of a container
 * cluster). {@link FieldDecoder} returns the same string object for repeated bytes, so the
 * check is an identity comparison and a line of a known stream costs no allocation. Records
 * are interned: a stream seen before gets its earlier record back, so consumers may cache
 * by record identity (a metric fold keeps a series per record) while lines of several pods
 * interleave in one file. An empty field is no label (Loki: an empty label value is an
 * absent label).
 *
 * Its own module, free of the pipeline compiler, so that a scan worker loads the compiler
 * (and the query lexer it brings, ~70 ms to build) only for a query that has a pipeline.
 */
import { CLUSTER_LABEL, fieldNames, type LogType } from '../model.js';
import { OFF_FIELD0_START, OFF_MSG_END, OFF_MSG_START, OFFSET_STRIDE } from '../scan/types.js';
import { FieldDecoder, type RowBatch } from './rows.js';

const decoder = new TextDecoder('utf-8');

/** Decodes a match's stream labels into a record, reusing the record while the stream repeats. */
export class StreamLabels {
  readonly names: readonly string[];
  private readonly decoders: FieldDecoder[];
  private readonly values: string[];
  private cluster: string | undefined;
  private record: Record<string, string> | null = null;
  private readonly interned = new Map<string, Record<string, string>>();

  /** The bracket fields kept (by index into the log type's fields). */
  private readonly fields: readonly number[];

  /**
   * `only`: decode just these labels (the others are left out of the records, and their
   * bytes are never looked at): a count keyed by `namespace` need not decode pods.
   */
  constructor(logType: LogType, only?: readonly string[]) {
    const all = fieldNames(logType);
    this.fields = all.flatMap((n, k) => (only === undefined || only.includes(n) ? [k] : []));
    this.names = this.fields.map((k) => all[k]!);
    this.decoders = this.names.map(() => new FieldDecoder());
    this.values = this.names.map(() => '');
  }

  /** The labels of match `i` of `batch` (read from a file of `cluster`). Do not mutate: it is shared. */
  of(batch: RowBatch, i: number, cluster: string | undefined): Readonly<Record<string, string>> {
    const { bytes, offsets } = batch;
    const o = i * OFFSET_STRIDE + OFF_FIELD0_START;
    let same = this.record !== null && cluster === this.cluster;
    for (let k = 0; k < this.names.length; k++) {
      const f = this.fields[k]!;
      const v = this.decoders[k]!.decode(bytes, offsets[o + 2 * f]!, offsets[o + 2 * f + 1]!);
      if (v !== this.values[k]) {
        this.values[k] = v;
        same = false;
      }
    }
    if (!same) {
      this.cluster = cluster;
      // '\n' cannot occur in a field (fields are within one line), so the key is unambiguous.
      const key = cluster === undefined ? this.values.join('\n') : `${cluster}\n${this.values.join('\n')}`;
      let record = this.interned.get(key);
      if (record === undefined) {
        record = {};
        if (cluster !== undefined) record[CLUSTER_LABEL] = cluster;
        for (let k = 0; k < this.names.length; k++) if (this.values[k] !== '') record[this.names[k]!] = this.values[k]!;
        this.interned.set(key, record);
      }
      this.record = record;
    }
    return this.record!;
  }
}

/** Decodes match `i`'s message. */
export function messageOf(batch: RowBatch, i: number): string {
  const o = i * OFFSET_STRIDE;
  return decoder.decode(batch.bytes.subarray(batch.offsets[o + OFF_MSG_START]!, batch.offsets[o + OFF_MSG_END]!));
}

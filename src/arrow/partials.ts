/**
 * Partial metric states on the wire: a store's answer to one {@link BucketRequest} or
 * {@link SampleRequest} (`metrics/source.ts`) as an Arrow table, so that a store set can read
 * a remote member (another `letheql serve`) through the same `LogSampleSource` seam as its
 * local members, and evaluate the whole metric expression itself (`exec/member-source.ts`).
 *
 * One row per cell, series by series, in the source's series order:
 * - `series` (Dictionary<Int32, Utf8>): the row's series. Each series of the answer has its own
 *   dictionary entry (entry `i` is series `i`, even when two series have the same labels: a
 *   source may repeat a label set, and the evaluator merges repeats in order); the entry is
 *   the series' labels as JSON `[[name, value], …]`, in the labels' own key order.
 * - buckets: `count` (Float64) and one Float64 column per further measure asked for (`bytes`,
 *   `sum`, `min`, `max`); a series has exactly `letheql.buckets` rows (schema metadata), bucket
 *   0 first, so a series with no line in any bucket still travels (`absent_over_time` and the
 *   label sets of a range need it).
 * - samples: `time` (Timestamp ns UTC) and `value` (Float64), a series' samples in the
 *   source's order (which decides `first_over_time`/`last_over_time` ties). A series
 *   without samples is not sent (it contributes nothing).
 *
 * The schema metadata also carries the scan's statistics under `letheql.stats`, as a log
 * result does. Float64 keeps NaN/±Inf and every bit of a value (a JSON number would not).
 */
import { Dictionary, Field, Float64, Int32, makeData, makeVector, RecordBatch, Schema, Struct, Table, TimestampNanosecond, Utf8, type Data, type TypeMap } from 'apache-arrow';
import { InternalError, LetheQLError } from '../errors.js';
import type { QueryStats } from '../exec/stats.js';
import type { BucketMeasure, BucketSeries, SampleSeries } from '../metrics/source.js';
import { utf8Data } from './build.js';

/** Schema metadata: the statistics of the scan that made the partials (JSON). */
export const PARTIALS_STATS_KEY = 'letheql.stats';
/** Schema metadata: buckets per series (bucket answers only). */
export const PARTIALS_BUCKETS_KEY = 'letheql.buckets';

const utf8 = new Utf8();
const MEASURES: readonly BucketMeasure[] = ['count', 'bytes', 'sum', 'min', 'max'];

function labelsJson(labels: Readonly<Record<string, string>>): string {
  return JSON.stringify(Object.entries(labels));
}

/** The `series` column: row `r` is series `seriesOfRow[r]`, whose labels are entry `seriesOfRow[r]`. */
function seriesColumn(labels: readonly string[], seriesOfRow: Int32Array): { field: Field; data: Data } {
  const type = new Dictionary(utf8, new Int32(), 0, false);
  const data = makeData({ type, length: seriesOfRow.length, nullCount: 0, data: seriesOfRow, dictionary: makeVector(utf8Data(labels)) });
  return { field: new Field('series', type, false), data };
}

function tableOf(fields: Field[], children: Data[], rows: number, metadata: Map<string, string>): Table {
  const schema = new Schema(fields, metadata);
  const struct = makeData({ type: new Struct<TypeMap>(schema.fields), length: rows, nullCount: 0, children });
  return new Table(schema, [new RecordBatch(schema, struct)]);
}

/** A bucket answer as a table (see the module note); `measures` always holds `count`. */
export function bucketPartialsTable(series: readonly BucketSeries[], buckets: number, measures: readonly BucketMeasure[], stats: QueryStats): Table {
  const rows = series.length * buckets;
  const seriesOfRow = new Int32Array(rows);
  for (let s = 0; s < series.length; s++) seriesOfRow.fill(s, s * buckets, (s + 1) * buckets);
  const col = seriesColumn(
    series.map((s) => labelsJson(s.labels)),
    seriesOfRow,
  );
  const fields = [col.field];
  const children = [col.data];
  for (const m of MEASURES) {
    if (!measures.includes(m)) continue;
    const values = new Float64Array(rows);
    series.forEach((s, i) => {
      const a = s[m];
      if (a === undefined || a.length !== buckets) throw new InternalError(`bucket series without ${m} of ${buckets} buckets`);
      values.set(a, i * buckets);
    });
    fields.push(new Field(m, new Float64(), false));
    children.push(makeData({ type: new Float64(), length: rows, nullCount: 0, data: values }));
  }
  return tableOf(fields, children, rows, new Map([[PARTIALS_STATS_KEY, JSON.stringify(stats)], [PARTIALS_BUCKETS_KEY, String(buckets)]]));
}

/** A sample answer as a table (see the module note). */
export function samplePartialsTable(series: readonly SampleSeries[], stats: QueryStats): Table {
  const sent = series.filter((s) => s.timesNs.length > 0);
  const rows = sent.reduce((n, s) => n + s.timesNs.length, 0);
  const seriesOfRow = new Int32Array(rows);
  const times = new BigInt64Array(rows);
  const values = new Float64Array(rows);
  let r = 0;
  sent.forEach((s, i) => {
    seriesOfRow.fill(i, r, r + s.timesNs.length);
    times.set(s.timesNs, r);
    values.set(s.values, r);
    r += s.timesNs.length;
  });
  const col = seriesColumn(
    sent.map((s) => labelsJson(s.labels)),
    seriesOfRow,
  );
  const time = new TimestampNanosecond('UTC');
  return tableOf(
    [col.field, new Field('time', time, false), new Field('value', new Float64(), false)],
    [col.data, makeData({ type: time, length: rows, nullCount: 0, data: times }), makeData({ type: new Float64(), length: rows, nullCount: 0, data: values })],
    rows,
    new Map([[PARTIALS_STATS_KEY, JSON.stringify(stats)]]),
  );
}

/** A malformed answer: the member is not the letheql it claims to be (or a different version). */
function bad(what: string): LetheQLError {
  return new LetheQLError('REMOTE_ERROR', `malformed partial metric answer: ${what}`);
}

/** Each row's series index and the series' labels, checked. */
function readSeries(table: Table): { seriesOfRow: Int32Array; labels: Record<string, string>[] } {
  const col = table.getChild('series');
  if (col === null) throw bad('no series column');
  const dictionary: string[] = [];
  const seriesOfRow = new Int32Array(table.numRows);
  let r = 0;
  // Every batch shares the dictionary (one batch is written; a reader may still split it).
  for (const data of col.data) {
    const dict = data.dictionary;
    if (dict === undefined) throw bad('the series column is not dictionary-encoded');
    if (dictionary.length === 0) for (let i = 0; i < dict.length; i++) dictionary.push(dict.get(i) as string);
    const codes = data.values as Int32Array;
    for (let i = 0; i < data.length; i++) seriesOfRow[r++] = codes[data.offset + i]!;
  }
  const labels = dictionary.map((json) => {
    let entries: unknown;
    try {
      entries = JSON.parse(json);
    } catch {
      throw bad('series labels are not JSON');
    }
    if (!Array.isArray(entries) || !entries.every((e) => Array.isArray(e) && e.length === 2 && typeof e[0] === 'string' && typeof e[1] === 'string')) throw bad('series labels are not [name, value] pairs');
    return Object.fromEntries(entries as [string, string][]);
  });
  for (const s of seriesOfRow) if (s < 0 || s >= labels.length) throw bad('a row names no series');
  return { seriesOfRow, labels };
}

function stats(table: Table): QueryStats {
  const json = table.schema.metadata.get(PARTIALS_STATS_KEY);
  if (json === undefined) throw bad('no statistics');
  return JSON.parse(json) as QueryStats;
}

/** Reads {@link bucketPartialsTable}'s table back; `buckets` and `measures` are what was asked. */
export function bucketPartialsOf(table: Table, buckets: number, measures: readonly BucketMeasure[]): { series: BucketSeries[]; stats: QueryStats } {
  if (table.schema.metadata.get(PARTIALS_BUCKETS_KEY) !== String(buckets)) throw bad(`expected ${buckets} buckets per series, got ${table.schema.metadata.get(PARTIALS_BUCKETS_KEY) ?? 'none'}`);
  const { labels } = readSeries(table);
  if (table.numRows !== labels.length * buckets) throw bad(`${table.numRows} rows for ${labels.length} series of ${buckets} buckets`);
  const columns = new Map<BucketMeasure, Float64Array>();
  for (const m of measures) {
    const c = table.getChild(m);
    if (c === null) throw bad(`no ${m} column`);
    columns.set(m, c.toArray() as Float64Array);
  }
  const series = labels.map((l, i): BucketSeries => {
    const slice = (m: BucketMeasure) => columns.get(m)!.slice(i * buckets, (i + 1) * buckets);
    const s: BucketSeries = { labels: l, count: slice('count') };
    for (const m of measures) if (m !== 'count') s[m] = slice(m);
    return s;
  });
  return { series, stats: stats(table) };
}

/** Reads {@link samplePartialsTable}'s table back. */
export function samplePartialsOf(table: Table): { series: SampleSeries[]; stats: QueryStats } {
  const { seriesOfRow, labels } = readSeries(table);
  const time = table.getChild('time');
  const value = table.getChild('value');
  if (time === null || value === null) throw bad('no time or value column');
  const times = time.toArray() as BigInt64Array;
  const values = value.toArray() as Float64Array;
  const series: SampleSeries[] = [];
  let from = 0;
  for (let r = 1; r <= seriesOfRow.length; r++) {
    if (r < seriesOfRow.length && seriesOfRow[r] === seriesOfRow[from]) continue;
    series.push({ labels: labels[seriesOfRow[from]!]!, timesNs: times.slice(from, r), values: values.slice(from, r) });
    from = r;
  }
  return { series, stats: stats(table) };
}

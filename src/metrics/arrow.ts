/**
 * A metric result as the contract's Arrow long table (§3): one row per sample, one
 * Dictionary<Int32, Utf8> column per label name that appears in any series (sorted by name),
 * then `time` (Timestamp ns UTC) and `value` (Float64).
 *
 * Rows come series by series (in the result's order), each series' samples in time order.
 * A series without some label has a null there (PromQL treats a missing label and an empty
 * one alike; a null keeps "this series has no such label" visible). A label named `time`
 * or `value` would collide with the fixed columns: its column is named `time_extracted` /
 * `value_extracted` (Loki's suffix for label collisions). Every label column carries its
 * label name in the field metadata under `label`. Dictionary ids are the column positions.
 */
import {
  Dictionary,
  Field,
  Float64,
  Int32,
  makeData,
  makeVector,
  RecordBatch,
  Schema,
  Struct,
  Table,
  TimestampNanosecond,
  Utf8,
  type Data,
  type TypeMap,
} from 'apache-arrow';
import { utf8Data } from '../arrow/build.js';
import { compareStrings } from './labels.js';
import type { MetricResult } from './result.js';

const utf8 = new Utf8();

/** Column names that are not labels. */
const FIXED_COLUMNS = new Set(['time', 'value']);

/** The label names of a result, sorted, and the column name of each. */
export function metricLabelColumns(result: MetricResult): { label: string; column: string }[] {
  const names = new Set<string>();
  for (const s of result.series) for (const name of Object.keys(s.labels)) names.add(name);
  const taken = new Set(names);
  return [...names].sort(compareStrings).map((label) => {
    if (!FIXED_COLUMNS.has(label)) return { label, column: label };
    let column = `${label}_extracted`;
    while (taken.has(column)) column = `_${column}`;
    taken.add(column);
    return { label, column };
  });
}

/** The schema of {@link metricTable} for this result. */
export function metricSchema(result: MetricResult, metadata: Map<string, string> = new Map()): Schema {
  const fields: Field[] = metricLabelColumns(result).map(
    ({ label, column }, i) => new Field(column, new Dictionary(utf8, new Int32(), i, false), true, new Map([['label', label]])),
  );
  fields.push(new Field('time', new TimestampNanosecond('UTC'), false));
  fields.push(new Field('value', new Float64(), false));
  return new Schema(fields, metadata);
}

/** The result as one Arrow table (one record batch; an empty result keeps its schema). */
export function metricTable(result: MetricResult, metadata?: Map<string, string>): Table {
  const schema = metricSchema(result, metadata);
  const columns = metricLabelColumns(result);
  const rows = result.series.reduce((n, s) => n + s.samples.length, 0);
  const times = new BigInt64Array(rows);
  const values = new Float64Array(rows);
  const children: Data[] = [];
  for (let c = 0; c < columns.length; c++) {
    const label = columns[c]!.label;
    const dictionary: string[] = [];
    const codes = new Map<string, number>();
    const indices = new Int32Array(rows);
    const validity = new Uint8Array((rows + 7) >> 3);
    let nulls = 0;
    let r = 0;
    for (const s of result.series) {
      const v = s.labels[label];
      let code = -1;
      if (v !== undefined) {
        code = codes.get(v) ?? -1;
        if (code < 0) {
          code = dictionary.length;
          dictionary.push(v);
          codes.set(v, code);
        }
      }
      for (let i = 0; i < s.samples.length; i++, r++) {
        if (code < 0) nulls++;
        else {
          indices[r] = code;
          validity[r >> 3]! |= 1 << (r & 7);
        }
      }
    }
    const type = schema.fields[c]!.type as Dictionary<Utf8, Int32>;
    children.push(
      makeData({ type, length: rows, nullCount: nulls, nullBitmap: nulls > 0 ? validity : null, data: indices, dictionary: makeVector(utf8Data(dictionary)) }),
    );
  }
  let r = 0;
  for (const s of result.series) {
    for (const [t, v] of s.samples) {
      times[r] = t;
      values[r] = v;
      r++;
    }
  }
  children.push(makeData({ type: schema.fields[columns.length]!.type as TimestampNanosecond, length: rows, nullCount: 0, data: times }));
  children.push(makeData({ type: new Float64(), length: rows, nullCount: 0, data: values }));
  const struct = makeData({ type: new Struct<TypeMap>(schema.fields), length: rows, nullCount: 0, children });
  return new Table(schema, [new RecordBatch(schema, struct)]);
}

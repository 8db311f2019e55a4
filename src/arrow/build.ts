/**
 * Result schemas and builders (contract §3).
 *
 * Rows become Arrow columns directly: times into one `BigInt64Array`, labels into
 * dictionary indices over a per-result dictionary (label values repeat heavily), messages
 * into one UTF-8 buffer with offsets. One dictionary is shared by every batch of a result,
 * so an IPC stream never needs dictionary replacement.
 *
 * Columns: `time` (Timestamp ns UTC), the log type's labels (Dictionary<Int32, Utf8>),
 * `line` (Utf8, the message as stored, or as `line_format` left it) and `time_raw` (Utf8,
 * the timestamp exactly as stored, which Lethe's and our JSON outputs print; not in the
 * contract's table), then one nullable Dictionary<Int32, Utf8> column per label a log
 * pipeline added (`| json`, `| logfmt`, `__error__`, …), sorted by name, null where a row
 * lacks it. A result
 * over a store set has a `cluster` column (Dictionary<Int32, Utf8>, like the labels) right
 * after `time`; its dictionary id follows the labels' (pod: 3, node: 2), so the ids of a
 * plain store's columns are the same with or without federation.
 */
import {
  Bool,
  DataType,
  Dictionary,
  Field,
  Int32,
  makeData,
  makeVector,
  RecordBatch,
  RecordBatchStreamWriter,
  tableFromIPC,
  Schema,
  Struct,
  Table,
  TimestampNanosecond,
  Utf8,
  type Data,
  type TypeMap,
  type Vector,
} from 'apache-arrow';
import { CLUSTER_LABEL, fieldNames } from '../model.js';
import type { LogType } from '../model.js';

/** One result row before it becomes columns. `labels` follow the log type's field order. */
export interface LogRow {
  timeNs: bigint;
  timeRaw: string;
  labels: string[];
  line: string;
  /** Store sets only: the cluster (member store) the row was read from. */
  cluster?: string;
  /** Labels a log pipeline added (parsers, `label_format`), by name; absent when it added none. */
  parsed?: Record<string, string>;
  /** Results with context lines (`exec/context.ts`): a context line or a match, and its group. */
  context?: { isContext: boolean; group: number };
}

/** What a result holds beyond its log type's columns. */
export interface ResultShape {
  /** A `cluster` column right after `time` (results over a store set). Default false. */
  cluster?: boolean;
  /** Columns of labels added by a log pipeline, after `time_raw`, in this order (nullable: null where a row lacks the label). */
  parsed?: readonly string[];
  /** `context` (Bool) and `context_group` (Int32) columns after `time_raw` (results with context lines). */
  context?: boolean;
}

/** The names of the labels a pipeline added to any of `rows`, sorted: the parsed columns of their result. */
export function parsedLabelNames(rows: readonly LogRow[]): string[] {
  const names = new Set<string>();
  for (const r of rows) if (r.parsed) for (const n in r.parsed) names.add(n);
  return [...names].sort();
}

const utf8 = new Utf8();

/** The Arrow schema of a log query's result. Dictionary ids are fixed per column so streams stay stable. */
export function logSchema(logType: LogType, metadata: Map<string, string> = new Map(), shape: ResultShape = {}): Schema {
  const fields: Field[] = [new Field('time', new TimestampNanosecond('UTC'), false)];
  const labels = fieldNames(logType);
  if (shape.cluster) fields.push(new Field(CLUSTER_LABEL, new Dictionary(utf8, new Int32(), labels.length, false), false));
  labels.forEach((name, i) => {
    fields.push(new Field(name, new Dictionary(utf8, new Int32(), i, false), false));
  });
  fields.push(new Field('line', utf8, false));
  fields.push(new Field('time_raw', utf8, false));
  if (shape.context) {
    fields.push(new Field('context', new Bool(), false));
    fields.push(new Field('context_group', new Int32(), false));
  }
  // Ids after the stream labels' and the cluster's, whether or not there is a cluster column.
  (shape.parsed ?? []).forEach((name, i) => fields.push(new Field(name, new Dictionary(utf8, new Int32(), labels.length + 1 + i, false), true)));
  return new Schema(fields, metadata);
}

const encoder = new TextEncoder();

/** A Utf8 column of `values[from..to)` (no nulls); metric tables build their dictionaries with it too. */
export function utf8Data(values: readonly string[], from = 0, to = values.length): Data<Utf8> {
  const offsets = new Int32Array(to - from + 1);
  const parts: Uint8Array[] = [];
  let total = 0;
  for (let i = from; i < to; i++) {
    const bytes = encoder.encode(values[i]!);
    parts.push(bytes);
    total += bytes.length;
    offsets[i - from + 1] = total;
  }
  const data = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    data.set(p, at);
    at += p.length;
  }
  return makeData({ type: utf8, length: to - from, nullCount: 0, valueOffsets: offsets, data });
}

/**
 * Builds record batches of at most `batchSize` rows from rows already in result order,
 * lazily: each batch's column buffers are made when it is pulled, so a consumer that writes
 * batches out as they come never holds two copies of the whole result. All batches share
 * one dictionary per label column (computed up front: indices are 4 bytes per row).
 * An empty result still yields one empty batch, so the schema travels. The label columns
 * are the schema's (with `cluster` when it has one: {@link logSchema}).
 */
export function* recordBatches(logType: LogType, rows: readonly LogRow[], batchSize: number, schema: Schema = logSchema(logType)): Generator<RecordBatch> {
  const names = fieldNames(logType);
  // The schema's dictionary columns, in order: `cluster` (store sets), the bracket fields, then parsed labels (nullable).
  const labelValue = schema.fields
    .filter((f) => DataType.isDictionary(f.type))
    .map((f): ((row: LogRow) => string | undefined) => {
      if (f.nullable) return (row) => row.parsed?.[f.name];
      if (f.name === CLUSTER_LABEL) return (row) => row.cluster ?? '';
      const k = names.indexOf(f.name);
      return (row) => row.labels[k] ?? '';
    });
  const labelCount = labelValue.length;
  const indices: Int32Array[] = [];
  const dictionaries: Vector<Utf8>[] = [];
  const validity: (Uint8Array | null)[] = [];
  for (let c = 0; c < labelCount; c++) {
    const map = new Map<string, number>();
    const values: string[] = [];
    const idx = new Int32Array(rows.length);
    const value = labelValue[c]!;
    let valid: Uint8Array | null = null;
    for (let r = 0; r < rows.length; r++) {
      const v = value(rows[r]!);
      if (v === undefined) {
        (valid ??= new Uint8Array(rows.length).fill(1))[r] = 0;
        continue;
      }
      let k = map.get(v);
      if (k === undefined) {
        k = values.length;
        values.push(v);
        map.set(v, k);
      }
      idx[r] = k;
    }
    indices.push(idx);
    validity.push(valid);
    dictionaries.push(makeVector(utf8Data(values, 0, values.length)));
  }
  const dictionaryFields = schema.fields.filter((f) => DataType.isDictionary(f.type));
  const step = Math.max(1, batchSize);
  for (let from = 0; from === 0 || from < rows.length; from += step) {
    const to = Math.min(rows.length, from + step);
    const slice = rows.slice(from, to);
    const times = new BigInt64Array(to - from);
    for (let r = from; r < to; r++) times[r - from] = rows[r]!.timeNs;
    const label = (c: number): Data => {
      const type = dictionaryFields[c]!.type as Dictionary<Utf8, Int32>;
      const valid = validity[c]!;
      const data = indices[c]!.subarray(from, to);
      const dictionary = dictionaries[c]!;
      if (valid === null) return makeData({ type, length: to - from, nullCount: 0, data, dictionary });
      const { bitmap, nulls } = packValidity(valid, from, to);
      return makeData({ type, length: to - from, nullCount: nulls, nullBitmap: bitmap, data, dictionary });
    };
    const children: Data[] = [];
    let c = 0;
    for (const f of schema.fields) {
      if (f.name === 'time' && !f.nullable) children.push(makeData({ type: f.type as TimestampNanosecond, length: to - from, nullCount: 0, data: times }));
      else if (f.name === 'line' && !f.nullable) children.push(utf8Data(slice.map((r) => r.line), 0, slice.length));
      else if (f.name === 'time_raw' && !f.nullable) children.push(utf8Data(slice.map((r) => r.timeRaw), 0, slice.length));
      else if (f.name === 'context' && DataType.isBool(f.type)) {
        const bits = new Uint8Array(Math.ceil((to - from) / 8));
        slice.forEach((r, i) => {
          if (r.context?.isContext) bits[i >> 3]! |= 1 << (i & 7);
        });
        children.push(makeData({ type: f.type as Bool, length: to - from, nullCount: 0, data: bits }));
      } else if (f.name === 'context_group' && DataType.isInt(f.type)) {
        children.push(makeData({ type: f.type as Int32, length: to - from, nullCount: 0, data: Int32Array.from(slice, (r) => r.context?.group ?? 0) }));
      }
      else children.push(label(c++));
    }
    const struct = makeData({ type: new Struct<TypeMap>(schema.fields), length: to - from, nullCount: 0, children });
    yield new RecordBatch(schema, struct);
  }
}

/** Arrow's validity bitmap (LSB first) of `valid[from..to)`, and its null count. */
function packValidity(valid: Uint8Array, from: number, to: number): { bitmap: Uint8Array; nulls: number } {
  const bitmap = new Uint8Array(Math.ceil((to - from) / 8));
  let nulls = 0;
  for (let r = from; r < to; r++) {
    if (valid[r]) bitmap[(r - from) >> 3]! |= 1 << ((r - from) & 7);
    else nulls++;
  }
  return { bitmap, nulls };
}

/** A whole result as one table (possibly several batches). */
export function buildTable(logType: LogType, rows: readonly LogRow[], batchSize: number, metadata?: Map<string, string>, shape: ResultShape = {}): Table {
  const schema = logSchema(logType, metadata, shape);
  return new Table(schema, [...recordBatches(logType, rows, batchSize, schema)]);
}

/**
 * Reads an Arrow IPC stream back into a table (a remote member's answer). Through this module,
 * not `import('apache-arrow')` elsewhere: Arrow enters the CLI bundle by one lazy chunk, since
 * splitting its cyclic modules across chunks breaks their initialisation order.
 */
export function fromArrowIPC(bytes: Uint8Array): Table {
  return tableFromIPC(bytes);
}

/** Serialises a table as an Arrow IPC stream (`application/vnd.apache.arrow.stream`). */
export function toArrowIPC(table: Table): Uint8Array {
  return RecordBatchStreamWriter.writeAll(table).toUint8Array(true);
}

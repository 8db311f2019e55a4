/**
 * Answer bodies: query results in each dialect's JSON shape, and as Arrow.
 *
 * - Lethe `logs`: one object per line, keys in Lethe's order — `time` (the timestamp exactly
 *   as stored, from the `time_raw` column), the label columns (`namespace, pod, container` or
 *   `node, process`; `cluster` first over a store set), then `log`.
 * - Loki `streams`: lines grouped by their label set, streams ordered by their label string
 *   (as Loki sorts them), values `["<ns>", "<line>"]` in the result's order (the direction).
 * - Loki `stats`: the documented `summary`/`store`/`ingester` objects, filled from our
 *   statistics (a Lethe store has no chunks or compression: decompressed = compressed =
 *   bytes scanned, chunks = files; ingester figures are zero: nothing is held in memory).
 * - Metric results: Prometheus' `vector`/`matrix`/`scalar` shapes (Loki uses the same):
 *   times as Unix seconds (a JSON number, millisecond precision), values as Go prints floats.
 * - Arrow: log results are the query's own table (contract §3, statistics in its metadata);
 *   metric results become the contract's long table (label columns, `time`, `value`).
 *
 * JSON answers are streamed ({@link sendJson}): {@link jsonChunks} serialises a body in
 * chunks of ~64 KiB, walking it with an explicit stack, and fastify writes them with
 * back-pressure. No answer is ever one string (600 lines of 1 MB made `JSON.stringify`
 * throw `Invalid string length` and a 500 at 2.5 GB RSS); rows are read from the table as
 * the client takes them ({@link LazyArray}). How large an answer may get is the engine's
 * `maxBytesReturned` / `maxSamples` (422 naming the limit), checked before anything is sent.
 */
import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import { Field, Float64, makeData, RecordBatch, Schema, Struct, Table, TimestampNanosecond, Utf8, type Data, type TypeMap } from 'apache-arrow';
import type { QueryStats } from '../exec/execute.js';
import type { MetricResult } from './evaluate.js';

/** Indexes of a log table's label columns: the stream's, then those a log pipeline added (null where a row lacks the label). */
function labelColumnIndexes(table: Table): number[] {
  const out: number[] = [];
  table.schema.fields.forEach((f, i) => {
    if (f.nullable || (f.name !== 'time' && f.name !== 'line' && f.name !== 'time_raw')) out.push(i);
  });
  return out;
}

/** The label columns of a log table and a reader of row `i`'s present labels into `into`. */
export function rowLabels(table: Table): (i: number, into: Record<string, string>) => void {
  const idx = labelColumnIndexes(table);
  const names = idx.map((i) => table.schema.fields[i]!.name);
  const cols = idx.map((i) => table.getChildAt(i)!);
  return (i, into) => {
    for (let k = 0; k < cols.length; k++) {
      const v = cols[k]!.get(i) as string | null;
      if (v !== null) into[names[k]!] = v;
    }
  };
}

/** Lethe's `logs` result rows, one at a time (for a streamed answer). */
export function* letheRowsLazy(table: Table): Generator<Record<string, string>> {
  const labelsOf = rowLabels(table);
  const raw = table.getChild('time_raw')!;
  const line = table.getChild('line')!;
  for (let i = 0; i < table.numRows; i++) {
    const row: Record<string, string> = { time: raw.get(i) as string };
    labelsOf(i, row);
    row['log'] = line.get(i) as string;
    yield row;
  }
}

/** An array in a JSON body that {@link jsonChunks} writes element by element as it iterates. */
export class LazyArray {
  constructor(readonly items: Iterable<unknown>) {}
}

type Frame = { arr: Iterator<unknown>; n: number } | { obj: [string, unknown][]; i: number };

/**
 * A JSON body as text chunks of about `chunkChars` (one value larger than that is one
 * chunk of its own). Plain objects, arrays and {@link LazyArray}s are walked with an
 * explicit stack (no recursion); everything else goes through `JSON.stringify`, so the
 * output equals `JSON.stringify(body)` with lazy arrays as arrays.
 */
export function* jsonChunks(body: unknown, chunkChars = 64 * 1024): Generator<string> {
  const stack: Frame[] = [];
  let buf = '';
  let pending = true;
  let value: unknown = body;
  for (;;) {
    if (pending) {
      pending = false;
      if (value instanceof LazyArray || Array.isArray(value)) {
        buf += '[';
        stack.push({ arr: (value instanceof LazyArray ? value.items : (value as unknown[]))[Symbol.iterator](), n: 0 });
      } else if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON !== 'function') {
        buf += '{';
        stack.push({ obj: Object.entries(value).filter(([, x]) => x !== undefined && typeof x !== 'function'), i: 0 });
      } else {
        buf += JSON.stringify(value) ?? 'null';
      }
      if (buf.length >= chunkChars) {
        yield buf;
        buf = '';
      }
    }
    const top = stack[stack.length - 1];
    if (top === undefined) break;
    if ('arr' in top) {
      const r = top.arr.next();
      if (r.done) {
        buf += ']';
        stack.pop();
        continue;
      }
      if (top.n++ > 0) buf += ',';
      value = r.value === undefined || typeof r.value === 'function' ? null : r.value;
    } else {
      if (top.i >= top.obj.length) {
        buf += '}';
        stack.pop();
        continue;
      }
      const [k, x] = top.obj[top.i++]!;
      if (top.i > 1) buf += ',';
      buf += `${JSON.stringify(k)}:`;
      value = x;
    }
    pending = true;
  }
  if (buf !== '') yield buf;
}

/** Sends `body` as a streamed JSON answer (see the module note). */
export function sendJson(reply: FastifyReply, body: unknown): FastifyReply {
  return reply.type('application/json; charset=utf-8').send(Readable.from(jsonChunks(body)));
}

/** Lethe's `logs` result rows. */
export function letheRows(table: Table): Record<string, string>[] {
  return Array.from(letheRowsLazy(table));
}

/** One Loki stream: its labels and `[ns, line]` pairs. */
export interface LokiStream {
  stream: Record<string, string>;
  values: [string, string][];
}

/** The canonical label string of a label set, for grouping and ordering: `{a="1", b="2"}`. */
export function labelKey(labels: Readonly<Record<string, string>>): string {
  return `{${Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`)
    .join(', ')}}`;
}

/** Groups a log table's rows into Loki streams (see the module note). */
export function lokiStreams(table: Table): LokiStream[] {
  const labelsOf = rowLabels(table);
  // `toArray()` gives the raw nanoseconds (BigInt64Array); `get(i)` would give milliseconds.
  const time = table.getChild('time')!.toArray() as BigInt64Array;
  const line = table.getChild('line')!;
  const byKey = new Map<string, LokiStream>();
  for (let i = 0; i < table.numRows; i++) {
    const stream: Record<string, string> = {};
    labelsOf(i, stream);
    const key = labelKey(stream);
    let s = byKey.get(key);
    if (!s) {
      s = { stream, values: [] };
      byKey.set(key, s);
    }
    s.values.push([String(time[i]!), line.get(i) as string]);
  }
  return [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, s]) => s);
}

/** Loki's `stats` object (the documented fields, all present). */
export function lokiStats(stats: QueryStats | null, queueMs: number, execMs: number): Record<string, Record<string, number>> {
  const bytes = stats?.bytesScanned ?? 0;
  const lines = stats?.linesScanned ?? 0;
  const execSeconds = execMs / 1000;
  const perSecond = (n: number) => (execSeconds > 0 ? Math.round(n / execSeconds) : 0);
  return {
    ingester: {
      compressedBytes: 0,
      decompressedBytes: 0,
      decompressedLines: 0,
      headChunkBytes: 0,
      headChunkLines: 0,
      totalBatches: 0,
      totalChunksMatched: 0,
      totalDuplicates: 0,
      totalLinesSent: 0,
      totalReached: 0,
    },
    store: {
      compressedBytes: bytes,
      decompressedBytes: bytes,
      decompressedLines: lines,
      chunksDownloadTime: 0,
      totalChunksRef: (stats?.filesRead ?? 0) + (stats?.filesSkipped ?? 0),
      totalChunksDownloaded: stats?.filesRead ?? 0,
      totalDuplicates: 0,
    },
    summary: {
      bytesProcessedPerSecond: perSecond(bytes),
      execTime: execSeconds,
      linesProcessedPerSecond: perSecond(lines),
      queueTime: queueMs / 1000,
      totalBytesProcessed: bytes,
      totalLinesProcessed: lines,
    },
  };
}

/** Unix seconds with millisecond precision, as Prometheus puts sample times in JSON. */
export function unixSeconds(ns: bigint): number {
  const ms = ns >= 0n ? ns / 1_000_000n : -((-ns + 999_999n) / 1_000_000n);
  return Number(ms) / 1000;
}

/** A float as Go's `strconv.FormatFloat(v, 'f', -1, 64)` prints it (Prometheus sample values). */
export function formatSampleValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  const s = String(v);
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (!m) return s;
  // Expand JS's exponent form into plain decimal digits.
  const digits = m[2]! + (m[3] ?? '');
  const exp = Number(m[4]);
  let out: string;
  if (exp >= 0) out = exp + 1 >= digits.length ? digits + '0'.repeat(exp + 1 - digits.length) : `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
  else out = `0.${'0'.repeat(-exp - 1)}${digits}`;
  return m[1] + out;
}

/** A metric result's `data.result` (Prometheus and Loki shapes). */
export function metricResultJson(result: MetricResult): unknown {
  const point = ([t, v]: [bigint, number]) => [unixSeconds(t), formatSampleValue(v)];
  switch (result.resultType) {
    case 'scalar': {
      const s = result.series[0]?.samples[0];
      return s ? point(s) : [];
    }
    case 'vector':
      return result.series.map((s) => ({ metric: s.labels, value: point(s.samples[0]!) }));
    case 'matrix':
      return result.series.map((s) => ({ metric: s.labels, values: s.samples.map(point) }));
  }
}

const utf8 = new Utf8();
const encoder = new TextEncoder();

function utf8Data(values: readonly string[]): Data<Utf8> {
  const offsets = new Int32Array(values.length + 1);
  const parts = values.map((v) => encoder.encode(v));
  let total = 0;
  parts.forEach((p, i) => {
    total += p.length;
    offsets[i + 1] = total;
  });
  const data = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    data.set(p, at);
    at += p.length;
  }
  return makeData({ type: utf8, length: values.length, nullCount: 0, valueOffsets: offsets, data });
}

/**
 * A metric result as the contract's long table: one Utf8 column per series label (sorted;
 * empty string where a series lacks it), `time` (Timestamp ns UTC), `value` (Float64).
 */
export function metricTable(result: MetricResult): Table {
  const points: { labels: Readonly<Record<string, string>>; timeNs: bigint; value: number }[] = [];
  for (const s of result.series) for (const [timeNs, value] of s.samples) points.push({ labels: s.labels, timeNs, value });
  const names = [...new Set(points.flatMap((p) => Object.keys(p.labels)))].sort();
  const timeType = new TimestampNanosecond('UTC');
  const fields = [...names.map((n) => new Field(n, utf8, false)), new Field('time', timeType, false), new Field('value', new Float64(), false)];
  const schema = new Schema(fields);
  const children: Data[] = names.map((n) => utf8Data(points.map((p) => p.labels[n] ?? '')));
  children.push(makeData({ type: timeType, length: points.length, nullCount: 0, data: BigInt64Array.from(points.map((p) => p.timeNs)) }));
  children.push(makeData({ type: new Float64(), length: points.length, nullCount: 0, data: Float64Array.from(points.map((p) => p.value)) }));
  const struct = makeData({ type: new Struct<TypeMap>(fields), length: points.length, nullCount: 0, children });
  return new Table(schema, [new RecordBatch(schema, struct)]);
}

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
 * - Metric results: the engine's own output, nothing of it re-implemented here: JSON is
 *   `metrics/result.ts`'s exact Prometheus text (`vector`/`matrix`/`scalar`, as Prometheus
 *   writes times and floats; Loki uses the same shapes), Arrow is `metrics/arrow.ts`'s long
 *   table — byte for byte what `letheql query --format jsonl|arrow` prints.
 * - Arrow: log results are the query's own table (contract §3, statistics in its metadata).
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
import type { Table } from 'apache-arrow';
import type { QueryStats } from '../exec/stats.js';
import { prometheusDataJsonChunks } from '../metrics/result.js';
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

/** Unix seconds with millisecond precision, as a JSON number (the volume routes' sample times). */
export function unixSeconds(ns: bigint): number {
  const ms = ns >= 0n ? ns / 1_000_000n : -((-ns + 999_999n) / 1_000_000n);
  return Number(ms) / 1000;
}

/** Joins small text pieces into chunks of about `chunkChars`. */
function* rechunk(pieces: Iterable<string>, chunkChars = 64 * 1024): Generator<string> {
  let buf = '';
  for (const p of pieces) {
    buf += p;
    if (buf.length >= chunkChars) {
      yield buf;
      buf = '';
    }
  }
  if (buf !== '') yield buf;
}

/**
 * A metric answer in JSON: `{"status":"success","data":D}` where D is the engine's own
 * Prometheus text ({@link prometheusDataJsonChunks}, what `letheql query --format jsonl`
 * prints), streamed; `extra` adds raw members to `data` (Loki's `"stats":{…}`).
 */
export function sendMetricJson(reply: FastifyReply, result: MetricResult, extra?: string, warnings?: readonly string[]): FastifyReply {
  function* body(): Generator<string> {
    yield '{"status":"success","data":';
    yield* prometheusDataJsonChunks(result, extra);
    // Problems that did not fail the query (a remote member left out), as Prometheus and Loki list them.
    if (warnings !== undefined && warnings.length > 0) yield `,"warnings":${JSON.stringify(warnings)}`;
    yield '}';
  }
  return reply.type('application/json; charset=utf-8').send(Readable.from(rechunk(body())));
}

/**
 * Loki push bodies → Lethe log records (`POST /loki/api/v1/push`).
 *
 * Owns the decoding of the two encodings Loki clients send and the mapping from a Loki
 * stream's labels to a Lethe target:
 * - `application/x-protobuf` (promtail, Alloy, fluent-bit with protobuf): a snappy *block*
 *   holding a `logproto.PushRequest` (`protobuf.ts`); the stream's labels come as one
 *   Prometheus-style string `{namespace="shop", pod="api-1"}`, parsed with our own query
 *   parser (the same lexer accepts Go-quoted label values).
 * - `application/json` (fluent-bit's default, curl): `{"streams":[{"stream":{…},"values":[["<ns>","<line>"(, {metadata})]]}]}`,
 *   optionally `Content-Encoding: gzip`. Timestamps must be strings, as Loki requires.
 *
 * Label mapping (a Lethe line has exactly these labels, so this is the whole choice):
 * `namespace` + `pod` + `container` → a pod record; otherwise `node` + `process` → a node
 * record; otherwise the stream cannot be stored and the whole push is refused (400) naming
 * it. Other labels (`job`, `stream`, `filename`, …) and structured metadata are dropped:
 * Lethe's line format has no place for them. Label values the writer cannot store (`|`,
 * `[`, `]`, control characters, an unsafe directory name) are refused by the writer's own
 * validation, also as a 400 naming the stream.
 *
 * Sizes are bounded twice: the HTTP layer caps the body (`maxPushBytes`), and decompression
 * here is capped at `maxDecompressedBytes` *before* the output is allocated (snappy states
 * its length up front; gzip is inflated with a `maxOutputLength`). Either overflow is a
 * {@link PushTooLargeError} (413).
 *
 * What a push *writes* is bounded too, since a small body can ask for much more: every line
 * break in a message makes a full line with its timestamp and labels (a 6 KB gzip'd body of
 * one `"x\n" × 2,000,000` message with a 200-byte pod once wrote 478 MB). Entries are
 * counted while decoding (`maxPushLines`, so a body of two-byte protobuf entries cannot make
 * millions of objects), and {@link checkPushWrite} measures the lines and bytes the records
 * would write ({@link measureRecord}, nothing built) against `maxPushLines` and
 * `maxPushWrittenBytes` before anything is formatted. Over either, the whole push is refused
 * (413 naming the limit) and nothing is written. Label values longer than 253 bytes are
 * refused by the writer's own rule (400).
 */
import { gunzipSync } from 'node:zlib';
import { uncompress as snappyUncompress } from 'snappyjs';
import { measureRecord, type LogRecord } from '../write/record.js';
import { parseQuery } from '../query/index.js';
import { QueryError } from '../errors.js';
import { decodePushRequest, ProtobufError, TooManyEntriesError, type PushStream } from './protobuf.js';

/** A push body that cannot be read or stored: answered 400 with this message. */
export class PushError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PushError';
  }
}

/** A push body over a size limit after decompression: answered 413 naming the limit. */
export class PushTooLargeError extends Error {
  constructor(
    message: string,
    readonly limit: string,
  ) {
    super(message);
    this.name = 'PushTooLargeError';
  }
}

/** A Content-Type or Content-Encoding the endpoint does not speak: 415. */
export class UnsupportedMediaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedMediaError';
  }
}

/** The label sets that name a Lethe target, in the order they are tried. */
const POD_LABELS = ['namespace', 'pod', 'container'] as const;
const NODE_LABELS = ['node', 'process'] as const;

/** Renders labels the way Loki prints a stream, for messages: `{a="b", c="d"}`. */
export function formatLabels(labels: Readonly<Record<string, string>>): string {
  return `{${Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`)
    .join(', ')}}`;
}

/**
 * Maps one stream's labels to the record fields, or explains why it cannot be stored.
 * Exported for the README's table and tests.
 */
export function streamTarget(labels: Readonly<Record<string, string>>): { kind: 'pod'; namespace: string; pod: string; container: string } | { kind: 'node'; node: string; process: string } {
  const has = (k: string) => Object.hasOwn(labels, k) && labels[k] !== '';
  if (POD_LABELS.every(has)) return { kind: 'pod', namespace: labels['namespace']!, pod: labels['pod']!, container: labels['container']! };
  if (NODE_LABELS.every(has)) return { kind: 'node', node: labels['node']!, process: labels['process']! };
  throw new PushError(
    `stream ${formatLabels(labels)} cannot be stored: a Lethe store keeps pod lines (labels namespace, pod and container) or node lines (labels node and process)`,
  );
}

/** Parses a Prometheus-style label string (`{a="b", c="d"}`) as protobuf pushes carry it. */
export function parseLabelString(text: string): Record<string, string> {
  let expr;
  try {
    expr = parseQuery(text);
  } catch (e) {
    if (e instanceof QueryError) throw new PushError(`invalid stream labels ${JSON.stringify(text)}: ${e.toString()}`);
    throw e;
  }
  if (expr.kind !== 'VectorSelector' || expr.name !== null || expr.lineFilters.length > 0 || ((expr as { pipeline?: readonly unknown[] }).pipeline?.length ?? 0) > 0 || expr.offset || expr.at || expr.matchers.some((m) => m.op !== '=')) {
    throw new PushError(`invalid stream labels ${JSON.stringify(text)}: expected {name="value", …}`);
  }
  const out: Record<string, string> = {};
  for (const m of expr.matchers) {
    if (Object.hasOwn(out, m.name)) throw new PushError(`invalid stream labels ${JSON.stringify(text)}: label ${m.name} given twice`);
    out[m.name] = m.value;
  }
  return out;
}

/** A decoded push: the records to append, in body order, and the number of streams. */
export interface DecodedPush {
  records: LogRecord[];
  streams: number;
}

function toRecords(streams: readonly { labels: Record<string, string>; entries: readonly { timeNs: bigint; line: string }[] }[]): DecodedPush {
  const records: LogRecord[] = [];
  for (const s of streams) {
    if (s.entries.length === 0) continue;
    const target = streamTarget(s.labels);
    for (const e of s.entries) {
      // Zero is proto3's absent Timestamp, refused as Loki does. Every other time goes to the
      // writer's one check (`checkWritableTime`): the same int64 window as every writer.
      if (e.timeNs === 0n) throw new PushError(`stream ${formatLabels(s.labels)}: entry without a timestamp`);
      records.push(target.kind === 'pod' ? { ...target, time: e.timeNs, message: e.line } : { ...target, time: e.timeNs, message: e.line });
    }
  }
  return { records, streams: streams.length };
}

const DIGITS = /^-?\d{1,20}$/;

function parseJsonTimestamp(value: unknown, where: string): bigint {
  if (typeof value !== 'string') throw new PushError(`${where}: the timestamp must be a string of nanoseconds since the epoch (Loki refuses numbers too)`);
  if (!DIGITS.test(value)) throw new PushError(`${where}: invalid timestamp ${JSON.stringify(value)}, expected nanoseconds since the epoch`);
  return BigInt(value); // the range is the writer's one check (checkWritableTime), as for every writer
}

/** Limits of one push (server `limits.maxPush*`). */
export interface PushLimits {
  /** Bytes of the body after decompression. */
  maxDecompressedBytes: number;
  /** Store lines one push may write (entries are counted against it while decoding). */
  maxLines?: number | null;
  /** Bytes one push may write to store files. */
  maxWrittenBytes?: number | null;
}

function tooManyLines(max: number, what: string): PushTooLargeError {
  return new PushTooLargeError(`push would write ${what} than ${max} lines (limit maxPushLines); send smaller batches`, 'maxPushLines');
}

/**
 * Refuses a push that would write more than `maxLines` lines or `maxWrittenBytes` bytes
 * (413 naming the limit), measured before anything is formatted (see the module note).
 */
export function checkPushWrite(records: readonly LogRecord[], fractionDigits: number, limits: PushLimits): { lines: number; bytes: number } {
  let lines = 0;
  let bytes = 0;
  for (const r of records) {
    const m = measureRecord(r, fractionDigits);
    lines += m.lines;
    bytes += m.bytes;
  }
  if (limits.maxLines != null && lines > limits.maxLines) throw tooManyLines(limits.maxLines, `${lines} lines, more`);
  if (limits.maxWrittenBytes != null && bytes > limits.maxWrittenBytes) {
    throw new PushTooLargeError(`push would write ${bytes} bytes of store lines, more than ${limits.maxWrittenBytes} (limit maxPushWrittenBytes); send smaller batches`, 'maxPushWrittenBytes');
  }
  return { lines, bytes };
}

function decodeJson(text: string, maxEntries: number): DecodedPush {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (e) {
    throw new PushError(`invalid JSON push body: ${(e as Error).message}`);
  }
  if (body === null || typeof body !== 'object' || !Array.isArray((body as { streams?: unknown }).streams)) {
    throw new PushError('invalid JSON push body: expected {"streams": [{"stream": {…}, "values": [["<ns>", "<line>"], …]}]}');
  }
  let entryCount = 0;
  const streams = (body as { streams: unknown[] }).streams.map((s, i) => {
    const where = `streams[${i}]`;
    if (s === null || typeof s !== 'object') throw new PushError(`${where}: expected an object`);
    const { stream, values } = s as { stream?: unknown; values?: unknown };
    if (stream === null || typeof stream !== 'object' || Array.isArray(stream)) throw new PushError(`${where}.stream: expected an object of labels`);
    const labels: Record<string, string> = {};
    for (const [k, v] of Object.entries(stream)) {
      if (typeof v !== 'string') throw new PushError(`${where}.stream.${k}: label values must be strings`);
      labels[k] = v;
    }
    if (!Array.isArray(values)) throw new PushError(`${where}.values: expected an array of [timestamp, line] pairs`);
    entryCount += values.length;
    if (entryCount > maxEntries) throw tooManyLines(maxEntries, 'more entries');
    const entries = values.map((v, j) => {
      const at = `${where}.values[${j}]`;
      if (!Array.isArray(v) || v.length < 2 || v.length > 3) throw new PushError(`${at}: expected ["<ns>", "<line>"] or ["<ns>", "<line>", {structured metadata}]`);
      if (typeof v[1] !== 'string') throw new PushError(`${at}: the line must be a string`);
      if (v.length === 3 && (v[2] === null || typeof v[2] !== 'object' || Array.isArray(v[2]))) throw new PushError(`${at}: structured metadata must be an object`);
      return { timeNs: parseJsonTimestamp(v[0], at), line: v[1] };
    });
    return { labels, entries };
  });
  return toRecords(streams);
}

function decodeProtobuf(bytes: Uint8Array, maxDecompressedBytes: number, maxEntries: number): DecodedPush {
  let raw: Uint8Array;
  try {
    raw = snappyUncompress(bytes, maxDecompressedBytes);
  } catch (e) {
    const message = (e as Error).message;
    if (/too big/.test(message)) {
      throw new PushTooLargeError(`push body decompresses to more than ${maxDecompressedBytes} bytes (limit maxPushDecompressedBytes)`, 'maxPushDecompressedBytes');
    }
    throw new PushError(`invalid snappy-compressed push body: ${message}`);
  }
  let streams: PushStream[];
  try {
    streams = decodePushRequest(raw, maxEntries);
  } catch (e) {
    if (e instanceof TooManyEntriesError) throw tooManyLines(maxEntries, 'more entries');
    if (e instanceof ProtobufError) throw new PushError(`invalid protobuf push body (logproto.PushRequest): ${e.message}`);
    throw e;
  }
  return toRecords(streams.map((s) => ({ labels: parseLabelString(s.labels), entries: s.entries })));
}

function gunzip(body: Uint8Array, maxDecompressedBytes: number): Uint8Array {
  try {
    return gunzipSync(body, { maxOutputLength: maxDecompressedBytes });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new PushTooLargeError(`push body decompresses to more than ${maxDecompressedBytes} bytes (limit maxPushDecompressedBytes)`, 'maxPushDecompressedBytes');
    }
    throw new PushError(`invalid gzip push body: ${(e as Error).message}`);
  }
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes a push body by its `Content-Type` and `Content-Encoding`. Throws {@link PushError}
 * (400), {@link PushTooLargeError} (413) or {@link UnsupportedMediaError} (415).
 */
export function decodePush(body: Uint8Array, contentType: string | undefined, contentEncoding: string | undefined, limits: PushLimits): DecodedPush {
  const { maxDecompressedBytes } = limits;
  const maxEntries = limits.maxLines ?? Infinity;
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const encoding = (contentEncoding ?? '').trim().toLowerCase();
  let bytes = body;
  if (encoding === 'gzip') bytes = gunzip(body, maxDecompressedBytes);
  else if (encoding !== '' && encoding !== 'identity') throw new UnsupportedMediaError(`unsupported Content-Encoding ${JSON.stringify(contentEncoding)}: expected gzip or none`);
  // promtail and Loki's own clients send protobuf; an absent type is protobuf too, as in Loki.
  if (type === 'application/x-protobuf' || type === '' || type === 'application/octet-stream') {
    if (encoding === 'gzip') throw new UnsupportedMediaError('a protobuf push body is snappy-compressed, not gzip');
    return decodeProtobuf(bytes, maxDecompressedBytes, maxEntries);
  }
  if (type === 'application/json') {
    if (bytes.length > maxDecompressedBytes) {
      throw new PushTooLargeError(`push body is larger than ${maxDecompressedBytes} bytes (limit maxPushDecompressedBytes)`, 'maxPushDecompressedBytes');
    }
    let text: string;
    try {
      text = strictUtf8.decode(bytes);
    } catch {
      throw new PushError('invalid JSON push body: not valid UTF-8');
    }
    return decodeJson(text, maxEntries);
  }
  throw new UnsupportedMediaError(`unsupported Content-Type ${JSON.stringify(contentType)}: expected application/x-protobuf (snappy) or application/json`);
}

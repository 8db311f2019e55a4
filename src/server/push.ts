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
 * Label mapping (a Lethe line has exactly these labels, so this is the whole choice), per
 * stream, by {@link mapStream}:
 * 1. `namespace` + `pod` + `container` → a pod record, as given;
 * 2. otherwise `node` + `process` → a node record, as given;
 * 3. otherwise a pod record through the {@link PushLabelRule} (server config `push.labels`):
 *    each of `namespace`, `pod`, `container` takes the first non-empty label of its `from`
 *    list, else its `default`. The default rule reads the labels common clients send
 *    (`service_name`, `app`, `job` for the pod; OpenTelemetry's `k8s_*` names), with
 *    namespace and container `"default"`; winston-loki's `{app="myapp", level="info"}` is
 *    then `default|myapp|default`. A field with neither a label nor a default refuses the
 *    stream, naming the labels it looked for.
 * Labels the mapping does not use (`level`, `job` next to a `pod`, `filename`, …) and
 * structured metadata have no place in a Lethe line: they are counted (in the answer, and in
 * `/metrics` as `letheql_push_labels_dropped_total` and
 * `letheql_push_metadata_dropped_total`), never dropped silently.
 *
 * Partial success, as Loki's distributor does it: a stream that cannot be stored (labels it
 * cannot map, a value the writer refuses — `|`, `[`, `]`, control characters, an unsafe
 * directory name —, an invalid label string) and an entry whose time cannot be stored are
 * refused *alone*; every other stream of the push is written. {@link PushOutcome} lists
 * what was refused and why; the route answers 400 naming it (Loki answers 400 with the
 * validation error while keeping the valid streams) so that clients log it, and does not
 * invite a retry of what was written. A body that cannot be read at all (bad JSON, bad
 * protobuf, a timestamp that is not a nanosecond string) is still refused whole.
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
import { checkWritableTime, InvalidRecordError, labelProblem, measureRecord, type FractionDigits, type LogRecord } from '../write/record.js';
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

/** The label sets that name a Lethe target as they are. */
const POD_LABELS = ['namespace', 'pod', 'container'] as const;
const NODE_LABELS = ['node', 'process'] as const;

/** Where one pod field comes from: the first non-empty label of `from`, else `default`. */
export interface PushLabelSource {
  from: string[];
  /** Used when no label of `from` is present; null: such a stream is refused. */
  default: string | null;
}

/**
 * How a pushed stream without `namespace`+`pod`+`container` (or `node`+`process`) becomes a
 * pod line (server config `push.labels`; see the module note).
 */
export interface PushLabelRule {
  namespace: PushLabelSource;
  pod: PushLabelSource;
  container: PushLabelSource;
}

/** The default {@link PushLabelRule}. */
export const DEFAULT_PUSH_LABEL_RULE: PushLabelRule = {
  namespace: { from: ['namespace', 'k8s_namespace_name', 'service_namespace'], default: 'default' },
  pod: { from: ['pod', 'k8s_pod_name', 'service_name', 'app', 'application', 'job'], default: null },
  container: { from: ['container', 'k8s_container_name', 'container_name'], default: 'default' },
};

/** Renders labels the way Loki prints a stream, for messages: `{a="b", c="d"}`. */
export function formatLabels(labels: Readonly<Record<string, string>>): string {
  return `{${Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`)
    .join(', ')}}`;
}

/** The record fields of a stream. */
export type StreamTarget = { kind: 'pod'; namespace: string; pod: string; container: string } | { kind: 'node'; node: string; process: string };

/** A stream's target, whether the rule was needed, and the labels the line cannot keep. */
export interface MappedStream {
  target: StreamTarget;
  /** True when the target came through the rule (step 3 of the module note). */
  mapped: boolean;
  /** Labels of the stream that the written line does not keep, sorted. */
  dropped: string[];
}

/**
 * Maps one stream's labels to the record fields (see the module note), or throws
 * {@link PushError} explaining why it cannot be stored.
 */
export function mapStream(labels: Readonly<Record<string, string>>, rule: PushLabelRule = DEFAULT_PUSH_LABEL_RULE): MappedStream {
  const has = (k: string) => Object.hasOwn(labels, k) && labels[k] !== '';
  const droppedExcept = (used: readonly string[]) =>
    Object.keys(labels)
      .filter((k) => !used.includes(k))
      .sort();
  if (POD_LABELS.every(has)) return { target: { kind: 'pod', namespace: labels['namespace']!, pod: labels['pod']!, container: labels['container']! }, mapped: false, dropped: droppedExcept(POD_LABELS) };
  if (NODE_LABELS.every(has)) return { target: { kind: 'node', node: labels['node']!, process: labels['process']! }, mapped: false, dropped: droppedExcept(NODE_LABELS) };
  const used: string[] = [];
  const field = (name: keyof PushLabelRule): string => {
    const src = rule[name];
    const from = src.from.find(has);
    if (from !== undefined) {
      used.push(from);
      return labels[from]!;
    }
    if (src.default !== null) return src.default;
    throw new PushError(
      `stream ${formatLabels(labels)} cannot be stored: no label for ${name} (looked for ${src.from.join(', ')}); a Lethe store keeps pod lines (namespace, pod, container) or node lines (node, process), see push.labels in the README`,
    );
  };
  const target: StreamTarget = { kind: 'pod', namespace: field('namespace'), pod: field('pod'), container: field('container') };
  return { target, mapped: true, dropped: droppedExcept(used) };
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

/** One stream of a decoded push: its labels (or why they could not be read) and entries. */
export interface DecodedStream {
  labels: Record<string, string>;
  /** Set when the stream's label string could not be read (protobuf): the stream is refused. */
  labelError?: string;
  /** The label string as sent, when it could not be read. */
  raw?: string;
  entries: readonly { timeNs: bigint; line: string; metadata?: number }[];
}

/** A decoded push: its streams in body order. */
export interface DecodedPush {
  streams: DecodedStream[];
}

/** Streams or entries of a push that were not stored, and why. */
export interface RefusedStream {
  /** The stream's labels as Loki prints them. */
  stream: string;
  /** Entries of the stream that were refused for this reason. */
  entries: number;
  /** `labels` (cannot be mapped or read), `label_value` (a value a store cannot hold), `time`. */
  reason: 'labels' | 'label_value' | 'time';
  message: string;
}

/** What a push stores and what it refuses (see the module note). */
export interface PushOutcome {
  /** The records to write, in body order. */
  records: LogRecord[];
  /** Streams in the body. */
  streams: number;
  /** Entries in the body. */
  entries: number;
  /** Streams stored through the label rule. */
  mappedStreams: number;
  /** Label names the written lines do not keep → number of streams that had them. */
  droppedLabels: Record<string, number>;
  /** Stored entries that carried structured metadata (not stored: a Lethe line has no place for it). */
  metadataDropped: number;
  refused: RefusedStream[];
}

/**
 * Maps decoded streams to records: a stream that cannot be mapped, or whose label values a
 * store cannot hold, is refused whole; an entry whose time cannot be stored is refused
 * alone (see the module note). Labels and times are checked with the writer's own rules
 * (`labelProblem`, `checkWritableTime` at `fractionDigits`), so what is returned formats
 * without error; messages are not formatted here.
 */
export function planPush(decoded: DecodedPush, rule: PushLabelRule, fractionDigits: FractionDigits): PushOutcome {
  const out: PushOutcome = { records: [], streams: decoded.streams.length, entries: 0, mappedStreams: 0, droppedLabels: Object.create(null) as Record<string, number>, metadataDropped: 0, refused: [] };
  for (const s of decoded.streams) {
    out.entries += s.entries.length;
    if (s.entries.length === 0) continue;
    const name = s.labelError !== undefined ? (s.raw ?? '') : formatLabels(s.labels);
    if (s.labelError !== undefined) {
      out.refused.push({ stream: name, entries: s.entries.length, reason: 'labels', message: s.labelError });
      continue;
    }
    let m: MappedStream;
    try {
      m = mapStream(s.labels, rule);
    } catch (e) {
      if (!(e instanceof PushError)) throw e;
      out.refused.push({ stream: name, entries: s.entries.length, reason: 'labels', message: e.message });
      continue;
    }
    const target = m.target;
    const labelRefusal = targetProblem(target);
    if (labelRefusal !== null) {
      out.refused.push({ stream: name, entries: s.entries.length, reason: 'label_value', message: `stream ${name} cannot be stored: ${labelRefusal}` });
      continue;
    }
    // Messages are not formatted here: the write limits are checked before that (module note).
    let timeRefused: RefusedStream | null = null;
    const records: LogRecord[] = [];
    for (const e of s.entries) {
      // Zero is proto3's absent Timestamp, refused as Loki does; every other time goes to the
      // writer's one check (`checkWritableTime`): the same int64 window as every writer.
      let problem: string | null = e.timeNs === 0n ? `stream ${name}: entry without a timestamp` : null;
      if (problem === null) {
        try {
          checkWritableTime(e.timeNs, fractionDigits);
        } catch (err) {
          if (!(err instanceof InvalidRecordError)) throw err;
          problem = `stream ${name}: ${err.message}`;
        }
      }
      if (problem !== null) {
        timeRefused ??= { stream: name, entries: 0, reason: 'time', message: problem };
        timeRefused.entries++;
        continue;
      }
      records.push(target.kind === 'pod' ? { ...target, time: e.timeNs, message: e.line } : { ...target, time: e.timeNs, message: e.line });
      if ((e.metadata ?? 0) > 0) out.metadataDropped++;
    }
    if (timeRefused !== null) out.refused.push(timeRefused);
    if (records.length === 0) continue;
    out.records.push(...records);
    if (m.mapped) out.mappedStreams++;
    for (const l of m.dropped) out.droppedLabels[l] = (out.droppedLabels[l] ?? 0) + 1;
  }
  return out;
}

/** Why the writer would refuse the target's label values, or null (the writer's own rule, `labelProblem`). */
function targetProblem(t: StreamTarget): string | null {
  const fields: [string, string, boolean][] = t.kind === 'pod' ? [['namespace', t.namespace, true], ['pod', t.pod, false], ['container', t.container, false]] : [['node', t.node, true], ['process', t.process, false]];
  for (const [field, value, isTarget] of fields) {
    const p = labelProblem(value, isTarget);
    if (p !== null) return `invalid ${field} ${JSON.stringify(value)}: ${p}`;
  }
  return null;
}

/** Most refusals an answer lists one by one (the count covers the rest). */
export const MAX_LISTED_REFUSALS = 20;

/** The answer's summary of a push with refusals: Loki-style one-line message. */
export function refusalMessage(outcome: PushOutcome): string {
  const refusedEntries = outcome.refused.reduce((a, r) => a + r.entries, 0);
  const first = outcome.refused[0]!;
  const more = outcome.refused.length > 1 ? ` (and ${outcome.refused.length - 1} more refusal${outcome.refused.length > 2 ? 's' : ''})` : '';
  return `stored ${outcome.records.length} of ${outcome.entries} entries; refused ${refusedEntries}: ${first.message}${more}`;
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
export function checkPushWrite(records: readonly LogRecord[], fractionDigits: FractionDigits, limits: PushLimits): { lines: number; bytes: number } {
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
      const metadata = v.length === 3 ? Object.keys(v[2] as object).length : 0;
      return metadata > 0 ? { timeNs: parseJsonTimestamp(v[0], at), line: v[1], metadata } : { timeNs: parseJsonTimestamp(v[0], at), line: v[1] };
    });
    return { labels, entries };
  });
  return { streams };
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
  return {
    streams: streams.map((s): DecodedStream => {
      try {
        return { labels: parseLabelString(s.labels), entries: s.entries };
      } catch (e) {
        if (!(e instanceof PushError)) throw e;
        // Refused alone (see the module note); the raw string names it in the answer.
        return { labels: {}, raw: s.labels, labelError: e.message, entries: s.entries };
      }
    }),
  };
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

/**
 * Loki's `logproto.PushRequest` (what promtail, Grafana Alloy, fluent-bit and winston-loki send
 * to `/loki/api/v1/push`, snappy-compressed), read and written with protobufjs's wire
 * `Reader`/`Writer`.
 *
 * ```
 * message PushRequest   { repeated StreamAdapter streams = 1; }
 * message StreamAdapter { string labels = 1; repeated EntryAdapter entries = 2; uint64 hash = 3; }
 * message EntryAdapter  { Timestamp timestamp = 1; string line = 2; repeated LabelPairAdapter structuredMetadata = 3; }
 * message Timestamp     { int64 seconds = 1; int32 nanos = 2; }
 * ```
 *
 * The wire format (varints, lengths, skipping unknown fields) is protobufjs's; this module
 * walks the four messages as protobufjs's static code generator would, plus what a server
 * facing hostile bodies needs and generated code does not do: every sub-message is checked
 * to end inside its parent, wire types are checked per field, strings must be valid UTF-8
 * (a corrupt line is refused, not stored with U+FFFD), and entries are counted as they are
 * decoded, so a body of millions of two-byte entries stops at `maxEntries` instead of
 * allocating them all. Any failure is a {@link ProtobufError} naming the byte offset.
 * Structured metadata is parsed past and dropped (a Lethe line has no place for it); its
 * pairs are counted so that the push's answer says so.
 */
import protobuf from 'protobufjs/minimal.js';

const { Reader, Writer } = protobuf;
type WireReader = protobuf.Reader;

/** The body is not a valid `PushRequest`. */
export class ProtobufError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`invalid protobuf at byte ${offset}: ${message}`);
    this.name = 'ProtobufError';
  }
}

/** One entry of a pushed stream: nanoseconds since the epoch and the line. */
export interface PushEntry {
  timeNs: bigint;
  line: string;
  /** Structured metadata pairs the entry carried (not stored: counted in the push's answer). */
  metadata?: number;
}

/** One pushed stream: its label string as sent (`{namespace="a", pod="b"}`) and its entries. */
export interface PushStream {
  labels: string;
  entries: PushEntry[];
}

const WIRE_VARINT = 0;
const WIRE_LEN = 2;
const NS_PER_SECOND = 1_000_000_000n;

// `fatal: true`: a line that is not UTF-8 is a corrupt body, not a line to store with U+FFFD.
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The next field of the message ending at `end`: its number and wire type. */
function tag(r: WireReader): { field: number; wireType: number; at: number } {
  const at = r.pos;
  const key = r.uint32();
  const field = key >>> 3;
  if (field === 0) throw new ProtobufError('field number 0', at);
  return { field, wireType: key & 7, at };
}

function expectWire(actual: number, expected: number, what: string, at: number): void {
  if (actual !== expected) throw new ProtobufError(`${what} has wire type ${actual}, expected ${expected}`, at);
}

/** Reads a length prefix and returns where the sub-message ends, checked against its parent's end. */
function subEnd(r: WireReader, parentEnd: number): number {
  const at = r.pos;
  const len = r.uint32();
  const end = r.pos + len;
  if (end > parentEnd) throw new ProtobufError(`length ${len} runs past the end of the message`, at);
  return end;
}

function string(r: WireReader, what: string): string {
  const at = r.pos;
  try {
    return utf8.decode(r.bytes());
  } catch (e) {
    if (e instanceof ProtobufError || e instanceof RangeError) throw e;
    throw new ProtobufError(`${what} is not valid UTF-8`, at);
  }
}

function skip(r: WireReader, wireType: number, at: number): void {
  // Groups (wire types 3/4) are long deprecated and never in logproto: refuse rather than walk them.
  if (wireType === 3 || wireType === 4 || wireType > 5) throw new ProtobufError(`unsupported wire type ${wireType}`, at);
  // protobufjs's skipType walks a varint of any length; a varint is at most 10 bytes (uint64 checks).
  if (wireType === WIRE_VARINT) r.uint64();
  else r.skipType(wireType);
}

function readTimestamp(r: WireReader, end: number): bigint {
  let seconds = 0n;
  let nanos = 0;
  while (r.pos < end) {
    const { field, wireType, at } = tag(r);
    if (field === 1) {
      expectWire(wireType, WIRE_VARINT, 'Timestamp.seconds', at);
      const l = r.int64(); // a Long (protobufjs depends on long): exact 64 bits
      seconds = BigInt.asIntN(64, (BigInt(l.high >>> 0) << 32n) | BigInt(l.low >>> 0));
    } else if (field === 2) {
      expectWire(wireType, WIRE_VARINT, 'Timestamp.nanos', at);
      nanos = r.int32();
      if (nanos < 0 || nanos >= 1e9) throw new ProtobufError(`Timestamp.nanos ${nanos} outside 0..999999999`, at);
    } else {
      skip(r, wireType, at);
    }
  }
  return seconds * NS_PER_SECOND + BigInt(nanos);
}

function readEntry(r: WireReader, end: number): PushEntry {
  let timeNs: bigint | null = null;
  let line = '';
  let metadata = 0;
  while (r.pos < end) {
    const { field, wireType, at } = tag(r);
    if (field === 3) metadata++;
    if (field === 1) {
      expectWire(wireType, WIRE_LEN, 'EntryAdapter.timestamp', at);
      const e = subEnd(r, end);
      timeNs = readTimestamp(r, e);
    } else if (field === 2) {
      expectWire(wireType, WIRE_LEN, 'EntryAdapter.line', at);
      line = string(r, 'EntryAdapter.line');
    } else {
      skip(r, wireType, at); // structuredMetadata (3) and anything newer
    }
  }
  // An absent timestamp is the zero Timestamp in proto3; Loki rejects it too.
  return metadata > 0 ? { timeNs: timeNs ?? 0n, line, metadata } : { timeNs: timeNs ?? 0n, line };
}

/** A push holding more entries than the caller allows (thrown before they are all decoded). */
export class TooManyEntriesError extends Error {
  constructor(readonly max: number) {
    super(`more than ${max} entries`);
    this.name = 'TooManyEntriesError';
  }
}

function readStream(r: WireReader, end: number, budget: { count: number; max: number }): PushStream {
  let labels = '';
  const entries: PushEntry[] = [];
  while (r.pos < end) {
    const { field, wireType, at } = tag(r);
    if (field === 1) {
      expectWire(wireType, WIRE_LEN, 'StreamAdapter.labels', at);
      labels = string(r, 'StreamAdapter.labels');
    } else if (field === 2) {
      expectWire(wireType, WIRE_LEN, 'StreamAdapter.entries', at);
      if (++budget.count > budget.max) throw new TooManyEntriesError(budget.max);
      const e = subEnd(r, end);
      entries.push(readEntry(r, e));
    } else {
      skip(r, wireType, at); // hash (3)
    }
  }
  if (r.pos !== end) throw new ProtobufError('a field runs past the end of its message', end);
  return { labels, entries };
}

/**
 * Decodes a `logproto.PushRequest`. Throws {@link ProtobufError} for anything malformed, and
 * {@link TooManyEntriesError} as soon as more than `maxEntries` entries were seen (an entry
 * can be two bytes, so a body's size alone does not bound the objects decoding makes).
 */
export function decodePushRequest(bytes: Uint8Array, maxEntries = Infinity): PushStream[] {
  const r = Reader.create(bytes);
  const streams: PushStream[] = [];
  const budget = { count: 0, max: maxEntries };
  try {
    while (r.pos < r.len) {
      const { field, wireType, at } = tag(r);
      if (field === 1) {
        expectWire(wireType, WIRE_LEN, 'PushRequest.streams', at);
        const end = subEnd(r, r.len);
        streams.push(readStream(r, end, budget));
      } else {
        skip(r, wireType, at);
      }
    }
    if (r.pos !== r.len) throw new ProtobufError('a field runs past the end of the body', r.len);
  } catch (e) {
    if (e instanceof ProtobufError || e instanceof TooManyEntriesError) throw e;
    // protobufjs reports truncation and overlong varints as RangeError/Error ("index out of
    // range", "invalid varint encoding"): the body is corrupt, say where.
    throw new ProtobufError(`truncated or malformed (${(e as Error).message})`, Math.min(r.pos, r.len));
  }
  return streams;
}

/**
 * Encodes a `PushRequest` (the inverse of {@link decodePushRequest}), as promtail does before
 * snappy-compressing it; tests and the load generator build real request bodies with it.
 * Timestamps before the epoch are encoded as Go does (negative seconds, non-negative nanos).
 */
export function encodePushRequest(streams: readonly PushStream[]): Uint8Array {
  const w = Writer.create();
  for (const s of streams) {
    w.uint32((1 << 3) | WIRE_LEN).fork();
    w.uint32((1 << 3) | WIRE_LEN).string(s.labels);
    for (const e of s.entries) {
      let seconds = e.timeNs / NS_PER_SECOND;
      let nanos = e.timeNs % NS_PER_SECOND;
      if (nanos < 0n) {
        nanos += NS_PER_SECOND;
        seconds -= 1n;
      }
      w.uint32((2 << 3) | WIRE_LEN).fork(); // entries
      w.uint32((1 << 3) | WIRE_LEN).fork(); // timestamp
      if (seconds !== 0n) w.uint32((1 << 3) | WIRE_VARINT).int64(seconds.toString() as unknown as number);
      if (nanos !== 0n) w.uint32((2 << 3) | WIRE_VARINT).int32(Number(nanos));
      w.ldelim();
      w.uint32((2 << 3) | WIRE_LEN).string(e.line);
      w.ldelim();
    }
    w.ldelim();
  }
  return w.finish();
}

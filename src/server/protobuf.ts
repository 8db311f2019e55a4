/**
 * A minimal protobuf reader for Loki's `logproto.PushRequest` (what promtail, Grafana Alloy
 * and fluent-bit send to `/loki/api/v1/push`, snappy-compressed).
 *
 * ```
 * message PushRequest   { repeated StreamAdapter streams = 1; }
 * message StreamAdapter { string labels = 1; repeated EntryAdapter entries = 2; uint64 hash = 3; }
 * message EntryAdapter  { Timestamp timestamp = 1; string line = 2; repeated LabelPairAdapter structuredMetadata = 3; }
 * message Timestamp     { int64 seconds = 1; int32 nanos = 2; }
 * ```
 *
 * Why hand-written: the schema is four messages, and a general protobuf runtime would be a
 * dependency (and a code generator) for them. Every read is bounds-checked against the end of
 * its enclosing message, so a corrupt or hostile body fails with {@link ProtobufError} naming
 * the byte offset — never an out-of-range read, an endless loop, or a huge allocation (a
 * length is checked against the bytes left before anything is sliced). Unknown fields are
 * skipped by wire type, as protobuf requires; groups (wire types 3/4, long deprecated) are
 * rejected. Structured metadata is parsed past and dropped (a Lethe line has no place for
 * it); its pairs are counted so that the push's answer says so.
 */

/** The body is not a valid `PushRequest`. */
export class ProtobufError extends Error {
  constructor(message: string, readonly offset: number) {
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
const WIRE_FIXED64 = 1;
const WIRE_LEN = 2;
const WIRE_FIXED32 = 5;

const NS_PER_SECOND = 1_000_000_000n;

// `fatal: true`: a line that is not UTF-8 is a corrupt body, not a line to store with U+FFFD.
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A cursor over `bytes[pos, end)`. Sub-messages get their own reader with a tighter end. */
class Reader {
  constructor(
    private readonly bytes: Uint8Array,
    public pos: number,
    private readonly end: number,
  ) {}

  get done(): boolean {
    return this.pos >= this.end;
  }

  /**
   * A varint as a bigint (up to 10 bytes, 64 bits; the value is the unsigned 64-bit pattern).
   * Fast path: the first four bytes accumulate in a number (tags and lengths fit there).
   */
  varint(): bigint {
    const start = this.pos;
    let small = 0;
    for (let i = 0; i < 4; i++) {
      if (this.pos >= this.end) throw new ProtobufError('truncated varint', start);
      const b = this.bytes[this.pos++]!;
      small |= (b & 0x7f) << (7 * i);
      if (b < 0x80) return BigInt(small >>> 0);
    }
    let value = BigInt(small >>> 0);
    for (let i = 4; i < 10; i++) {
      if (this.pos >= this.end) throw new ProtobufError('truncated varint', start);
      const b = this.bytes[this.pos++]!;
      value |= BigInt(b & 0x7f) << BigInt(7 * i);
      if (b < 0x80) return BigInt.asUintN(64, value);
    }
    throw new ProtobufError('varint longer than 10 bytes', start);
  }

  /** A varint that must be a length or tag: a non-negative safe integer. */
  smallVarint(what: string): number {
    const at = this.pos;
    const v = this.varint();
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ProtobufError(`${what} too large`, at);
    return Number(v);
  }

  /** A length-delimited field's bounds, checked against the bytes left. */
  lengthDelimited(): { start: number; end: number } {
    const at = this.pos;
    const len = this.smallVarint('length');
    if (len > this.end - this.pos) throw new ProtobufError(`length ${len} runs past the end of the message`, at);
    const start = this.pos;
    this.pos += len;
    return { start, end: this.pos };
  }

  string(what: string): string {
    const { start, end } = this.lengthDelimited();
    try {
      return utf8.decode(this.bytes.subarray(start, end));
    } catch {
      throw new ProtobufError(`${what} is not valid UTF-8`, start);
    }
  }

  sub(): Reader {
    const { start, end } = this.lengthDelimited();
    return new Reader(this.bytes, start, end);
  }

  skip(wireType: number, at: number): void {
    switch (wireType) {
      case WIRE_VARINT:
        this.varint();
        return;
      case WIRE_FIXED64:
        this.advance(8, at);
        return;
      case WIRE_LEN:
        this.lengthDelimited();
        return;
      case WIRE_FIXED32:
        this.advance(4, at);
        return;
      default:
        throw new ProtobufError(`unsupported wire type ${wireType}`, at);
    }
  }

  private advance(n: number, at: number): void {
    if (n > this.end - this.pos) throw new ProtobufError('truncated fixed-width field', at);
    this.pos += n;
  }

  /** The next field's number and wire type. */
  tag(): { field: number; wireType: number; at: number } {
    const at = this.pos;
    const key = this.smallVarint('tag');
    const field = Math.floor(key / 8);
    if (field === 0) throw new ProtobufError('field number 0', at);
    return { field, wireType: key % 8, at };
  }
}

function expectWire(actual: number, expected: number, what: string, at: number): void {
  if (actual !== expected) throw new ProtobufError(`${what} has wire type ${actual}, expected ${expected}`, at);
}

function readTimestamp(r: Reader): bigint {
  let seconds = 0n;
  let nanos = 0n;
  while (!r.done) {
    const { field, wireType, at } = r.tag();
    if (field === 1) {
      expectWire(wireType, WIRE_VARINT, 'Timestamp.seconds', at);
      seconds = BigInt.asIntN(64, r.varint());
    } else if (field === 2) {
      expectWire(wireType, WIRE_VARINT, 'Timestamp.nanos', at);
      nanos = BigInt.asIntN(32, r.varint());
      if (nanos < 0n || nanos >= NS_PER_SECOND) throw new ProtobufError(`Timestamp.nanos ${nanos} outside 0..999999999`, at);
    } else {
      r.skip(wireType, at);
    }
  }
  return seconds * NS_PER_SECOND + nanos;
}

function readEntry(r: Reader): PushEntry {
  let timeNs: bigint | null = null;
  let line = '';
  let metadata = 0;
  while (!r.done) {
    const { field, wireType, at } = r.tag();
    if (field === 3) metadata++;
    if (field === 1) {
      expectWire(wireType, WIRE_LEN, 'EntryAdapter.timestamp', at);
      timeNs = readTimestamp(r.sub());
    } else if (field === 2) {
      expectWire(wireType, WIRE_LEN, 'EntryAdapter.line', at);
      line = r.string('EntryAdapter.line');
    } else {
      r.skip(wireType, at); // structuredMetadata (3) and anything newer
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

/** Entries decoded so far and the most allowed. */
interface EntryBudget {
  count: number;
  max: number;
}

function readStream(r: Reader, budget: EntryBudget): PushStream {
  let labels = '';
  const entries: PushEntry[] = [];
  while (!r.done) {
    const { field, wireType, at } = r.tag();
    if (field === 1) {
      expectWire(wireType, WIRE_LEN, 'StreamAdapter.labels', at);
      labels = r.string('StreamAdapter.labels');
    } else if (field === 2) {
      expectWire(wireType, WIRE_LEN, 'StreamAdapter.entries', at);
      if (++budget.count > budget.max) throw new TooManyEntriesError(budget.max);
      entries.push(readEntry(r.sub()));
    } else {
      r.skip(wireType, at); // hash (3)
    }
  }
  return { labels, entries };
}

/**
 * Decodes a `logproto.PushRequest`. Throws {@link ProtobufError} for anything malformed, and
 * {@link TooManyEntriesError} as soon as more than `maxEntries` entries were seen (an entry
 * can be two bytes, so a body's size alone does not bound the objects decoding makes).
 */
export function decodePushRequest(bytes: Uint8Array, maxEntries = Infinity): PushStream[] {
  const r = new Reader(bytes, 0, bytes.length);
  const streams: PushStream[] = [];
  const budget: EntryBudget = { count: 0, max: maxEntries };
  while (!r.done) {
    const { field, wireType, at } = r.tag();
    if (field === 1) {
      expectWire(wireType, WIRE_LEN, 'PushRequest.streams', at);
      streams.push(readStream(r.sub(), budget));
    } else {
      r.skip(wireType, at);
    }
  }
  return streams;
}

// ---- Encoding: only what tests and the load generator need to build real request bodies ----

function pushVarint(out: number[], value: bigint): void {
  let v = BigInt.asUintN(64, value);
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
}

function pushLen(out: number[], field: number, body: Uint8Array | number[]): void {
  pushVarint(out, BigInt(field * 8 + WIRE_LEN));
  pushVarint(out, BigInt(body.length));
  for (const b of body) out.push(b);
}

const encoder = new TextEncoder();

/**
 * Encodes a `PushRequest` (the inverse of {@link decodePushRequest}), as promtail does
 * before snappy-compressing it. Timestamps before the epoch are encoded as Go does
 * (negative seconds, non-negative nanos).
 */
export function encodePushRequest(streams: readonly PushStream[]): Uint8Array {
  const out: number[] = [];
  for (const s of streams) {
    const stream: number[] = [];
    pushLen(stream, 1, encoder.encode(s.labels));
    for (const e of s.entries) {
      let seconds = e.timeNs / NS_PER_SECOND;
      let nanos = e.timeNs % NS_PER_SECOND;
      if (nanos < 0n) {
        nanos += NS_PER_SECOND;
        seconds -= 1n;
      }
      const ts: number[] = [];
      if (seconds !== 0n) {
        pushVarint(ts, 8n);
        pushVarint(ts, seconds);
      }
      if (nanos !== 0n) {
        pushVarint(ts, 16n);
        pushVarint(ts, nanos);
      }
      const entry: number[] = [];
      pushLen(entry, 1, ts);
      pushLen(entry, 2, encoder.encode(e.line));
      pushLen(stream, 2, entry);
    }
    pushLen(out, 1, stream);
  }
  return Uint8Array.from(out);
}

/**
 * The `logproto.PushRequest` reader (protobufjs's wire Reader): round trips with the encoder, protobuf
 * details (unknown fields, field order, negative seconds), and corrupt input that must fail
 * with ProtobufError — never another exception, never a hang.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodePushRequest, encodePushRequest, ProtobufError, type PushStream } from '../../src/server/protobuf.js';

const hex = (s: string) => Uint8Array.from(s.match(/../g)!.map((b) => parseInt(b, 16)));

describe('PushRequest decoding', () => {
  it('decodes a hand-assembled message byte by byte', () => {
    // streams { labels: "{a=\"b\"}", entries { timestamp { seconds: 1, nanos: 5 } line: "hi" } }
    const labels = Buffer.from('{a="b"}').toString('hex'); // 7 bytes
    const ts = '0801' + '1005'; // seconds=1, nanos=5
    const entry = '0a04' + ts + '1202' + Buffer.from('hi').toString('hex');
    const stream = '0a07' + labels + '12' + (entry.length / 2).toString(16).padStart(2, '0') + entry;
    const msg = '0a' + (stream.length / 2).toString(16).padStart(2, '0') + stream;
    expect(decodePushRequest(hex(msg))).toEqual([{ labels: '{a="b"}', entries: [{ timeNs: 1_000_000_005n, line: 'hi' }] }]);
  });

  it('skips unknown fields of every wire type, and counts structured metadata pairs it does not keep', () => {
    const entry = [
      ...[0x0a, 0x02, 0x08, 0x02], // timestamp { seconds: 2 }
      ...[0x12, 0x01, 0x78], // line "x"
      ...[0x1a, 0x06, 0x0a, 0x01, 0x6b, 0x12, 0x01, 0x76], // structuredMetadata { name "k" value "v" }
      ...[0x20, 0x96, 0x01], // field 4 varint
      ...[0x29, 1, 2, 3, 4, 5, 6, 7, 8], // field 5 fixed64
      ...[0x35, 1, 2, 3, 4], // field 6 fixed32
    ];
    const stream = [0x12, entry.length, ...entry, 0x18, 0x2a]; // entries, then hash = 42
    const msg = Uint8Array.from([0x0a, stream.length, ...stream, 0x10, 0x01]);
    expect(decodePushRequest(msg)).toEqual([{ labels: '', entries: [{ timeNs: 2_000_000_000n, line: 'x', metadata: 1 }] }]);
  });

  it('round-trips arbitrary requests through the encoder', () => {
    const entry = fc.record({ timeNs: fc.bigInt({ min: -(2n ** 62n), max: 2n ** 62n }), line: fc.string({ unit: 'grapheme', maxLength: 40 }) });
    const stream = fc.record({ labels: fc.string({ maxLength: 30 }), entries: fc.array(entry, { maxLength: 5 }) });
    fc.assert(
      fc.property(fc.array(stream, { maxLength: 5 }), (streams: PushStream[]) => {
        expect(decodePushRequest(encodePushRequest(streams))).toEqual(streams);
      }),
      { numRuns: 300 },
    );
  });

  const corrupt: [string, number[], RegExp][] = [
    ['truncated varint', [0x0a, 0x80], /at byte 2: truncated or malformed \(index out of range/],
    ['length past the end', [0x0a, 0x05, 0x0a], /runs past the end/],
    ['field number 0', [0x02, 0x00], /field number 0/],
    ['group wire type', [0x13], /unsupported wire type 3/], // field 2, start group
    ['wrong wire type for streams', [0x08, 0x01], /PushRequest.streams has wire type 0/],
    ['varint of 11 bytes', [0x20, ...Array(10).fill(0xff), 0x01], /truncated or malformed \(invalid varint encoding\)/],
    ['nanos out of range', [0x0a, 0x0b, 0x12, 0x09, 0x0a, 0x07, 0x10, 0x80, 0x94, 0xeb, 0xdc, 0x03, 0x00], /nanos 1000000000 outside/],
    ['line not UTF-8', [0x0a, 0x06, 0x12, 0x04, 0x12, 0x02, 0xc3, 0x28], /not valid UTF-8/],
  ];
  for (const [name, bytes, message] of corrupt) {
    it(`rejects ${name}`, () => {
      expect(() => decodePushRequest(Uint8Array.from(bytes))).toThrow(message);
      expect(() => decodePushRequest(Uint8Array.from(bytes))).toThrow(ProtobufError);
    });
  }

  it('fails only with ProtobufError on random and mutated bytes', () => {
    const valid = encodePushRequest([{ labels: '{namespace="a", pod="b", container="c"}', entries: [{ timeNs: 1727190000000000000n, line: 'hello' }] }]);
    const mutated = fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })).map(([i, b]) => {
      const copy = valid.slice();
      copy[i] = b;
      return copy;
    });
    const truncated = fc.nat(valid.length).map((n) => valid.slice(0, n));
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }), mutated, truncated), (bytes) => {
        try {
          decodePushRequest(bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(ProtobufError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

/**
 * Fuzzing the store reader through the public API (issue 16): hour files mixing valid lines
 * (with arbitrary message bytes: invalid UTF-8, NUL, `\r`, brackets) with garbage lines,
 * lines longer than `maxLineBytes`, and files cut at a random byte. A query must never
 * throw; every valid line is returned, every garbage or too-long line is counted in
 * `badLines` — also through `count()`, with a pipeline, and with small block sizes (lines
 * straddling blocks).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LogStore } from '../../src/api.js';
import { getStats } from '../../src/core.js';
import { MemoryChunkSource } from '../../src/store/memory-source.js';
import { fuzzParams, fuzzTimeout } from './config.js';

const MAX_LINE = 512;
const enc = new TextEncoder();

/** Message bytes: anything but `\n`. */
const message = fc.uint8Array({ maxLength: 80 }).map((b) => b.map((x) => (x === 10 ? 32 : x)));
const valid = fc.tuple(fc.integer({ min: 0, max: 59 }), fc.constantFrom('', '.5', '.123456789', '+02:00'), message).map(([s, frac, msg]) => {
  const head = enc.encode(`2024-01-01T00:${String(s).padStart(2, '0')}:00${frac}${frac === '+02:00' ? '' : 'Z'}[a|p|c] `);
  const out = new Uint8Array(head.length + msg.length);
  out.set(head);
  out.set(msg, head.length);
  return { kind: 'valid' as const, bytes: out, offsetHours: frac === '+02:00' };
});
/** Garbage: not starting with a digit, so it can never read as a timestamp. */
const garbage = fc.uint8Array({ minLength: 1, maxLength: 60 }).map((b) => {
  const out = b.map((x) => (x === 10 ? 33 : x));
  if (out[0]! >= 48 && out[0]! <= 57) out[0] = 0x58;
  return { kind: 'bad' as const, bytes: out, offsetHours: false };
});
const tooLong = fc.nat({ max: 200 }).map((n) => ({ kind: 'long' as const, bytes: enc.encode(`2024-01-01T00:00:00Z[a|p|c] ${'L'.repeat(MAX_LINE + n)}`), offsetHours: false }));
const fileArb = fc.tuple(fc.array(fc.oneof({ weight: 5, arbitrary: valid }, { weight: 2, arbitrary: garbage }, { weight: 1, arbitrary: tooLong }), { maxLength: 40 }), fc.boolean(), fc.boolean());

function assemble(lines: { bytes: Uint8Array }[], crlf: boolean, finalNewline: boolean): Uint8Array {
  const parts: Uint8Array[] = [];
  lines.forEach((l, i) => {
    parts.push(l.bytes);
    if (i < lines.length - 1 || finalNewline) parts.push(enc.encode(crlf ? '\r\n' : '\n'));
  });
  const total = parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const WINDOW = { start: '2023-12-31T00:00:00Z', end: '2024-01-02T00:00:00Z' };

async function readAll(bytes: Uint8Array, blockSize: number) {
  const store = new LogStore(MemoryChunkSource.fromRecord({ 'pod/a/2024-01-01_00.log': bytes }));
  const opts = { ...WINDOW, limit: null, maxLineBytes: MAX_LINE, blockSize };
  const table = await store.query('pod{namespace="a"}', opts);
  const counted = await store.count('pod{namespace="a"}', opts);
  const piped = await store.query('pod{namespace="a"} | json | logfmt | line_format "{{ __line__ | len }}"', opts);
  return { rows: table.numRows, stats: getStats(table)!, count: counted.count, piped: piped.numRows };
}

describe('store reader fuzzing (garbage, invalid UTF-8, huge and cut lines)', () => {
  it(
    'every valid line is returned, every bad or too-long line is counted, nothing throws',
    async () => {
      await fc.assert(
        fc.asyncProperty(fileArb, fc.constantFrom(64, 256, 4096, 1 << 20), async ([lines, crlf, finalNewline], blockSize) => {
          // A valid line's message may end in `\r`, which a CRLF-less file keeps: fine either way.
          const r = await readAll(assemble(lines, crlf, finalNewline), Math.max(blockSize, MAX_LINE + 64));
          const nValid = lines.filter((l) => l.kind === 'valid').length;
          const nBad = lines.length - nValid;
          expect(r.rows).toBe(nValid);
          expect(r.count).toBe(nValid);
          expect(r.piped).toBe(nValid);
          expect(r.stats.badLines).toBe(nBad);
        }),
        fuzzParams(300),
      );
    },
    fuzzTimeout(120_000),
  );

  it(
    'a file cut at any byte never fails the query',
    async () => {
      await fc.assert(
        fc.asyncProperty(fileArb, fc.nat(), async ([lines], cut) => {
          const bytes = assemble(lines, false, true);
          const r = await readAll(bytes.subarray(0, bytes.length === 0 ? 0 : cut % (bytes.length + 1)), 4096);
          expect(r.rows + r.stats.badLines).toBeLessThanOrEqual(lines.length);
          expect(r.count).toBe(r.rows);
        }),
        fuzzParams(300),
      );
    },
    fuzzTimeout(120_000),
  );

  it(
    'pure random bytes',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ maxLength: 2000 }), async (bytes) => {
          const r = await readAll(bytes, 4096);
          expect(r.count).toBe(r.rows);
        }),
        fuzzParams(300),
      );
    },
    fuzzTimeout(120_000),
  );
});

// Target summaries (src/store/index-summary.ts): the byte format's checks, and the file
// filter's one promise — a gram of the file always passes (no false negative) — fuzzed over
// random files, with the false-positive rate it is sized for.
import { describe, expect, it } from 'vitest';
import { attachSummaryPart, decodeSummaryHead, encodeIndexSummary, entryMayHold, neededSummaryParts, type SummaryEntry } from '../../src/store/index-summary.js';
import { FILE_FILTER_SEGMENTS, GramSet, layFileFilter, needleProbes, NOT_HEX, PROBE_STRIDE, type FileFilter } from '../../src/store/sidecar.js';

/** A seeded xorshift PRNG. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
}

const enc = new TextEncoder();
const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -_/=:.한국어';

function randomText(r: () => number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += ALPHABET[Math.floor(r() * ALPHABET.length)];
  return s;
}

/** The distinct folded grams of `text`, as the sidecar builder collects a file's. */
function gramsOf(text: string): Uint32Array {
  const set = new GramSet();
  const b = enc.encode(text);
  set.add(b, 0, b.length);
  return set.take();
}

function entry(name: string, filter: FileFilter, extra: Partial<SummaryEntry> = {}): { entry: SummaryEntry; filter: FileFilter } {
  return {
    entry: { name, size: 1000, mtimeMs: 1727172000000.25, lines: 10, badLines: 0, longestLine: 100, maxLineBytes: 1 << 20, blocks: 2, minNs: 1727172000000000000n, maxNs: 1727175599000000000n, words: filter.words, hexMap: filter.hexMap, ...extra },
    filter,
  };
}

/** Decodes a whole summary and attaches every part. */
function loadAll(bytes: Uint8Array) {
  const r = decodeSummaryHead(bytes, bytes.length);
  if (!r.ok) return r;
  for (let p = 0; p < FILE_FILTER_SEGMENTS; p++) attachSummaryPart(r.summary, p, bytes.slice(r.summary.partAt[p]!, r.summary.partAt[p + 1]!));
  return r;
}

describe('target summary', () => {
  const r = rng(42);
  const texts = Array.from({ length: 5 }, (_, i) => randomText(r, 500 + 3000 * i));
  // entry 2 has no good line (no times); entry 4 has bad lines
  const files = texts.map((t, i) => entry(`2024-09-24_${String(i).padStart(2, '0')}.log`, layFileFilter(gramsOf(t)), i === 2 ? { minNs: null, maxNs: null } : i === 4 ? { badLines: 3, mtimeMs: 1727172000123.4567 } : {}));
  const bytes = encodeIndexSummary(files);

  it('round-trips its entries, in name order', () => {
    const d = loadAll(bytes);
    expect(d.ok).toBe(true);
    if (!d.ok) return;
    expect(d.summary.entries).toEqual(files.map((f) => f.entry));
    expect([...d.summary.byName.keys()]).toEqual(files.map((f) => f.entry.name));
  });

  it('never rejects a substring of a file (fuzzed), and rejects most strings it lacks', () => {
    const d = loadAll(bytes);
    if (!d.ok) throw new Error(d.detail);
    const rr = rng(7);
    let absent = 0;
    let passed = 0;
    for (let k = 0; k < 3000; k++) {
      const e = Math.floor(rr() * texts.length);
      const t = texts[e]!;
      const at = Math.floor(rr() * (t.length - 12));
      const needle = t.slice(at, at + 4 + Math.floor(rr() * 8));
      const probes = needleProbes(needle);
      if (probes === null) continue;
      expect(entryMayHold(d.summary, e, probes), `${JSON.stringify(needle)} in entry ${e}`).toBe(true);
      // ASCII case folding: the upper-cased needle passes too
      expect(entryMayHold(d.summary, e, needleProbes(needle.toUpperCase().length === needle.length ? needle.toUpperCase() : needle)!)).toBe(true);
      const stranger = randomText(rr, 9);
      if (!texts[e]!.toLowerCase().includes(stranger.toLowerCase())) {
        absent++;
        if (entryMayHold(d.summary, e, needleProbes(stranger)!)) passed++;
      }
    }
    // Sized for ~0.4 per gram: a random 9-character string (6 grams, mostly absent) rarely passes.
    expect(absent).toBeGreaterThan(2000);
    expect(passed / absent).toBeLessThan(0.02);
  });

  it('reads only the parts a literal picks, over a span of entries', () => {
    const r2 = decodeSummaryHead(bytes, bytes.length);
    if (!r2.ok) throw new Error(r2.detail);
    const s = r2.summary;
    const probes = needleProbes(texts[3]!.slice(100, 120))!;
    const parts = neededSummaryParts(s, [probes]);
    expect(parts.length).toBeGreaterThan(0);
    expect(parts.length).toBeLessThanOrEqual(probes.length / PROBE_STRIDE);
    // entries 2..3 only
    const from = s.entryAt[2]!;
    const to = s.entryAt[4]!;
    for (const p of parts) attachSummaryPart(s, p, bytes.slice(s.partAt[p]! + from, s.partAt[p]! + to), from);
    expect(entryMayHold(s, 3, probes)).toBe(true);
    expect(() => entryMayHold(s, 0, probes)).toThrow(/not loaded/);
    expect(() => attachSummaryPart(s, parts[0]!, bytes.slice(s.partAt[parts[0]!]! + from + 1, s.partAt[parts[0]!]! + to), from + 1)).toThrow(/whole entries/);
  });

  it('detects truncation at every byte and damage at every byte (head at decoding, a part when read)', () => {
    for (let n = 0; n < bytes.length; n += n < 4096 ? 1 : 97) {
      const d = decodeSummaryHead(bytes.subarray(0, n), n);
      expect(d.ok, `cut at ${n}`).toBe(false);
    }
    const step = Math.max(1, Math.floor(bytes.length / 3000));
    for (let i = 0; i < bytes.length; i += i < 4096 ? 1 : step) {
      const b = bytes.slice();
      b[i]! ^= 0x01;
      const d = loadAll(b);
      if (!d.ok) continue;
      // A damaged checksum or filter byte: some entry's part fails its check when probed.
      let caught = false;
      const all = new Uint32Array(PROBE_STRIDE * 256 * FILE_FILTER_SEGMENTS);
      // probes that visit every part: hashes with each possible top-6-bit prefix (not hex grams)
      for (let p = 0; p < FILE_FILTER_SEGMENTS; p++) for (let j = 0; j < 256; j++) all.set([((p << 26) | j) >>> 0, j * 2654435761, NOT_HEX], PROBE_STRIDE * (p * 256 + j));
      for (let e = 0; e < d.summary.entries.length && !caught; e++) {
        for (let p = 0; p < FILE_FILTER_SEGMENTS && !caught; p++) if (entryMayHold(d.summary, e, all.subarray(PROBE_STRIDE * p * 256, PROBE_STRIDE * (p * 256 + 1))) === null) caught = true;
      }
      expect(caught, `flip at ${i}`).toBe(true);
    }
  });

  it('refuses other versions, bad magic and entries out of order', () => {
    for (const version of [1, 3]) {
      const v = bytes.slice();
      new DataView(v.buffer).setUint32(4, version, true);
      expect(decodeSummaryHead(v, v.length)).toMatchObject({ ok: false, problem: 'unsupported' });
    }
    const m = bytes.slice();
    m[0] = 0;
    expect(decodeSummaryHead(m, m.length)).toMatchObject({ ok: false, problem: 'corrupt' });
    const swapped = encodeIndexSummary([files[1]!, files[0]!]);
    expect(decodeSummaryHead(swapped, swapped.length)).toMatchObject({ ok: false, problem: 'corrupt', detail: 'entries not in name order' });
    const trailing = new Uint8Array(bytes.length + 4);
    trailing.set(bytes);
    expect(decodeSummaryHead(trailing, trailing.length)).toMatchObject({ ok: false, problem: 'corrupt', detail: 'trailing bytes' });
  });
});

describe('target summary with hex maps', () => {
  // Hour files of node logs: a 64-hex container id on every line fills most of the hex-gram space.
  const r = rng(9);
  const hexId = (): string => Array.from({ length: 64 }, () => '0123456789abcdef'[Math.floor(r() * 16)]).join('');
  const texts = Array.from({ length: 3 }, (_, i) => Array.from({ length: i === 1 ? 40 : 1200 }, () => `"RemoveContainer" containerID="${hexId()}" ${randomText(r, 12)}`).join('\n'));
  const files = texts.map((t, i) => entry(`2024-09-24_${String(i).padStart(2, '0')}.log`, layFileFilter(gramsOf(t))));
  const bytes = encodeIndexSummary(files);
  const bloomOnly = encodeIndexSummary(texts.map((t, i) => entry(`2024-09-24_${String(i).padStart(2, '0')}.log`, layFileFilter(gramsOf(t), Infinity))));

  it('keeps the hex grams of an id-heavy file in a map (smaller), of the others in the filter, and round-trips', () => {
    expect(files.map((f) => f.filter.hexMap)).toEqual([true, false, true]);
    // ~43,000 hex grams per id-heavy file: 8 KiB of map against ~10.7 KiB of filter bits.
    expect(bytes.length).toBeLessThan(bloomOnly.length * 0.9);
    const d = loadAll(bytes);
    if (!d.ok) throw new Error(d.detail);
    expect(d.summary.entries).toEqual(files.map((f) => f.entry));
  });

  it('never rejects a substring of a file, and answers hex needles exactly from the map', () => {
    const d = loadAll(bytes);
    if (!d.ok) throw new Error(d.detail);
    const rr = rng(11);
    for (let k = 0; k < 2000; k++) {
      const e = Math.floor(rr() * texts.length);
      const t = texts[e]!;
      const at = Math.floor(rr() * (t.length - 12));
      const needle = t.slice(at, at + 4 + Math.floor(rr() * 8));
      expect(entryMayHold(d.summary, e, needleProbes(needle)!), `${JSON.stringify(needle)} in entry ${e}`).toBe(true);
      expect(entryMayHold(d.summary, e, needleProbes(needle.toUpperCase())!)).toBe(true);
    }
    // An 8-digit hex needle passes a map entry iff the file has its five grams.
    for (let k = 0; k < 500; k++) {
      const needle = Array.from({ length: 8 }, () => '0123456789abcdef'[Math.floor(rr() * 16)]).join('');
      for (const e of [0, 2]) {
        const all = [0, 1, 2, 3, 4].every((j) => texts[e]!.includes(needle.slice(j, j + 4)));
        expect(entryMayHold(d.summary, e, needleProbes(needle)!)).toBe(all);
      }
    }
  });

  it('reads the parts a hex gram picks in the map, and a damaged map slice fails its check', () => {
    const r2 = decodeSummaryHead(bytes, bytes.length);
    if (!r2.ok) throw new Error(r2.detail);
    const s = r2.summary;
    const needle = texts[0]!.slice(texts[0]!.indexOf('ID="') + 4, texts[0]!.indexOf('ID="') + 20);
    const probes = needleProbes(needle)!;
    for (const p of neededSummaryParts(s, [probes])) attachSummaryPart(s, p, bytes.slice(s.partAt[p]!, s.partAt[p + 1]!));
    expect(entryMayHold(s, 0, probes)).toBe(true); // every part it reads was attached (else it throws)
    // Flip a bit in entry 0's map slice of the part holding the needle's first gram.
    const damaged = bytes.slice();
    const part = parseInt(needle.slice(0, 4), 16) >>> (16 - Math.log2(FILE_FILTER_SEGMENTS));
    damaged[s.partAt[part]! + s.entryAt[0]! + 4 * s.entries[0]!.words] ^= 0x01;
    const r3 = decodeSummaryHead(damaged, damaged.length);
    if (!r3.ok) throw new Error(r3.detail);
    for (const p of neededSummaryParts(r3.summary, [probes])) attachSummaryPart(r3.summary, p, damaged.slice(r3.summary.partAt[p]!, r3.summary.partAt[p + 1]!));
    expect(entryMayHold(r3.summary, 0, probes)).toBeNull();
  });
});

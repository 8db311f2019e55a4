import { describe, expect, it } from 'vitest';
import type { ParsedRegex, RegexNode } from '../../src/regex/ast.js';
import { INST_WORDS, OP_BYTE, OP_SAVE, type KernelAutomaton, type Prog } from '../../src/regex/automaton.js';
import { compileProg, dumpProg, INVALID_BYTE_RANGES, UTF8_DECODE, utf8Sequences } from '../../src/regex/compile.js';
import { pikeTest } from '../../src/regex/pike.js';
import { dfaTest } from '../../src/regex/dfa.js';
import { RegexSyntaxError } from '../../src/regex/errors.js';
import { compileForKernel, compileRegex } from '../../src/regex/index.js';

// Hand-built trees (the compiler's input), so these tests do not depend on the parser.
const lit = (s: string): RegexNode =>
  ({ op: 'concat', subs: [...s].map((ch) => ({ op: 'literal', rune: ch.codePointAt(0)! }) as RegexNode) });
const cls = (...ranges: number[]): RegexNode => ({ op: 'class', ranges });
const ANY_BUT_NL = cls(0, 9, 11, 0x10ffff);
const tree = (root: RegexNode, captureCount = 0): ParsedRegex => ({
  root,
  captureCount,
  names: new Array<string | null>(captureCount + 1).fill(null),
});
const enc = new TextEncoder();

/** Does `prog` (built by `anchoredClass`, so anchored at both ends) match exactly `bytes`? */
function fullMatches(prog: Prog, bytes: number[]): boolean {
  return pikeTest(prog, Uint8Array.from(bytes));
}

function anchoredClass(ranges: number[]): Prog {
  return compileProg(
    tree({
      op: 'concat',
      subs: [{ op: 'assert', kind: 'beginText' }, cls(...ranges), { op: 'assert', kind: 'endText' }],
    }),
  );
}

function utf8(cp: number): number[] {
  return [...enc.encode(String.fromCodePoint(cp))];
}

describe('utf8Sequences', () => {
  // Each case: a range, and the sequences the standard algorithm gives.
  const cases: Array<[number, number, string[]]> = [
    [0x00, 0x7f, ['00-7f']],
    [0x00, 0x10ffff, ['00-7f', 'c2-df 80-bf', 'e0 a0-bf 80-bf', 'e1-ec 80-bf 80-bf', 'ed 80-9f 80-bf', 'ee-ef 80-bf 80-bf', 'f0 90-bf 80-bf 80-bf', 'f1-f3 80-bf 80-bf 80-bf', 'f4 80-8f 80-bf 80-bf']],
    [0x80, 0x7ff, ['c2-df 80-bf']],
    [0xd7ff, 0xe000, ['ed 9f bf', 'ee 80 80']], // surrogates skipped
    [0xd800, 0xdfff, []],
    [0x3131, 0x318e, ['e3 84 b1-bf', 'e3 85-85 80-bf', 'e3 86 80-8e']],
    [0xac00, 0xd7a3, ['ea b0-bf 80-bf', 'eb-ec 80-bf 80-bf', 'ed 80-9d 80-bf', 'ed 9e 80-a3']], // Hangul syllables
  ];
  const hex = (b: number): string => b.toString(16).padStart(2, '0');
  for (const [lo, hi, want] of cases) {
    it(`U+${lo.toString(16)}..U+${hi.toString(16)}`, () => {
      const out: number[][] = [];
      utf8Sequences(lo, hi, out);
      const text = out.map((seq) => {
        const parts: string[] = [];
        for (let i = 0; i < seq.length; i += 2) parts.push(seq[i] === seq[i + 1] ? hex(seq[i]!) : `${hex(seq[i]!)}-${hex(seq[i + 1]!)}`);
        return parts.join(' ');
      });
      // '85-85' above is written as a single byte by the printer.
      expect(text).toEqual(want.map((w) => w.replace('85-85', '85')));
    });
  }

  it('covers exactly the encodings of the range, in order (random ranges)', () => {
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed % n;
    };
    for (let k = 0; k < 200; k++) {
      const lo = rand(3) === 0 ? rand(0x110000) : rand(0x12000);
      const hi = Math.min(0x10ffff, lo + (rand(2) ? rand(300) : rand(0x20000)));
      const out: number[][] = [];
      utf8Sequences(lo, hi, out);
      // Count: each sequence is a product of ranges; the sum must equal the number of scalar values.
      let total = 0;
      for (const seq of out) {
        let n = 1;
        for (let i = 0; i < seq.length; i += 2) n *= seq[i + 1]! - seq[i]! + 1;
        total += n;
      }
      const surrogates = Math.max(0, Math.min(hi, 0xdfff) - Math.max(lo, 0xd800) + 1);
      expect(total).toBe(hi - lo + 1 - surrogates);
      // Every sampled code point's encoding lies in exactly one sequence.
      for (let j = 0; j < 50; j++) {
        const cp = lo + rand(hi - lo + 1);
        if (cp >= 0xd800 && cp <= 0xdfff) continue;
        const bytes = utf8(cp);
        const hits = out.filter(
          (seq) => seq.length === 2 * bytes.length && bytes.every((b, i) => b >= seq[2 * i]! && b <= seq[2 * i + 1]!),
        );
        expect(hits.length).toBe(1);
      }
    }
  });
});

describe('classes compile to UTF-8 byte automata', () => {
  it('`.` (all but \\n) is small and matches every scalar value, one at a time', () => {
    const prog = anchoredClass([0, 9, 11, 0x10ffff]);
    const bytes = prog.insts.length / INST_WORDS;
    expect(bytes).toBeLessThanOrEqual(32); // 27 for the class, plus fail, asserts, match
    for (let cp = 0; cp <= 0x10ffff; cp += cp < 0x3000 ? 1 : 97) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      expect(fullMatches(prog, utf8(cp))).toBe(cp !== 10);
    }
    // Boundaries of every encoding length.
    for (const cp of [0x7f, 0x80, 0x7ff, 0x800, 0xfff, 0x1000, 0xd7ff, 0xe000, 0xfffd, 0xffff, 0x10000, 0x3ffff, 0x40000, 0xfffff, 0x100000, 0x10ffff]) {
      expect(fullMatches(prog, utf8(cp))).toBe(true);
    }
  });

  it('`.` also matches each byte that never starts a sequence (Go: U+FFFD, width 1), and nothing else invalid', () => {
    const prog = anchoredClass([0, 9, 11, 0x10ffff]);
    for (let b = 0x80; b <= 0xff; b++) {
      const lone = INVALID_BYTE_RANGES.some(([lo, hi]) => b >= lo && b <= hi);
      expect(fullMatches(prog, [b])).toBe(lone);
    }
    // Not: surrogates, overlong forms, truncated sequences, code points past U+10FFFF.
    for (const seq of [[0xed, 0xa0, 0x80], [0xed, 0xbf, 0xbf], [0xe0, 0x80, 0x80], [0xc2], [0xe4, 0xb8], [0xf4, 0x90, 0x80, 0x80], [0xf0, 0x80, 0x80, 0x80]]) {
      expect(fullMatches(prog, seq)).toBe(false);
    }
  });

  it('a class without U+FFFD matches no invalid byte; a literal U+FFFD matches them', () => {
    const latin = anchoredClass([0x41, 0x5a, 0xc0, 0x24f]);
    for (const b of [0x80, 0xbf, 0xc0, 0xff]) expect(fullMatches(latin, [b])).toBe(false);
    expect(fullMatches(latin, utf8(0xe9))).toBe(true);
    const replacement = compileProg(
      tree({ op: 'concat', subs: [{ op: 'assert', kind: 'beginText' }, { op: 'literal', rune: 0xfffd }, { op: 'assert', kind: 'endText' }] }),
    );
    expect(fullMatches(replacement, [0xef, 0xbf, 0xbd])).toBe(true);
    expect(fullMatches(replacement, [0x80])).toBe(true);
    expect(fullMatches(replacement, [0xc0])).toBe(true);
    expect(fullMatches(replacement, [0xe4])).toBe(false); // truncated: documented difference from Go
  });

  it('a large class (all letters, ~650 ranges) stays in the low thousands of instructions', () => {
    // A synthetic class with many short ranges spread over the BMP and beyond.
    const ranges: number[] = [];
    for (let cp = 0x41; cp < 0x30000; cp += 150) ranges.push(cp, cp + 20);
    const prog = compileProg(tree(cls(...ranges)));
    expect(ranges.length / 2).toBeGreaterThan(1000);
    expect(prog.insts.length / INST_WORDS).toBeLessThan(6000);
  });
});

describe('program shape (Go compile.go)', () => {
  const shape = (root: RegexNode, captureCount = 0): string => dumpProg(compileProg(tree(root, captureCount)));
  /** A listing: lines without the start mark `*` get the blank mark. */
  const listing = (...ls: string[]): string => ls.map((l) => (l.startsWith('*') ? l : ` ${l}`)).join('\n');

  it('x{2,4} = xx(x(x)?)?', () => {
    expect(shape({ op: 'repeat', min: 2, max: 4, greedy: true, sub: lit('a') })).toBe(
      listing('0: fail', '*1: byte 61 -> 2', '2: byte 61 -> 6', '3: byte 61 -> 5', '4: byte 61 -> 7', '5: split 4, 7', '6: split 3, 7', '7: match'),
    );
  });

  it('x* loops through its split; non-greedy swaps the arms', () => {
    expect(shape({ op: 'repeat', min: 0, max: -1, greedy: true, sub: lit('a') })).toBe(listing('0: fail', '1: byte 61 -> 2', '*2: split 1, 3', '3: match'));
    expect(shape({ op: 'repeat', min: 0, max: -1, greedy: false, sub: lit('a') })).toBe(listing('0: fail', '1: byte 61 -> 2', '*2: split 3, 1', '3: match'));
  });

  it('a nullable x* is compiled as (x+)? (Go issue 46123)', () => {
    // (|a)*: the star's body can match empty.
    const body: RegexNode = { op: 'alternate', subs: [{ op: 'emptyMatch' }, lit('a')] };
    expect(shape({ op: 'repeat', min: 0, max: -1, greedy: true, sub: body })).toBe(
      listing('0: fail', '1: nop -> 4', '2: byte 61 -> 4', '3: split 1, 2', '4: split 3, 6', '*5: split 3, 6', '6: match'),
    );
  });

  it('x** and repeated empty collapse as in Go simplify', () => {
    const inner: RegexNode = { op: 'repeat', min: 0, max: -1, greedy: true, sub: lit('a') };
    expect(shape({ op: 'repeat', min: 0, max: -1, greedy: true, sub: inner })).toBe(shape(inner));
    expect(shape({ op: 'repeat', min: 0, max: -1, greedy: true, sub: { op: 'emptyMatch' } })).toBe(listing('0: fail', '*1: nop -> 2', '2: match'));
  });

  it('captures save slots 2i and 2i+1 only (slots 0/1 belong to the matcher)', () => {
    const prog = compileProg(tree({ op: 'capture', index: 1, name: null, sub: lit('a') }, 1));
    expect(prog.slotCount).toBe(4);
    const saves: number[] = [];
    for (let at = 0; at < prog.insts.length; at += INST_WORDS) if (prog.insts[at] === OP_SAVE) saves.push(prog.insts[at + 1]!);
    expect(saves).toEqual([2, 3]);
  });

  it('noMatch fails the concatenation and drops out of an alternation', () => {
    expect(compileProg(tree({ op: 'concat', subs: [lit('a'), { op: 'noMatch' }] })).start).toBe(0);
    const alt = compileProg(tree({ op: 'alternate', subs: [{ op: 'noMatch' }, lit('b')] }));
    expect(dumpProg(alt)).toBe(listing('0: fail', '*1: byte 62 -> 2', '2: match'));
  });

  it('anchoredStart: every path passes \\A first', () => {
    const A: RegexNode = { op: 'assert', kind: 'beginText' };
    const B: RegexNode = { op: 'assert', kind: 'beginLine' };
    const cases: Array<[RegexNode, boolean]> = [
      [{ op: 'concat', subs: [A, lit('a')] }, true],
      [{ op: 'alternate', subs: [{ op: 'concat', subs: [A, lit('a')] }, { op: 'concat', subs: [A, lit('b')] }] }, true],
      [{ op: 'alternate', subs: [{ op: 'concat', subs: [A, lit('a')] }, lit('b')] }, false],
      [{ op: 'concat', subs: [B, lit('a')] }, false], // (?m)^
      [{ op: 'capture', index: 1, name: null, sub: { op: 'concat', subs: [A, lit('a')] } }, true],
      [{ op: 'repeat', min: 0, max: -1, greedy: true, sub: A }, false],
      [lit(''), false],
      [{ op: 'noMatch' }, true],
    ];
    for (const [root, want] of cases) expect(compileProg(tree(root, 1)).anchoredStart).toBe(want);
  });

  it('byte instructions never span a surrogate encoding', () => {
    const prog = compileProg(tree(ANY_BUT_NL));
    for (let at = 0; at < prog.insts.length; at += INST_WORDS) {
      if (prog.insts[at] !== OP_BYTE) continue;
      // ED is only ever followed by 80-9F.
      if (prog.insts[at + 1] === 0xed) {
        const next = prog.insts[at + 3]! * INST_WORDS;
        expect(prog.insts[next + 2]).toBe(0x9f);
      }
    }
  });
});

describe('UTF8_DECODE (rune boundaries)', () => {
  /** Positions the forward decoder calls boundaries. */
  function boundaries(bytes: number[]): number[] {
    const out: number[] = [];
    let s = 0;
    for (let i = 0; i <= bytes.length; i++) {
      const b = bytes[i];
      if (b === undefined) {
        out.push(i);
        break;
      }
      const t = s === 0 ? -1 : UTF8_DECODE[s * 256 + b]!;
      if (s === 0 || t < 0) {
        out.push(i);
        s = UTF8_DECODE[b]!;
      } else s = t;
    }
    return out;
  }
  const cases: Array<[number[], number[]]> = [
    [[0x61, 0x62], [0, 1, 2]],
    [[...enc.encode('한국')], [0, 3, 6]],
    [[...enc.encode('é𝄞')], [0, 2, 6]],
    [[0x80, 0x61, 0xff, 0xc0], [0, 1, 2, 3, 4]], // lone invalid bytes are one rune each
    [[0xc3, 0xa9, 0x80], [0, 2, 3]], // é then a lone continuation byte
    [[0xe4, 0x20, 0x61], [0, 1, 2, 3]], // truncated lead: the next byte is a boundary
    [[0xed, 0xa0, 0x80], [0, 1, 2, 3]], // encoded surrogate: not valid (ED needs 80-9F)
    [[0xe4, 0xb8, 0x78], [0, 2, 3]], // Go also stands on 1; documented difference
  ];
  for (const [bytes, want] of cases) {
    it(bytes.map((b) => b.toString(16)).join(' '), () => expect(boundaries(bytes)).toEqual(want));
  }
});

describe('facade (index.ts)', () => {
  it('compileRegex and compileForKernel cache, and throw RegexSyntaxError for invalid patterns', () => {
    const re = compileRegex('user/[0-9]+');
    expect(re.test('GET /user/42')).toBe(true);
    expect(re.test('GET /user/x')).toBe(false);
    expect(compileRegex('user/[0-9]+')).toBe(re);
    expect(compileForKernel('user/[0-9]+', { fullMatch: false })).toBe(compileForKernel('user/[0-9]+', { fullMatch: false }));
    expect(compileForKernel('user/[0-9]+', { fullMatch: true })).not.toBe(compileForKernel('user/[0-9]+', { fullMatch: false }));
    for (const bad of ['a(', '(?<!x)y', '\\1', 'x{1001}', '\\C', '*a']) {
      expect(() => compileRegex(bad), bad).toThrow(RegexSyntaxError);
      expect(() => compileForKernel(bad, { fullMatch: false }), bad).toThrow(RegexSyntaxError);
    }
  });

  it('compileRegex exposes captures, names and exec on strings and bytes', () => {
    const re = compileRegex('(?P<method>GET|POST) (/\\S*)');
    expect(re.captureCount).toBe(2);
    expect(re.names).toEqual([null, 'method', null]);
    expect([...re.exec('x POST /a b')!]).toEqual([2, 9, 2, 6, 7, 9]);
    expect([...re.exec(enc.encode('한 GET /'))!]).toEqual([4, 9, 4, 7, 8, 9]);
    expect(re.exec('nothing')).toBeNull();
    expect(re.testBytes(enc.encode('xx GET /'), 2)).toBe(true);
    expect(re.testBytes(enc.encode('xx GET /'), 0, 5)).toBe(false);
  });

  it('compileForKernel: full match equals Go ^(?:p)$, and the DFA is anchored when the program is', () => {
    const run = (a: KernelAutomaton, s: string): boolean => (a.kind === 'dfa' ? dfaTest(a.dfa, enc.encode(s)) : pikeTest(a.prog, enc.encode(s)));
    const full = compileForKernel('nginx-.*|redis', { fullMatch: true });
    expect(full.kind).toBe('dfa');
    expect(['nginx-1', 'redis', 'redis-0', 'xnginx-1', ''].map((s) => run(full, s))).toEqual([true, true, false, false, false]);
    // (?m) inside p does not turn the outer $ into a line anchor.
    const flags = compileForKernel('(?m)a', { fullMatch: true });
    expect(['a', 'a\n', 'a\nb'].map((s) => run(flags, s))).toEqual([true, false, false]);
    const search = compileForKernel('nginx-.*|redis', { fullMatch: false });
    expect(run(search, 'xredisx')).toBe(true);
    expect(compileForKernel('(a|b)*a(a|b){15}', { fullMatch: false }).kind).toBe('pike');
  });
});

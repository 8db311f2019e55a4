/** The program byte format: a golden encoding, validation, and the kernel's own checks. */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { OP_BYTE, OP_MATCH, OP_SPLIT, type Dfa, type KernelAutomaton } from '../../src/regex/automaton.js';
import { encodeProgram, PROGRAM_ERRORS, programAreaBytes, type RegexCompiler } from '../../src/scan/program-codec.js';
import { InternalError } from '../../src/errors.js';
import { Kernel } from '../../src/scan/kernel.js';
import { alt, cat, handCompiler, lit, star, wordB } from './automata.js';
import { program } from './helpers.js';

/**
 * A hand-built searching DFA for `ab`: classes a=0, b=1, other=2, end of text=3; states
 * 0 dead, 1 match, 2 start, 3 after 'a'.
 */
const DFA_AB: Dfa = {
  classes: Uint8Array.from({ length: 256 }, (_, b) => (b === 0x61 ? 0 : b === 0x62 ? 1 : 2)),
  classCount: 3,
  stateCount: 4,
  start: 2,
  // prettier-ignore
  table: Int32Array.from([
    0, 0, 0, 0, // dead
    1, 1, 1, 1, // match
    3, 2, 2, 0, // start: a → 3
    3, 1, 2, 0, // after a: a → 3, b → match
  ]),
};
/** A Pike program for `ab`: 0 match, 1 'b' → 0, 2 'a' → 1 (start). */
const PIKE_AB: KernelAutomaton = {
  kind: 'pike',
  prog: { insts: Int32Array.from([OP_MATCH, 0, 0, 0, OP_BYTE, 0x62, 0x62, 0, OP_BYTE, 0x61, 0x61, 1]), start: 2, slotCount: 2, anchoredStart: false },
};
const compileAb =
  (a: KernelAutomaton): RegexCompiler =>
  () =>
    a;

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

describe('encodeProgram', () => {
  test('golden bytes', () => {
    const bytes = encodeProgram({
      version: 2,
      fieldCount: 2,
      startNs: '1',
      endNs: '-2',
      labelMatchers: [{ field: 1, op: 'neq', value: 'ké' }],
      lineFilters: [
        { op: 'contains', needle: '' },
        { op: 'notContains', needle: 'abcd' },
      ],
    });
    expect(hex(bytes)).toBe(
      [
        '4c514b32', // magic "LQK2"
        '02000000', // fieldCount
        '0100000000000000', // startNs
        'feffffffffffffff', // endNs = -2
        '01000000', // nMatchers
        '02000000', // nFilters
        '01000000', '01000000', '03000000', '6bc3a900', // field 1, neq, len 3, "ké" + pad
        '00000000', '00000000', // contains ""
        '01000000', '04000000', '61626364', // notContains "abcd"
      ].join(''),
    );
    expect(programAreaBytes(bytes)).toBe(((bytes.length + 7) & ~7) + 3 * 32 + 64);
  });

  test('golden bytes: case-folded needle, DFA and Pike payloads', () => {
    const bytes = encodeProgram(
      program({
        fieldCount: 3,
        startNs: '0',
        endNs: '0',
        labelMatchers: [{ field: 2, op: 'notRegex', pattern: 'ab', automaton: { engine: 'pike', size: 3 } }],
        lineFilters: [
          { op: 'notContains', needle: 'Ab', caseInsensitive: true },
          { op: 'regex', pattern: 'ab', automaton: { engine: 'dfa', size: 4 } },
        ],
      }),
      { compile: (_p, { fullMatch }) => (fullMatch ? PIKE_AB : { kind: 'dfa', dfa: DFA_AB }) },
    );
    const classes = Array.from(DFA_AB.classes, (c) => c.toString(16).padStart(2, '0')).join('');
    expect(hex(bytes)).toBe(
      [
        '4c514b32', '03000000', '0000000000000000', '0000000000000000', '01000000', '02000000',
        // matcher: field 2, notRegex, 64-byte Pike payload: kind 1, 3 insts, start 2, flags 3 (a full match anchors both ends)
        '02000000', '03000000', '40000000', '01000000', '03000000', '02000000', '03000000',
        '04000000', '00000000', '00000000', '00000000',
        '00000000', '62000000', '62000000', '00000000',
        '00000000', '61000000', '61000000', '01000000',
        // filter: notContainsFold "Ab" (the kernel folds it)
        '03000000', '02000000', '41620000',
        // filter: regex, DFA payload of 16 + 256 + 4 × 4 × 4 bytes: kind 0, 3 classes, 4 states, start 2
        '04000000', '50010000', '00000000', '03000000', '04000000', '02000000', classes,
        ...Array.from(DFA_AB.table, (t) => t.toString(16).padStart(2, '0') + '000000'),
      ].join(''),
    );
    // program bytes, 3 descriptors, the DFA table (premultiplied copy) and its accelerator,
    // the Pike first-byte set, the folded needle
    // and its mask (8 after alignment), Pike scratch for 3 instructions, slack.
    expect(programAreaBytes(bytes)).toBe(((bytes.length + 7) & ~7) + 3 * 32 + (64 + 8) + 32 + 8 + 3 * 20 + 64);
  });

  test('a full-match Pike program is anchored at both ends; a search one keeps its own anchoredStart', () => {
    const flagsOf = (fullMatch: boolean, anchoredStart: boolean) => {
      const a: KernelAutomaton = { kind: 'pike', prog: { ...PIKE_AB.kind === 'pike' ? PIKE_AB.prog : (null as never), anchoredStart } };
      const p = fullMatch
        ? program({ labelMatchers: [{ field: 0, op: 'regex', pattern: 'x', automaton: { engine: 'pike', size: 3 } }] })
        : program({ lineFilters: [{ op: 'regex', pattern: 'x', automaton: { engine: 'pike', size: 3 } }] });
      const b = encodeProgram(p, { compile: compileAb(a) });
      return new DataView(b.buffer).getUint32(fullMatch ? 32 + 12 + 12 : 32 + 8 + 12, true);
    };
    expect([flagsOf(false, false), flagsOf(false, true), flagsOf(true, false), flagsOf(true, true)]).toEqual([0, 1, 3, 3]);
  });

  test('regexes compile with src/regex by default; a syntax error surfaces', () => {
    const dv = (b: Uint8Array) => new DataView(b.buffer);
    const b = encodeProgram(program({ lineFilters: [{ op: 'regex', pattern: 'a+b', automaton: { engine: 'dfa', size: 0 } }] }));
    expect([dv(b).getUint32(32, true), dv(b).getUint32(40, true)]).toEqual([4, 0]); // op regex, a DFA payload
    expect(() => encodeProgram(program({ lineFilters: [{ op: 'regex', pattern: 'a(', automaton: { engine: 'dfa', size: 0 } }] }))).toThrow(/missing/);
  });

  test('window bounds beyond int64 are clamped (no line time lies beyond them)', () => {
    const dv = (b: Uint8Array) => new DataView(b.buffer);
    const b = encodeProgram(program({ startNs: '-62135596800000000000', endNs: '253402300800000000000' }));
    expect([dv(b).getBigInt64(8, true), dv(b).getBigInt64(16, true)]).toEqual([-(1n << 63n), (1n << 63n) - 1n]);
  });

  test.each([
    ['field out of range', program({ fieldCount: 2, labelMatchers: [{ field: 2, op: 'eq', value: 'x' }] })],
    ['bad field count', { ...program(), fieldCount: 4 as 3 }],
    ['startNs not an integer', program({ startNs: '1.5' })],
    ['endNs not decimal', program({ endNs: '0x10' })],
    ['unknown op', program({ lineFilters: [{ op: 'match' as 'contains', needle: 'x' }] })],
    ['version 1', { ...program(), version: 1 as 2 }],
  ])('rejects %s', (_name, p) => {
    expect(() => encodeProgram(p)).toThrow(InternalError);
  });

  test.each([
    ['a DFA without 256 classes', { kind: 'dfa', dfa: { ...DFA_AB, classes: new Uint8Array(255) } }],
    ['a DFA table of the wrong size', { kind: 'dfa', dfa: { ...DFA_AB, table: DFA_AB.table.subarray(1) } }],
    ['a DFA with 257 classes', { kind: 'dfa', dfa: { ...DFA_AB, classCount: 257 } }],
    ['a Pike program with a partial instruction', { kind: 'pike', prog: { insts: new Int32Array(5), start: 0, slotCount: 2, anchoredStart: false } }],
    ['a Pike program starting past its end', { kind: 'pike', prog: { insts: new Int32Array(4), start: 1, slotCount: 2, anchoredStart: false } }],
  ] as [string, KernelAutomaton][])('rejects %s from the compiler', (_name, a) => {
    expect(() => encodeProgram(program({ lineFilters: [{ op: 'regex', pattern: 'x', automaton: { engine: 'dfa', size: 0 } }] }), { compile: compileAb(a) })).toThrow(InternalError);
  });
});

describe('kernel setProgram checks the bytes', async () => {
  const k = await Kernel.load();
  const x = k.exports;
  const load = (bytes: Uint8Array): number => {
    x.layout(4096, 64, 16, 4096);
    new Uint8Array(x.memory.buffer).set(bytes, x.progPtr());
    return x.setProgram(bytes.length);
  };
  const good = encodeProgram(program({ labelMatchers: [{ field: 2, op: 'eq', value: 'abc' }], lineFilters: [{ op: 'contains', needle: 'xy' }] }));
  test('accepts a valid program', () => expect(load(good)).toBe(0));
  test('rejects a bad magic', () => {
    const b = good.slice();
    b[0] = 0;
    expect(load(b)).toBeLessThan(0);
  });
  test('rejects truncated programs at every length', () => {
    for (let n = 0; n < good.length; n++) expect(load(good.subarray(0, n))).toBeLessThan(0);
  });
  test('rejects trailing garbage', () => {
    const b = new Uint8Array(good.length + 4);
    b.set(good);
    expect(load(b)).toBeLessThan(0);
  });
  test('rejects a field index beyond fieldCount', () => {
    const b = good.slice();
    new DataView(b.buffer).setUint32(32, 3, true);
    expect(load(b)).toBeLessThan(0);
  });
  test('accepts valid programs with automata and folded needles', () => {
    const b = encodeProgram(
      program({
        labelMatchers: [{ field: 1, op: 'regex', pattern: 'ab', automaton: { engine: 'pike', size: 3 } }],
        lineFilters: [
          { op: 'contains', needle: 'xY', caseInsensitive: true },
          { op: 'regex', pattern: 'ab', automaton: { engine: 'dfa', size: 4 } },
        ],
      }),
      { compile: (_p, { fullMatch }) => (fullMatch ? PIKE_AB : { kind: 'dfa', dfa: DFA_AB }) },
    );
    expect(load(b)).toBe(0);
  });
  test('scan refuses to run without a loaded program', () => {
    load(good.subarray(0, 8));
    expect(x.scan(0, 0, 1, 0, 100, 0)).toBe(-1);
  });
});

// ---------------------------------------------------------------------------------------
// Malformed automata: every new error code, and no trap on hostile bytes

describe('kernel setProgram checks automata', async () => {
  const k = await Kernel.load();
  const x = k.exports;
  const load = (bytes: Uint8Array, progCap = 1 << 16): number => {
    x.layout(progCap, 64, 16, 4096);
    new Uint8Array(x.memory.buffer).set(bytes, x.progPtr());
    return x.setProgram(bytes.length);
  };
  /** A one-filter program whose automaton payload starts at byte 40. */
  const filterProgram = (a: KernelAutomaton): Uint8Array => encodeProgram(program({ lineFilters: [{ op: 'regex', pattern: 'ab', automaton: { engine: 'dfa', size: 0 } }] }), { compile: compileAb(a) });
  const A = 40; // payload offset: 32 header + u32 op + u32 len
  const TABLE = A + 16 + 256;
  const INSTS = A + 16;
  const dfa = filterProgram({ kind: 'dfa', dfa: DFA_AB });
  const pike = filterProgram(PIKE_AB);
  const patched = (b: Uint8Array, at: number, v: number): Uint8Array => {
    const c = b.slice();
    new DataView(c.buffer).setUint32(at, v >>> 0, true);
    return c;
  };
  const patchedByte = (b: Uint8Array, at: number, v: number): Uint8Array => {
    const c = b.slice();
    c[at] = v;
    return c;
  };

  test('the unpatched programs load', () => {
    expect(load(dfa)).toBe(0);
    expect(load(pike)).toBe(0);
  });

  test.each([
    ['unknown automaton kind', patched(dfa, A, 2), PROGRAM_ERRORS.automatonKind],
    ['payload shorter than a header', (() => {
      const b = encodeProgram(program({ lineFilters: [{ op: 'contains', needle: 'abcdefgh' }] }));
      return patched(b, 32, 4); // op 4 (regex) over an 8-byte payload
    })(), PROGRAM_ERRORS.automatonSize],
    ['classCount 0', patched(dfa, A + 4, 0), PROGRAM_ERRORS.automatonSize],
    ['classCount 257', patched(dfa, A + 4, 257), PROGRAM_ERRORS.automatonSize],
    ['classCount not matching the payload', patched(dfa, A + 4, 2), PROGRAM_ERRORS.automatonSize],
    ['stateCount 1', patched(dfa, A + 8, 1), PROGRAM_ERRORS.automatonSize],
    ['stateCount huge (size overflow)', patched(dfa, A + 8, 0x40000001), PROGRAM_ERRORS.automatonSize],
    ['a class id >= classCount', patchedByte(dfa, A + 16 + 0x7a, 3), PROGRAM_ERRORS.dfaClass],
    ['start >= stateCount', patched(dfa, A + 12, 4), PROGRAM_ERRORS.dfaState],
    ['a table entry >= stateCount', patched(dfa, TABLE + 4 * (2 * 4 + 1), 4), PROGRAM_ERRORS.dfaState],
    ['a negative table entry', patched(dfa, TABLE + 4 * (3 * 4 + 0), -1), PROGRAM_ERRORS.dfaState],
    ['a dead row that leaves', patched(dfa, TABLE + 4 * 2, 2), PROGRAM_ERRORS.dfaState],
    ['a match row that leaves', patched(dfa, TABLE + 4 * (4 + 3), 0), PROGRAM_ERRORS.dfaState],
    ['nInsts 0', patched(pike, A + 4, 0), PROGRAM_ERRORS.automatonSize],
    ['nInsts not matching the payload', patched(pike, A + 4, 2), PROGRAM_ERRORS.automatonSize],
    ['nInsts huge (size overflow)', patched(pike, A + 4, 0x10000001), PROGRAM_ERRORS.automatonSize],
    ['unknown Pike flags', patched(pike, A + 12, 4), PROGRAM_ERRORS.pikeInst],
    ['unknown opcode', patched(pike, INSTS, 7), PROGRAM_ERRORS.pikeInst],
    ['byte bound above 255', patched(pike, INSTS + 16 + 8, 256), PROGRAM_ERRORS.pikeInst],
    ['negative byte bound', patched(pike, INSTS + 16 + 4, -1), PROGRAM_ERRORS.pikeInst],
    ['unknown assertion bits', patched(patched(pike, INSTS + 16, 3), INSTS + 16 + 4, 64), PROGRAM_ERRORS.pikeInst],
    ['start >= nInsts', patched(pike, A + 8, 3), PROGRAM_ERRORS.pikeTarget],
    ['byte target >= nInsts', patched(pike, INSTS + 16 + 12, 3), PROGRAM_ERRORS.pikeTarget],
    ['negative target', patched(pike, INSTS + 32 + 12, -1), PROGRAM_ERRORS.pikeTarget],
    ['split target >= nInsts', patched(patched(pike, INSTS + 16, OP_SPLIT), INSTS + 16 + 8, 3), PROGRAM_ERRORS.pikeTarget],
    ['save target >= nInsts', patched(patched(pike, INSTS + 16, 2), INSTS + 16 + 12, 9), PROGRAM_ERRORS.pikeTarget],
    ['nop target >= nInsts', patched(patched(pike, INSTS + 16, 6), INSTS + 16 + 12, 9), PROGRAM_ERRORS.pikeTarget],
    ['assert target >= nInsts', patched(patched(patched(pike, INSTS + 16, 3), INSTS + 16 + 4, 16), INSTS + 16 + 12, 9), PROGRAM_ERRORS.pikeTarget],
    ['matcher op 4', patched(encodeProgram(program({ labelMatchers: [{ field: 0, op: 'eq', value: 'x' }] })), 36, 4), PROGRAM_ERRORS.op],
    ['filter op 6', patched(dfa, 32, 6), PROGRAM_ERRORS.op],
  ])('%s', (_name, bytes, code) => {
    expect(load(bytes)).toBe(code);
  });

  test('a program area too small for the DFA table, the folded needle or the Pike scratch', () => {
    const fold = encodeProgram(program({ lineFilters: [{ op: 'contains', needle: 'x'.repeat(40), caseInsensitive: true }] }));
    for (const b of [dfa, pike, fold]) {
      const need = programAreaBytes(b) - 64; // without the slack
      expect(load(b, need)).toBe(0);
      expect(load(b, need - 1)).toBe(PROGRAM_ERRORS.noRoom);
    }
  });

  test('hostile bytes: setProgram never traps, and a program it accepts scans without trapping', async () => {
    const P = cat(wordB, lit('a'), star(alt(lit('b'), lit('c'))), lit('d'), wordB); // Pike (assertions)
    const D = cat(lit('a'), star(lit('b'))); // DFA
    const valid = encodeProgram(
      program({
        labelMatchers: [{ field: 1, op: 'regex', pattern: P.src, automaton: { engine: 'pike', size: 0 } }],
        lineFilters: [
          { op: 'contains', needle: 'Get', caseInsensitive: true },
          { op: 'regex', pattern: D.src, automaton: { engine: 'dfa', size: 0 } },
          { op: 'notRegex', pattern: P.src, automaton: { engine: 'pike', size: 0 } },
        ],
      }),
      { compile: handCompiler([P, D], 'dfa') },
    );
    expect(load(valid)).toBe(0);
    const line = new TextEncoder().encode('2009-11-10T23:00:00Z[a|abd|c] GET abbb abcd\n');
    let accepted = 0;
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(valid.length - 1), fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0x7f, 0x80, 0xff))), { minLength: 1, maxLength: 4 }), (edits) => {
        const b = valid.slice();
        for (const [at, v] of edits) b[at] = v;
        const rc = load(b);
        expect(rc).toBeLessThanOrEqual(0);
        if (rc === 0) {
          accepted++;
          new Uint8Array(x.memory.buffer).set(line, x.inPtr());
          expect(x.scan(0, line.length, 1, 0, 1000, 4)).toBe(line.length);
        }
      }),
      { numRuns: 3000 },
    );
    expect(accepted).toBeGreaterThan(100); // many edits keep the program valid (and different)
  });
});

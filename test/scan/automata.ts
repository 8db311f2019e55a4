/**
 * Hand-built automata for the kernel's regex tests, independent of the TS regex compiler
 * (`src/regex/`): a tiny Thompson builder (combinators that also print the equivalent RE2
 * source, so re2-wasm can check the builder), a subset construction for assertion-free
 * programs (so the same pattern runs through the kernel's DFA and Pike paths), and two
 * obvious reference runners (a DFA walk as documented in `automaton.ts`, and a
 * reachability search over (pc, position) pairs — a different algorithm from the Pike VM).
 */
import {
  ASSERT_BEGIN_LINE,
  ASSERT_BEGIN_TEXT,
  ASSERT_END_LINE,
  ASSERT_END_TEXT,
  ASSERT_NOT_WORD_BOUNDARY,
  ASSERT_WORD_BOUNDARY,
  DFA_DEAD,
  DFA_MATCH,
  INST_WORDS,
  OP_ASSERT,
  OP_BYTE,
  OP_FAIL,
  OP_MATCH,
  OP_NOP,
  OP_SAVE,
  OP_SPLIT,
  type Dfa,
  type KernelAutomaton,
  type Prog,
} from '../../src/regex/automaton.js';
import { UTF8_DECODE } from '../../src/regex/compile.js';
import type { RegexCompiler } from '../../src/scan/program-codec.js';
import { RE2, type Re2Instance } from '../support/re2.js';

// ---------------------------------------------------------------------------------------
// Thompson builder

type Inst = [number, number, number, number];

/** A pattern fragment: its RE2 source, and how to emit it before continuation `next`. */
export interface Re {
  readonly src: string;
  emit(out: Inst[], next: number): number;
}

const push = (out: Inst[], i: Inst): number => out.push(i) - 1;
const reEscape = (s: string): string => s.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&');
const hex = (b: number): string => `\\x{${b.toString(16)}}`;

/** The UTF-8 bytes of `s`, one after the other. */
export const lit = (s: string): Re => ({
  src: reEscape(s),
  emit(out, next) {
    const bytes = new TextEncoder().encode(s);
    for (let i = bytes.length - 1; i >= 0; i--) next = push(out, [OP_BYTE, bytes[i]!, bytes[i]!, next]);
    return next;
  },
});
/** One ASCII byte in `lo..hi`. */
export const range = (lo: string, hi: string): Re => ({
  src: `[${hex(lo.charCodeAt(0))}-${hex(hi.charCodeAt(0))}]`,
  emit: (out, next) => push(out, [OP_BYTE, lo.charCodeAt(0), hi.charCodeAt(0), next]),
});
export const cat = (...rs: Re[]): Re => ({
  src: rs.map((r) => `(?:${r.src})`).join(''),
  emit(out, next) {
    for (let i = rs.length - 1; i >= 0; i--) next = rs[i]!.emit(out, next);
    return next;
  },
});
export const alt = (a: Re, b: Re): Re => ({
  src: `(?:${a.src}|${b.src})`,
  emit: (out, next) => {
    const pa = a.emit(out, next);
    const pb = b.emit(out, next);
    return push(out, [OP_SPLIT, pa, pb, 0]);
  },
});
export const star = (a: Re): Re => ({
  src: `(?:${a.src})*`,
  emit(out, next) {
    const s = push(out, [OP_SPLIT, -1, next, 0]);
    out[s]![1] = a.emit(out, s);
    return s;
  },
});
export const plus = (a: Re): Re => ({
  src: `(?:${a.src})+`,
  emit(out, next) {
    const s = push(out, [OP_SPLIT, -1, next, 0]);
    const pa = a.emit(out, s);
    out[s]![1] = pa;
    return pa;
  },
});
export const opt = (a: Re): Re => ({
  src: `(?:${a.src})?`,
  emit: (out, next) => {
    const pa = a.emit(out, next);
    return push(out, [OP_SPLIT, pa, next, 0]);
  },
});
/** A capture group: `OP_SAVE` around `a` (the kernel treats saves as epsilons). */
export const group = (a: Re): Re => ({
  src: `(${a.src})`,
  emit: (out, next) => {
    const end = push(out, [OP_SAVE, 3, 0, next]);
    const pa = a.emit(out, end);
    const nop = push(out, [OP_NOP, 0, 0, pa]);
    return push(out, [OP_SAVE, 2, 0, nop]);
  },
});
const assertion = (flags: number, src: string): Re => ({ src, emit: (out, next) => push(out, [OP_ASSERT, flags, 0, next]) });
export const wordB = assertion(ASSERT_WORD_BOUNDARY, '\\b');
export const notWordB = assertion(ASSERT_NOT_WORD_BOUNDARY, '\\B');
export const bol = assertion(ASSERT_BEGIN_LINE, '(?m:^)');
export const eol = assertion(ASSERT_END_LINE, '(?m:$)');
export const bot = assertion(ASSERT_BEGIN_TEXT, '\\A');
export const eot = assertion(ASSERT_END_TEXT, '\\z');
/** Matches nothing (`[^\x00-\x{10FFFF}]` in RE2). */
export const never: Re = { src: '[^\\x00-\\x{10FFFF}]', emit: (out) => push(out, [OP_FAIL, 0, 0, 0]) };

/** The Thompson program of `r` (start = an anchored attempt; unanchored search is the runner's job). */
export function prog(r: Re): Prog {
  const out: Inst[] = [];
  const m = push(out, [OP_MATCH, 0, 0, 0]);
  const start = r.emit(out, m);
  return { insts: Int32Array.from(out.flat()), start, slotCount: 4, anchoredStart: false };
}

// ---------------------------------------------------------------------------------------
// Subset construction (assertion-free programs only)

/**
 * The DFA of an assertion-free program: searching (`fullMatch` false) or matching the whole
 * text. Unlike `src/regex/dfa.ts` it starts a search at every byte, not only at rune
 * boundaries: the same answers for the hand-built patterns here, none of which can start
 * on a UTF-8 continuation byte.
 */
export function toDfa(p: Prog, fullMatch: boolean): Dfa {
  const n = p.insts.length / INST_WORDS;
  const at = (pc: number, k: number): number => p.insts[pc * INST_WORDS + k]!;
  // Byte classes: bytes that no instruction tells apart share a class.
  const cuts = new Set<number>([0, 256]);
  for (let pc = 0; pc < n; pc++) {
    if (at(pc, 0) === OP_ASSERT) throw new Error('toDfa: assertions are not supported');
    if (at(pc, 0) === OP_BYTE) {
      cuts.add(at(pc, 1));
      cuts.add(at(pc, 2) + 1);
    }
  }
  const sorted = [...cuts].sort((a, b) => a - b);
  const classes = new Uint8Array(256);
  const rep: number[] = []; // a representative byte per class
  for (let c = 0; c + 1 < sorted.length; c++) {
    rep.push(sorted[c]!);
    for (let b = sorted[c]!; b < sorted[c + 1]!; b++) classes[b] = c;
  }
  const classCount = rep.length;
  const closure = (seeds: number[]): { pcs: number[]; match: boolean } => {
    const seen = new Set<number>();
    const stack = [...seeds];
    let match = false;
    while (stack.length) {
      const pc = stack.pop()!;
      if (seen.has(pc)) continue;
      seen.add(pc);
      const op = at(pc, 0);
      if (op === OP_MATCH) match = true;
      else if (op === OP_SPLIT) stack.push(at(pc, 1), at(pc, 2));
      else if (op === OP_SAVE || op === OP_NOP) stack.push(at(pc, 3));
    }
    return { pcs: [...seen].filter((pc) => at(pc, 0) === OP_BYTE).sort((a, b) => a - b), match };
  };
  const ids = new Map<string, number>();
  const sets: { pcs: number[]; match: boolean }[] = [];
  const rows: number[][] = [];
  const idOf = (s: { pcs: number[]; match: boolean }): number => {
    if (!fullMatch && s.match) return DFA_MATCH;
    if (s.pcs.length === 0 && !s.match && (fullMatch || p.anchoredStart)) return DFA_DEAD;
    const key = `${s.match ? 'm' : ''}${s.pcs.join(',')}`;
    let id = ids.get(key);
    if (id === undefined) {
      id = sets.length + 2;
      ids.set(key, id);
      sets.push(s);
    }
    return id;
  };
  const start = idOf(closure([p.start]));
  for (let i = 0; i < sets.length; i++) {
    const s = sets[i]!;
    const row: number[] = [];
    for (let c = 0; c < classCount; c++) {
      const b = rep[c]!;
      const next = s.pcs.filter((pc) => at(pc, 1) <= b && b <= at(pc, 2)).map((pc) => at(pc, 3));
      if (!fullMatch && !p.anchoredStart) next.push(p.start);
      row.push(idOf(closure(next)));
    }
    row.push(s.match ? DFA_MATCH : DFA_DEAD); // end of text
    rows[i] = row;
  }
  const stride = classCount + 1;
  const table = new Int32Array((sets.length + 2) * stride);
  for (let c = 0; c < stride; c++) table[stride + c] = DFA_MATCH;
  rows.forEach((row, i) => table.set(row, (i + 2) * stride));
  return { classes, classCount, stateCount: sets.length + 2, start, table };
}

// ---------------------------------------------------------------------------------------
// Reference runners

/** Runs a DFA exactly as `automaton.ts` documents it. */
export function runDfa(d: Dfa, text: Uint8Array): boolean {
  const stride = d.classCount + 1;
  let s = d.start;
  for (let i = 0; i < text.length && s > DFA_MATCH; i++) s = d.table[s * stride + d.classes[text[i]!]!]!;
  if (s > DFA_MATCH) s = d.table[s * stride + d.classCount]!;
  return s === DFA_MATCH;
}

const isWord = (b: number | undefined): boolean => b !== undefined && (/[0-9A-Za-z_]/.test(String.fromCharCode(b)));

/** Where an unanchored search may start a match: rune boundaries by the rule of `src/regex/compile.ts`. */
export function runeBoundaries(text: Uint8Array): number[] {
  const out: number[] = [];
  let dec = 0;
  for (let pos = 0; pos < text.length; pos++) {
    const b = text[pos]!;
    const t = dec === 0 ? -1 : UTF8_DECODE[dec * 256 + b]!;
    if (dec === 0 || t < 0) {
      out.push(pos);
      dec = UTF8_DECODE[b]!;
    } else {
      dec = t;
    }
  }
  out.push(text.length);
  return out;
}

/**
 * Does the program match `text` (searching from every rune boundary, or in full when `fullMatch`)? A depth-first
 * reachability search over (pc, position) pairs; each pair is visited once.
 */
export function runProg(p: Prog, text: Uint8Array, fullMatch: boolean): boolean {
  const n = p.insts.length / INST_WORDS;
  const at = (pc: number, k: number): number => p.insts[pc * INST_WORDS + k]!;
  const seen = new Uint8Array(n * (text.length + 1));
  const holds = (f: number, pos: number): boolean => {
    const prev = pos > 0 ? text[pos - 1] : undefined;
    const next = pos < text.length ? text[pos] : undefined;
    if (f & ASSERT_BEGIN_TEXT && pos !== 0) return false;
    if (f & ASSERT_END_TEXT && pos !== text.length) return false;
    if (f & ASSERT_BEGIN_LINE && pos !== 0 && prev !== 10) return false;
    if (f & ASSERT_END_LINE && pos !== text.length && next !== 10) return false;
    if (f & ASSERT_WORD_BOUNDARY && isWord(prev) === isWord(next)) return false;
    if (f & ASSERT_NOT_WORD_BOUNDARY && isWord(prev) !== isWord(next)) return false;
    return true;
  };
  const starts = fullMatch || p.anchoredStart ? [0] : runeBoundaries(text);
  const stack: [number, number][] = starts.map((pos) => [p.start, pos]);
  while (stack.length) {
    const [pc, pos] = stack.pop()!;
    if (seen[pos * n + pc]) continue;
    seen[pos * n + pc] = 1;
    switch (at(pc, 0)) {
      case OP_BYTE:
        if (pos < text.length && at(pc, 1) <= text[pos]! && text[pos]! <= at(pc, 2)) stack.push([at(pc, 3), pos + 1]);
        break;
      case OP_SPLIT:
        stack.push([at(pc, 1), pos], [at(pc, 2), pos]);
        break;
      case OP_SAVE:
      case OP_NOP:
        stack.push([at(pc, 3), pos]);
        break;
      case OP_ASSERT:
        if (holds(at(pc, 1), pos)) stack.push([at(pc, 3), pos]);
        break;
      case OP_MATCH:
        if (!fullMatch || pos === text.length) return true;
        break;
    }
  }
  return false;
}

/** Runs a compiled automaton with the reference runners. */
export function runAutomaton(a: KernelAutomaton, text: Uint8Array, fullMatch: boolean): boolean {
  return a.kind === 'dfa' ? runDfa(a.dfa, text) : runProg(a.prog, text, fullMatch);
}

// ---------------------------------------------------------------------------------------
// A compiler over a fixed set of hand-built patterns

/**
 * A {@link RegexCompiler} for the patterns in `res` (keyed by their RE2 source): a DFA by
 * subset construction when `engine` is 'dfa' and the pattern has no assertions, else the
 * Thompson program for the Pike VM. As `src/regex/` does, a full-match Pike program is
 * wrapped in `\A(?:…)\z` (the kernel anchors it by its flags as well).
 */
export function handCompiler(res: Re[], engine: 'dfa' | 'pike'): RegexCompiler {
  const bySrc = new Map(res.map((r) => [r.src, r]));
  return (pattern, { fullMatch }) => {
    const r = bySrc.get(pattern);
    if (!r) throw new Error(`handCompiler: unknown pattern ${pattern}`);
    if (engine === 'dfa') {
      try {
        return { kind: 'dfa', dfa: toDfa(prog(r), fullMatch) };
      } catch {
        // has assertions: Pike VM
      }
    }
    return { kind: 'pike', prog: fullMatch ? { ...prog(cat(bot, r, eot)), anchoredStart: true } : prog(r) };
  };
}

// ---------------------------------------------------------------------------------------
// re2-wasm, the semantic oracle

const re2Cache = new Map<string, Re2Instance>();

/** RE2's verdict on `text` (UTF-8) for `pattern`, searching or (`fullMatch`) as `^(?:p)$`. */
export function re2Test(pattern: string, text: Uint8Array, fullMatch: boolean): boolean {
  const key = `${fullMatch ? 'F' : 'S'}${pattern}`;
  let re = re2Cache.get(key);
  if (!re) {
    re = new RE2(fullMatch ? `^(?:${pattern})$` : pattern, 'u');
    re2Cache.set(key, re);
  }
  return re.test(new TextDecoder().decode(text));
}

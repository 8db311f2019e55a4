/**
 * The regex operations the pipeline needs beyond yes/no, on letheql's own RE2 engine
 * (`src/regex`): full-string matching for label matchers, the first match with capture
 * strings (`| regexp`), and Go's "all matches" iteration (`| decolorize`,
 * `regexReplaceAll`, `count`) with Go's rules for empty matches.
 *
 * Offsets from the engine are UTF-8 byte offsets. An ASCII string's byte offsets are its
 * string offsets, so ASCII input is sliced directly; other input is encoded once and the
 * slices decoded.
 *
 * Limitation: a search resumed at byte `k` treats `k` as the start of text for `^`, `\A`
 * and `\b`; an anchored pattern therefore stops after its first match (as Go's does), and
 * `\b` right at a resume point may differ from Go.
 */
import type { CompiledPattern } from '../regex/index.js';
import { compileRegex, fullMatchTree } from '../regex/index.js';
import { compileProg } from '../regex/compile.js';
import { buildDfa, dfaTest, DEFAULT_DFA_MAX_STATES } from '../regex/dfa.js';
import { pikeTest } from '../regex/pike.js';
import { parseRegex } from '../regex/syntax.js';
import { expandTemplate } from '../regex/expand.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** `value` matches `pattern` as a whole (Prometheus label matchers: `^(?:pattern)$`). Throws RegexSyntaxError. */
export function fullMatcher(pattern: string): (value: string) => boolean {
  const prog = compileProg(fullMatchTree(parseRegex(pattern)));
  const dfa = buildDfa(prog, { anchored: true, maxStates: DEFAULT_DFA_MAX_STATES });
  return (value) => {
    const bytes = encoder.encode(value);
    return dfa ? dfaTest(dfa, bytes, 0, bytes.length) : pikeTest(prog, bytes, 0, bytes.length);
  };
}

/** Scratch for {@link firstMatchGroups}: lines are encoded into it, not into a new array each. */
let scratch = new Uint8Array(4096);

/** The text of each capture group of the first match (`null` for no match; `""` for a group that did not take part). */
export function firstMatchGroups(re: CompiledPattern, text: string, out: string[]): boolean {
  // UTF-16 → UTF-8 takes at most 3 bytes per code unit.
  if (scratch.length < text.length * 3) scratch = new Uint8Array(text.length * 3);
  const bytes = scratch;
  const n = encoder.encodeInto(text, bytes).written;
  const slots = re.execIn(bytes, 0, n);
  if (!slots) return false;
  // Every character took one byte: the text is ASCII and byte offsets are string offsets.
  const ascii = n === text.length;
  for (let g = 0; g <= re.captureCount; g++) {
    const a = slots[2 * g]!;
    out[g] = a < 0 ? '' : ascii ? text.slice(a, slots[2 * g + 1]!) : decoder.decode(bytes.subarray(a, slots[2 * g + 1]!));
  }
  return true;
}

/** A match as capture slots into `bytes`. */
export type Slots = Int32Array;

/**
 * Calls `fn` for each successive non-overlapping match, as Go's `FindAll`/`ReplaceAll`: an
 * empty match right after the previous match is skipped, and the search moves one character
 * on after an empty match.
 */
export function forEachMatch(re: CompiledPattern, bytes: Uint8Array, fn: (slots: Slots) => void): void {
  let pos = 0;
  let prevEnd = -1;
  while (pos <= bytes.length) {
    const slots = re.execIn(bytes, pos, bytes.length);
    if (!slots) return;
    const [a, b] = [slots[0]!, slots[1]!];
    if (a === b && a === prevEnd) {
      // Empty match adjacent to the previous one: not reported; step one UTF-8 character.
      if (a >= bytes.length) return;
      pos = a + utf8Width(bytes[a]!);
      continue;
    }
    fn(slots);
    prevEnd = b;
    if (re.prog.anchoredStart) return;
    pos = b > a ? b : a + (a < bytes.length ? utf8Width(bytes[a]!) : 1);
  }
}

function utf8Width(lead: number): number {
  return lead < 0x80 ? 1 : lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : 4;
}

/**
 * Go's `Regexp.ReplaceAllString` (`literal` false: `$1`, `${1}`, `$name`, `${name}`, `$$`
 * expand as in `Regexp.Expand`) and `ReplaceAllLiteralString` (`literal` true).
 */
export function replaceAll(re: CompiledPattern, text: string, replacement: string, literal: boolean, checkSize?: (size: number) => void): string {
  const bytes = encoder.encode(text);
  const parts: string[] = [];
  let last = 0;
  // The result grows by one replacement per match (an empty pattern matches at every
  // position): `checkSize` sees the running size, so a caller's cap stops it early.
  let size = 0;
  forEachMatch(re, bytes, (slots) => {
    const before = decoder.decode(bytes.subarray(last, slots[0]!));
    const repl = literal ? replacement : expandTemplate(replacement, bytes, slots, re.names);
    size += before.length + repl.length;
    checkSize?.(size);
    parts.push(before, repl);
    last = slots[1]!;
  });
  if (parts.length === 0) return text;
  parts.push(decoder.decode(bytes.subarray(last)));
  return parts.join('');
}

/** Number of matches (Go's `len(FindAllStringIndex(s, -1))`). */
export function countMatches(re: CompiledPattern, text: string): number {
  let n = 0;
  forEachMatch(re, encoder.encode(text), () => n++);
  return n;
}

/** Compiles (cached) a pattern; re-exported so stages import one module. */
export { compileRegex };

/** The ANSI escape sequences `| decolorize` removes (Loki's pattern, from acarl005/stripansi). */
const ANSI_PATTERN = '[\\x{1B}\\x{9B}][[\\]()#;?]*(?:(?:(?:[a-zA-Z\\d]*(?:;[a-zA-Z\\d]*)*)?\\x{07})|(?:(?:\\d{1,4}(?:;\\d{0,4})*)?[\\dA-PRZcf-ntqry=><~]))';

/** `| decolorize`: the line without ANSI escape sequences. */
export function decolorize(line: string): string {
  // Fast path: nothing to strip.
  if (line.indexOf('\x1b') < 0 && line.indexOf('\x9b') < 0) return line;
  return replaceAll(compileRegex(ANSI_PATTERN), line, '', true);
}

/**
 * The syntax of `| pattern "<ip> - - <_> \"<method> <path> <_>\" <status>"` (Loki's pattern
 * parser), parsed at query parse time so that a bad pattern is a query error with a span.
 *
 * A pattern is captures and literals. A capture is `<name>` with `name` =
 * `[A-Za-z_][A-Za-z0-9_]*`; `<_>` captures without a label. Anything else, including `<`
 * not followed by a valid name and `>`, is literal text. A pattern needs at least one named
 * capture, no two captures side by side (Loki checks this only at even positions and then
 * panics on the pair it missed; we reject every pair), and no name twice.
 */

/** A parsed pattern: literal and capture parts, in order. */
export type PatternPart = { kind: 'literal'; text: string } | { kind: 'capture'; name: string | null };

/** A pattern error; `offset`/`end` are into the pattern text. */
export class PatternSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
    readonly end: number,
  ) {
    super(message);
    this.name = 'PatternSyntaxError';
  }
}

const CAPTURE_RE = /<([A-Za-z_][A-Za-z0-9_]*)>/g;

/** Parses a pattern; throws {@link PatternSyntaxError}. */
export function parsePattern(pattern: string): PatternPart[] {
  const parts: PatternPart[] = [];
  const names = new Set<string>();
  let last = 0;
  let previousCapture: { at: number } | null = null;
  for (const m of pattern.matchAll(CAPTURE_RE)) {
    const at = m.index;
    if (at > last) {
      parts.push({ kind: 'literal', text: pattern.slice(last, at) });
      previousCapture = null;
    }
    const end = at + m[0].length;
    if (previousCapture) throw new PatternSyntaxError(`found consecutive captures ${pattern.slice(previousCapture.at, end)}: a literal must separate them`, previousCapture.at, end);
    const name = m[1] === '_' ? null : m[1]!;
    if (name !== null) {
      if (names.has(name)) throw new PatternSyntaxError(`duplicate capture name (${name})`, at, end);
      names.add(name);
    }
    parts.push({ kind: 'capture', name });
    previousCapture = { at };
    last = end;
  }
  if (last < pattern.length) parts.push({ kind: 'literal', text: pattern.slice(last) });
  if (names.size === 0) throw new PatternSyntaxError('at least one named capture is required, e.g. <status>', 0, pattern.length);
  return parts;
}
